import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { spawnBulletin, type BulletinProcess } from '../helpers/spawn-bulletin';
import { freePort } from '../helpers/test-bulletin';
import { SmtpCapture } from '../helpers/smtp-capture';
import { createTestDatabase, withAdmin, type TestDatabase } from '../helpers/test-database';
import { removeServerFiles } from '../../src/db/embedded-postgres';

/** The exit code, with the last output attached so a failure explains itself. */
async function expectCleanExit(proc: BulletinProcess): Promise<void> {
  const code = await proc.exited;
  expect({ code, output: proc.output().slice(-3000) }).toMatchObject({ code: 0 });
}

/** The embedded database of a DATA_DIR, with the password its first start generated. */
function embeddedUrl(dataDir: string, port: number): string {
  const password = fs.readFileSync(path.join(dataDir, 'postgres-password'), 'utf8').trim();
  return `postgresql://postgres:${password}@127.0.0.1:${port}/bulletin`;
}

const SECRET_KEY = 'lifecycle-secret-key-0123456789abcdef0123';

describe('start-up and shutdown of the real process', () => {
  let db: TestDatabase;
  let smtp: SmtpCapture;
  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = await new SmtpCapture().start();
  });
  afterAll(async () => {
    await smtp.stop();
    await db.drop();
  });

  test('when started with a database and SMTP server, then it serves and a SIGTERM stops it with exit code 0', async () => {
    const port = await freePort();
    const app = spawnBulletin({ DATABASE_URL: db.url, SMTP_URL: smtp.url, SECRET_KEY, PORT: String(port) });
    const running = await app.waitForLog('Bulletin is running');
    expect(running).toMatchObject({ database: 'external', mail: 'smtp' });
    expect((await request(`http://127.0.0.1:${port}`).get('/readyz')).status).toBe(200);

    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(app.output()).toContain('"msg":"stopped"');
    await expect(request(`http://127.0.0.1:${port}`).get('/healthz')).rejects.toThrow();
  });

  test('when PORT is taken by another program, then start-up stops with one sentence naming the setting, no stack trace', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const app = spawnBulletin({ DATABASE_URL: db.url, SMTP_URL: smtp.url, SECRET_KEY, PORT: String(port) });
      expect(await app.exited).toBe(1);
      expect(app.output().trim()).toBe(`Port ${port} on 127.0.0.1 is taken by another program: set PORT to a free port, or stop that program.`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  test('when the process and the database run in time zones other than UTC, then a signup is stamped in UTC and a digest sees the last hour\'s article', async () => {
    await withAdmin((c) => c.query(`ALTER DATABASE "${db.name}" SET timezone TO 'Asia/Tokyo'`));
    const port = await freePort();
    const adminToken = 'lifecycle-admin-token-0123456789';
    const app = spawnBulletin({ DATABASE_URL: db.url, SMTP_URL: smtp.url, SECRET_KEY, PORT: String(port), TZ: 'America/New_York', ADMIN_TOKEN: adminToken });
    await app.waitForLog('Bulletin is running');
    const http = request(`http://127.0.0.1:${port}`);
    const email = `zone-${Date.now()}@example.org`;
    await http.post('/subscribe').send({ email }).expect(202);
    // Written by Prisma, read by the digest's plain SQL: an article of an hour ago is in today's window.
    const title = `Zone article ${Date.now()}`;
    await http
      .post('/api/admin/articles')
      .set('Authorization', `Bearer ${adminToken}`)
      .send({ title, url: `https://news.example/zone-${Date.now()}`, publishedAt: new Date(Date.now() - 3_600_000).toISOString() })
      .expect(201);
    const preview = await http.get('/api/admin/digests/preview?frequency=daily').set('Authorization', `Bearer ${adminToken}`);
    expect({ status: preview.status, hasArticle: preview.text.includes(title) }).toEqual({ status: 200, hasArticle: true });
    app.child.kill('SIGTERM');
    await expectCleanExit(app);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      // extract(epoch) reads a timestamp without time zone as UTC, as the resend throttle does.
      const { rows } = await client.query<{ sent: number; created: number }>(
        `SELECT extract(epoch FROM confirmation_sent_at)::float8 AS sent, extract(epoch FROM created_at)::float8 AS created
           FROM subscribers WHERE email = $1`,
        [email],
      );
      expect(Math.abs(rows[0]!.sent * 1000 - Date.now())).toBeLessThan(60_000);
      expect(Math.abs(rows[0]!.created * 1000 - Date.now())).toBeLessThan(60_000);
    } finally {
      await client.end();
      await withAdmin((c) => c.query(`ALTER DATABASE "${db.name}" RESET timezone`));
    }
  });

  test('when a SIGTERM arrives during start-up, then the service finishes starting and stops cleanly with exit code 0', async () => {
    const port = await freePort();
    const app = spawnBulletin({ DATABASE_URL: db.url, SMTP_URL: smtp.url, SECRET_KEY, PORT: String(port) });
    // Written while the database is opened, long before "Bulletin is running".
    await app.waitForLog('no pending migrations');
    app.child.kill('SIGTERM');
    await expectCleanExit(app);
    expect(app.output()).toContain('stopped');
  });

  test('when a second signal arrives during shutdown, then the process exits at once with code 1', async () => {
    const port = await freePort();
    const app = spawnBulletin({ DATABASE_URL: db.url, SMTP_URL: smtp.url, SECRET_KEY, PORT: String(port) });
    await app.waitForLog('Bulletin is running');
    app.child.kill('SIGTERM');
    app.child.kill('SIGINT');
    expect(await app.exited).toBe(1);
    expect(app.output()).toContain('second signal: exiting now');
  });

  test('when a setting is invalid, then start-up stops with a message naming the variable', async () => {
    const app = spawnBulletin({ PORT: 'eighty', SMTP_URL: 'http://not-smtp' });
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(/PORT: /);
    expect(app.output()).toMatch(/SMTP_URL: /);
  });

  test('when the database cannot be reached, then start-up fails with exit code 1', async () => {
    const deadPort = await freePort();
    const app = spawnBulletin({
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${deadPort}/nothing`,
      SECRET_KEY,
      PORT: String(await freePort()),
    });
    expect(await app.exited).toBe(1);
    expect(app.output()).toContain('start-up failed');
  });
});

describe('the embedded default (no DATABASE_URL, no SMTP_URL)', () => {
  // A private (0700) folder, as /root or `mktemp -d` is: as root, PostgreSQL runs as its own user.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulletin-embedded-'));
  afterAll(() => {
    removeServerFiles(path.join(dir, 'data'));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('when started with no configuration, then it runs its own PostgreSQL, keeps data across restarts and shows the outbox', async () => {
    const dbPort = await freePort();
    const env = {
      DATA_DIR: path.join(dir, 'data'),
      OUTBOX_DIR: path.join(dir, 'outbox'),
      EMBEDDED_DB_PORT: String(dbPort),
    };
    const port = await freePort();
    const first = spawnBulletin({ ...env, PORT: String(port) });
    expect(await first.waitForLog('Bulletin is running', 60_000)).toMatchObject({ database: 'embedded', mail: 'outbox' });
    expect(first.output()).toContain('"msg":"migrations applied"');
    const base = `http://127.0.0.1:${port}`;
    expect((await request(base).get('/readyz')).status).toBe(200);
    const outbox = await request(base).get('/outbox');
    expect(outbox.status).toBe(200);
    expect(outbox.text).toContain('Emails Bulletin would have sent');

    const client = new pg.Client({ connectionString: embeddedUrl(env.DATA_DIR, dbPort) });
    await client.connect();
    await client.query(`INSERT INTO subscribers (email, updated_at) VALUES ('kept@example.com', now())`);
    await client.end();

    first.child.kill('SIGTERM');
    await expectCleanExit(first);
    // The embedded server was stopped with the app, not left running.
    expect(fs.existsSync(path.join(env.DATA_DIR, 'postgres', 'postmaster.pid'))).toBe(false);

    const second = spawnBulletin({ ...env, PORT: String(port) });
    await second.waitForLog('Bulletin is running', 60_000);
    expect(second.output()).not.toContain('"msg":"migrations applied"');
    const again = new pg.Client({ connectionString: embeddedUrl(env.DATA_DIR, dbPort) });
    await again.connect();
    const kept = await again.query(`SELECT 1 FROM subscribers WHERE email = 'kept@example.com'`);
    await again.end();
    expect(kept.rowCount).toBe(1);
    second.child.kill('SIGTERM');
    await expectCleanExit(second);
  }, 120_000);
});
