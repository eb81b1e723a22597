// Applies prisma/migrations with nothing but `pg`, so production start-up needs neither Prisma's CLI nor
// its native engine. The history table is written exactly as Prisma writes it, so `prisma migrate
// status|deploy|dev` keep working on a database migrated by this runner, and the other way round.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { inTransaction } from './transaction';

export interface ApplyMigrationsOptions {
  databaseUrl: string;
  migrationsDir: string;
  log?: (msg: string) => void;
}

/** Same key as Prisma Migrate, so this runner and the official CLI also exclude each other. */
const LOCK_KEY = 72707369;

// Prisma's own DDL for its history table (schema-engine, postgres flavour).
const CREATE_HISTORY_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

// Rows marked rolled back (`prisma migrate resolve --rolled-back`) no longer count, as in Prisma.
const READ_HISTORY = `SELECT migration_name, checksum, finished_at, started_at FROM "_prisma_migrations"
        WHERE rolled_back_at IS NULL ORDER BY started_at`;

// A migration about to run, committed on its own first (applyMigrations says why).
const RECORD_STARTED = `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
         VALUES ($1, $2, $3, now(), 0)`;

// In the migration's own transaction, so the row says finished exactly when the schema changed.
const RECORD_FINISHED = `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = applied_steps_count + 1
            WHERE id = $1`;

// After the rollback, outside any transaction: the reason stays for `prisma migrate status`.
const RECORD_FAILURE = `UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1`;

interface HistoryRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  started_at: Date;
}

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly code: 'P3009' | 'P3018',
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}

/** Migration directories in name order (names start with a timestamp, so this is creation order). */
function readMigrations(dir: string): Array<{ name: string; sql: string; checksum: string }> {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      // Prisma's checksum: sha256 hex of the script as written on disk.
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** Prisma's wording for the `logs` column, so `prisma migrate status` shows the same thing. */
function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code ? `Database error code: ${e.code}\n\nDatabase error:\n${e.message}` : String(e.message ?? err);
}

export async function applyMigrations(opts: ApplyMigrationsOptions): Promise<{ applied: string[] }> {
  const log = opts.log ?? (() => {});
  const migrations = readMigrations(opts.migrationsDir);
  const client = new pg.Client({ connectionString: opts.databaseUrl });
  await client.connect();
  const applied: string[] = [];
  try {
    // Session-level lock: a second instance starting at the same time waits here, then finds the
    // history up to date. Everything below runs on this one connection, inside the lock.
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(CREATE_HISTORY_TABLE);
    const { rows } = await client.query<HistoryRow>(READ_HISTORY);
    const failed = rows.find((r) => r.finished_at === null);
    if (failed) {
      throw new MigrationError(
        `P3009: migrate found failed migrations in the target database, new migrations will not be applied.\n` +
          `The \`${failed.migration_name}\` migration started at ${failed.started_at.toISOString()} failed.\n` +
          `Fix the database by hand, then mark it with \`prisma migrate resolve --rolled-back ${failed.migration_name}\` ` +
          `(or --applied). See https://pris.ly/d/migrate-resolve`,
        'P3009',
      );
    }
    const done = new Map(rows.map((r) => [r.migration_name, r.checksum]));
    for (const m of migrations) {
      const previous = done.get(m.name);
      if (previous !== undefined) {
        // Prisma only warns too: the database already has this migration, whatever the file says now.
        if (previous !== m.checksum) log(`warning: migration \`${m.name}\` was modified after it was applied`);
        continue;
      }
      // The history row is committed BEFORE the script runs: if the process dies or the script fails,
      // a row with finished_at NULL remains and blocks later runs until someone looks (Prisma's P3009).
      const id = randomUUID();
      await client.query(RECORD_STARTED, [id, m.checksum, m.name]);
      log(`applying migration \`${m.name}\``);
      try {
        // One transaction per migration: a failure leaves no half-applied schema behind.
        await inTransaction(client, async (tx) => {
          await tx.query(m.sql); // simple protocol: multi-statement scripts are allowed
          await tx.query(RECORD_FINISHED, [id]);
        });
      } catch (err) {
        await client.query(RECORD_FAILURE, [id, describe(err)]);
        throw new MigrationError(
          `P3018: migration \`${m.name}\` failed to apply; no further migrations were applied.\n${describe(err)}`,
          'P3018',
        );
      }
      applied.push(m.name);
    }
    log(applied.length ? `applied ${applied.length} migration(s)` : 'no pending migrations');
    return { applied };
  } finally {
    // Ending the session releases the advisory lock even if the unlock itself cannot be sent.
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    await client.end().catch(() => {});
  }
}
