import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { spawnBulletin, type BulletinProcess } from '../helpers/spawn-bulletin';
import { freePort } from '../helpers/test-bulletin';
import { SmtpCapture } from '../helpers/smtp-capture';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

/** The exit code, with the last output attached so a failure explains itself. */
async function expectCleanExit(proc: BulletinProcess): Promise<void> {
  const code = await proc.exited;
  expect({ code, output: proc.output().slice(-3000) }).toMatchObject({ code: 0 });
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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulletin-embedded-'));
  // Run as root, PostgreSQL runs as its own user, which must be able to reach the data folder.
  fs.chmodSync(dir, 0o755);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

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

    const client = new pg.Client({ connectionString: `postgresql://postgres:postgres@127.0.0.1:${dbPort}/bulletin` });
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
    const again = new pg.Client({ connectionString: `postgresql://postgres:postgres@127.0.0.1:${dbPort}/bulletin` });
    await again.connect();
    const kept = await again.query(`SELECT 1 FROM subscribers WHERE email = 'kept@example.com'`);
    await again.end();
    expect(kept.rowCount).toBe(1);
    second.child.kill('SIGTERM');
    await expectCleanExit(second);
  }, 120_000);
});
