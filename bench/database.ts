import path from 'node:path';
import pg from 'pg';
import { applyMigrations } from '../src/db/migrate';
import { projectRoot } from './processes';

export interface BenchDatabase {
  /** URL of the fresh, migrated database of this run. */
  url: string;
  /** Where the server came from, for the report. */
  server: 'DATABASE_URL' | 'local' | 'embedded';
  serverVersion: string;
  stop(): Promise<void>;
}

const LOCAL_SERVER = 'postgresql://postgres@127.0.0.1:5432/postgres';
// One database per bench process, so two bench runs on one server never drop each other's data.
const BENCH_DATABASE = `bulletin_bench_${process.pid}`;

/**
 * DATABASE_URL's server if set, else a local PostgreSQL on 5432 if it answers, else the embedded
 * one. Either way a fresh database `bulletin_bench` is created on it and migrated, so every bench
 * run starts from the same empty schema.
 */
export async function openBenchDatabase(log: (msg: string) => void): Promise<BenchDatabase> {
  let adminUrl: string;
  let server: BenchDatabase['server'];
  let stopServer = async () => {};
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
    server = 'DATABASE_URL';
  } else if (await answers(LOCAL_SERVER)) {
    adminUrl = LOCAL_SERVER;
    server = 'local';
  } else {
    log('no PostgreSQL on 127.0.0.1:5432: starting the embedded one');
    // Loaded only when needed, as src/db/connect.ts does.
    const { openEmbeddedPostgres }: typeof import('../src/db/embedded-postgres') = require('../src/db/embedded-postgres');
    const embedded = await openEmbeddedPostgres({ home: path.join(projectRoot, '.data', 'bench'), port: 54339, database: 'postgres' });
    adminUrl = embedded.url;
    server = 'embedded';
    stopServer = embedded.stop;
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  let serverVersion: string;
  try {
    serverVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
    await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${BENCH_DATABASE}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, BENCH_DATABASE);
  await applyMigrations({ databaseUrl: url, migrationsDir: path.join(projectRoot, 'prisma', 'migrations') });
  const dropDatabase = async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${BENCH_DATABASE} WITH (FORCE)`).finally(() => client.end());
  };
  return { url, server, serverVersion, stop: () => dropDatabase().then(stopServer) };
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A standalone bench script's frame: a fresh database (openBenchDatabase) and a pool on it for
 * `body`, both closed however it ends; a failure is printed and exits 1.
 */
export function runOnBenchDatabase(
  log: (msg: string) => void,
  poolConfig: Omit<pg.PoolConfig, 'connectionString'>,
  body: (pool: pg.Pool, db: BenchDatabase) => Promise<void>,
): void {
  const run = async () => {
    const db = await openBenchDatabase(log);
    const pool = new pg.Pool({ ...poolConfig, connectionString: db.url });
    try {
      await body(pool, db);
    } finally {
      await pool.end();
      await db.stop();
    }
  };
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
