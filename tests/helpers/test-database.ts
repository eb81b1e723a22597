import crypto from 'node:crypto';
import pg from 'pg';
import { loadSettings } from '../../src/config';
import { openPool, type Database } from '../../src/db/database';

/**
 * Every test file gets a database of its own, copied from a template that global setup migrated
 * once: files cannot see each other's rows, so they pass in any order and in parallel.
 */
/** Names carry the run's id, so runs sharing one server (TEST_DATABASE_URL) never touch each other. */
export function runPrefix(): string {
  const run = process.env.BULLETIN_TEST_RUN_ID;
  if (!run) throw new Error('BULLETIN_TEST_RUN_ID is not set: run the tests through `npm test`');
  return `bulletin_test_${run}`;
}

export function templateDatabase(): string {
  return `${runPrefix()}_template`;
}

export function serverUrl(): string {
  const url = process.env.BULLETIN_TEST_SERVER_URL;
  if (!url) throw new Error('BULLETIN_TEST_SERVER_URL is not set: run the tests through `npm test`');
  return url;
}

export function databaseUrl(name: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `${runPrefix()}_${crypto.randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${templateDatabase()}"`));
  return {
    name,
    url: databaseUrl(name),
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
}

/**
 * Test instances wait up to 10 s for a database connection or query instead of the default 1 s:
 * on a loaded test machine (two Chromiums beside two workers) opening a connection took over a
 * second, and a feed poll failed on it. What the 1 s defaults do is tested where it is the
 * subject, with defaults of its own (database-stall.test.ts).
 */
export const PATIENT_DATABASE = { DATABASE_CONNECT_TIMEOUT_MS: '10000', DATABASE_QUERY_TIMEOUT_MS: '10000' } as const;

/** A test's own pool on a test database, as patient as the test instances (PATIENT_DATABASE). */
export function openTestPool(url: string, size: number): Database {
  const timeouts = loadSettings(['DATABASE_CONNECT_TIMEOUT_MS', 'DATABASE_QUERY_TIMEOUT_MS'], PATIENT_DATABASE);
  return openPool(url, size, () => {}, { connectMs: timeouts.DATABASE_CONNECT_TIMEOUT_MS, queryMs: timeouts.DATABASE_QUERY_TIMEOUT_MS });
}
