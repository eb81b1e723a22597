import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { spawnBulletin } from '../helpers/spawn-bulletin';
import { freePort } from '../helpers/test-bulletin';
import { serverUrl } from '../helpers/test-database';
import { openEmbeddedPostgres, removeServerFiles } from '../../src/db/embedded-postgres';

/** The embedded database of a DATA_DIR, with the password its first start generated. */
function embeddedUrl(dataDir: string, port: number): string {
  const password = fs.readFileSync(path.join(dataDir, 'postgres-password'), 'utf8').trim();
  return `postgresql://postgres:${password}@127.0.0.1:${port}/bulletin`;
}

async function countArticles(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM articles')).rows[0]!.n);
  } finally {
    await client.end();
  }
}

/** Lines a user would read as something going wrong: error-level logs, stack frames, Node's warnings. */
function troubleIn(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => /"level":(50|60)|^\s+at |Error|ECONNRESET|Unhandled|Warning/.test(line));
}

describe('the embedded PostgreSQL, run the way a newcomer runs it', () => {
  // mkdtemp makes the folder 0700: as root, the default for a checkout in /root or a `mktemp -d`
  // folder, which the postgres user PostgreSQL runs as cannot enter.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulletin-private-'));
  const homes: string[] = [];
  const home = (name: string) => {
    const dataDir = path.join(dir, name);
    homes.push(dataDir);
    return dataDir;
  };
  afterAll(() => {
    homes.forEach((h) => removeServerFiles(h));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('when the data folder is private and Ctrl-C reaches the whole process group, then HTTP, jobs and the database stop in order, with exit code 0 and no error output', async () => {
    const dataDir = home('ctrl-c');
    const app = spawnBulletin(
      { DATA_DIR: dataDir, OUTBOX_DIR: path.join(dir, 'outbox'), EMBEDDED_DB_PORT: String(await freePort()), PORT: String(await freePort()) },
      { detached: true },
    );
    await app.waitForLog('Bulletin is running', 60_000);

    process.kill(-app.child.pid!, 'SIGINT');
    const code = await app.exited;
    expect({ code, trouble: troubleIn(app.output()) }).toEqual({ code: 0, trouble: [] });
    expect(app.output()).toContain('"msg":"stopped"');
    // The database was stopped by Bulletin, last, not left running.
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  }, 120_000);

  test('when one Ctrl-C arrives twice (from the terminal and from npm, which forwards it), then it still stops gracefully with exit code 0', async () => {
    const app = spawnBulletin(
      { DATA_DIR: home('twice'), OUTBOX_DIR: path.join(dir, 'outbox'), EMBEDDED_DB_PORT: String(await freePort()), PORT: String(await freePort()) },
      { detached: true },
    );
    await app.waitForLog('Bulletin is running', 60_000);
    process.kill(-app.child.pid!, 'SIGINT');
    await app.waitForLog('shutting down');
    app.child.kill('SIGINT');
    const code = await app.exited;
    expect({ code, trouble: troubleIn(app.output()) }).toEqual({ code: 0, trouble: [] });
    expect(app.output()).toContain('"msg":"stopped"');
  }, 120_000);

  test('when a command runs beside the service on the same DATA_DIR, then it finds that database without being told its port', async () => {
    const dataDir = home('beside');
    const dbPort = await freePort();
    const app = spawnBulletin({ DATA_DIR: dataDir, OUTBOX_DIR: path.join(dir, 'outbox'), EMBEDDED_DB_PORT: String(dbPort), PORT: String(await freePort()) });
    await app.waitForLog('Bulletin is running', 60_000);
    try {
      // Only DATA_DIR: no EMBEDDED_DB_PORT, no credentials.
      const command = spawnBulletin({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, { entry: ['src/cli/sample-articles.ts'] });
      expect({ code: await command.exited, output: command.output() }).toMatchObject({ code: 0 });
      expect(await countArticles(embeddedUrl(dataDir, dbPort))).toBeGreaterThan(0);
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
  }, 120_000);

  test('when another PostgreSQL answers on EMBEDDED_DB_PORT, then a command refuses it with one sentence and writes nothing there', async () => {
    const foreign = new URL(serverUrl());
    const command = spawnBulletin(
      { DATA_DIR: home('foreign'), EMBEDDED_DB_PORT: foreign.port, LOG_LEVEL: 'warn' },
      { entry: ['src/cli/sample-articles.ts'] },
    );
    const code = await command.exited;
    expect({ code, output: command.output().trim() }).toEqual({
      code: 1,
      output: `sample:articles: Port ${foreign.port} is taken by another program: set EMBEDDED_DB_PORT to a free port, or stop that program.`,
    });
  }, 120_000);

  const asRoot = process.getuid?.() === 0 ? test : test.skip; // only root hands PostgreSQL to another user
  asRoot('when, as root, a cluster made in place by an older version sits in a private folder, then start-up stops with one sentence that says what to do', async () => {
    const dataDir = home('in-place');
    fs.mkdirSync(path.join(dataDir, 'postgres'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'postgres', 'PG_VERSION'), '17\n');
    const app = spawnBulletin({ DATA_DIR: dataDir, EMBEDDED_DB_PORT: String(await freePort()), PORT: String(await freePort()) });
    const code = await app.exited;
    const lines = app.output().trim().split('\n');
    expect({ code, lines }).toEqual({
      code: 1,
      lines: [expect.stringMatching(/^PostgreSQL runs as the postgres user, which cannot reach .*: move the data folder out of a private folder/)],
    });
  }, 60_000);
});

describe('a data folder made by an earlier version (password postgres, no password file)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulletin-legacy-'));
  const dataDir = path.join(dir, 'data');
  afterAll(() => {
    removeServerFiles(dataDir);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('when it starts again, then its data is kept and the well-known password is replaced by a random one', async () => {
    const port = await freePort();
    const first = await openEmbeddedPostgres({ home: dataDir, port });
    const client = new pg.Client({ connectionString: first.url });
    await client.connect();
    await client.query('CREATE TABLE kept (note text)');
    await client.query(`INSERT INTO kept VALUES ('from before')`);
    // Turn it into what earlier versions left behind.
    await client.query(`ALTER ROLE postgres PASSWORD 'postgres'`);
    await client.end();
    await first.stop();
    fs.rmSync(path.join(dataDir, 'postgres-password'));

    const again = await openEmbeddedPostgres({ home: dataDir, port });
    try {
      const reader = new pg.Client({ connectionString: again.url });
      await reader.connect();
      const { rows } = await reader.query<{ note: string }>('SELECT note FROM kept');
      await reader.end();
      expect(rows).toEqual([{ note: 'from before' }]);
      const password = fs.readFileSync(path.join(dataDir, 'postgres-password'), 'utf8').trim();
      expect(password).not.toBe('postgres');
      const old = new pg.Client({ connectionString: `postgresql://postgres:postgres@127.0.0.1:${port}/bulletin` });
      old.on('error', () => {});
      await expect(old.connect()).rejects.toThrow(/password authentication failed/);
      await old.end().catch(() => {});
    } finally {
      await again.stop();
    }
  }, 120_000);
});
