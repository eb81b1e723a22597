import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { applyMigrations } from '../../src/db/migrate';
import { openSchemaEngine } from '../../src/db/schema-engine';
import { runPrefix, serverUrl } from '../helpers/test-database';

// Scratch databases live on the test run's server; its user needs CREATEDB (also for the engine's shadow database).
const ADMIN_URL = serverUrl();
const ROOT = path.resolve(__dirname, '../..');
const MIGRATIONS_DIR = path.join(ROOT, 'prisma/migrations');
const SCHEMA_PATH = path.join(ROOT, 'prisma/schema.prisma');
const PROJECT_MIGRATIONS = fs
  .readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

const created: string[] = [];
const tempDirs: string[] = [];

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function scratchDatabase(): Promise<string> {
  const name = `${runPrefix()}_mig_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  created.push(name);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end();
  }
}

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulletin-mig-'));
  tempDirs.push(dir);
  return dir;
}

/** A copy of the project's migrations plus extra ones, e.g. { '20990101000000_broken': 'SELEC 1;' }. */
function migrationsWith(extra: Record<string, string>): string {
  const dir = tempDir();
  fs.cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) {
    fs.mkdirSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

afterAll(async () => {
  await admin(async (c) => {
    for (const name of created) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('applyMigrations', () => {
  test('when the database is empty, then it creates the tables and records each migration as Prisma does', async () => {
    const url = await scratchDatabase();

    const { applied } = await applyMigrations({ databaseUrl: url, migrationsDir: MIGRATIONS_DIR });

    expect(applied).toEqual(PROJECT_MIGRATIONS);
    const tables = await query<{ table_name: string }>(
      url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    expect(tables.map((t) => t.table_name).sort()).toEqual(
      [
        '_prisma_migrations', 'articles', 'consent_statements', 'consents', 'deliveries', 'digests', 'erased_addresses', 'erasure_salt',
        'mail_requests', 'manage_requests', 'newsletters', 'subscribers', 'subscriptions', 'tokens',
        'admin_users', 'admin_sessions', 'admin_user_tokens', 'admin_api_tokens', 'audit_log',
        'console_statistics',
        'feeds',
        'senders',
        'edition_curations',
        'bounce_reports', 'webhook_nonces',
        'webhooks', 'webhook_events', 'webhook_deliveries',
      ].sort(),
    );
    // Same columns, types and nullability as the table Prisma's engine creates.
    const columns = await query(
      url,
      `SELECT column_name, data_type, character_maximum_length AS len, is_nullable, column_default
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', len: 36, is_nullable: 'NO', column_default: null },
      { column_name: 'checksum', data_type: 'character varying', len: 64, is_nullable: 'NO', column_default: null },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'YES', column_default: null },
      { column_name: 'migration_name', data_type: 'character varying', len: 255, is_nullable: 'NO', column_default: null },
      { column_name: 'logs', data_type: 'text', len: null, is_nullable: 'YES', column_default: null },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'YES', column_default: null },
      { column_name: 'started_at', data_type: 'timestamp with time zone', len: null, is_nullable: 'NO', column_default: 'now()' },
      { column_name: 'applied_steps_count', data_type: 'integer', len: null, is_nullable: 'NO', column_default: '0' },
    ]);
    const rows = await query(
      url,
      `SELECT migration_name, checksum, length(id) AS id_length, finished_at >= started_at AS finished,
              logs, rolled_back_at, applied_steps_count
         FROM _prisma_migrations ORDER BY migration_name`,
    );
    expect(rows).toEqual(
      PROJECT_MIGRATIONS.map((name) => ({
        migration_name: name,
        checksum: createHash('sha256').update(fs.readFileSync(path.join(MIGRATIONS_DIR, name, 'migration.sql'))).digest('hex'),
        id_length: 36,
        finished: true,
        logs: null,
        rolled_back_at: null,
        applied_steps_count: 1,
      })),
    );
  });

  test('when it runs a second time, then it applies nothing', async () => {
    const url = await scratchDatabase();
    await applyMigrations({ databaseUrl: url, migrationsDir: MIGRATIONS_DIR });

    const second = await applyMigrations({ databaseUrl: url, migrationsDir: MIGRATIONS_DIR });

    expect(second.applied).toEqual([]);
    const rows = await query<{ count: number }>(url, 'SELECT count(*)::int AS count FROM _prisma_migrations');
    expect(rows[0]?.count).toBe(PROJECT_MIGRATIONS.length);
  });

  test('when two instances start at once on an empty database, then both succeed and each migration is applied once', async () => {
    const url = await scratchDatabase();

    const results = await Promise.all([
      applyMigrations({ databaseUrl: url, migrationsDir: MIGRATIONS_DIR }),
      applyMigrations({ databaseUrl: url, migrationsDir: MIGRATIONS_DIR }),
    ]);

    expect(results.map((r) => r.applied).sort((a, b) => a.length - b.length)).toEqual([[], PROJECT_MIGRATIONS]);
    const rows = await query<{ migration_name: string }>(url, 'SELECT migration_name FROM _prisma_migrations ORDER BY 1');
    expect(rows.map((r) => r.migration_name)).toEqual(PROJECT_MIGRATIONS);
  });

  test('when a migration fails, then it leaves a failed history row, rolls its changes back, and the next run refuses (P3009)', async () => {
    const url = await scratchDatabase();
    const dir = migrationsWith({ '20990101000000_broken': 'CREATE TABLE "half_done" (id int);\nSELEC nonsense;\n' });

    await expect(applyMigrations({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(/P3018.*20990101000000_broken/);

    const [failed] = await query<{ finished_at: Date | null; logs: string; half_done: string | null }>(
      url,
      `SELECT finished_at, logs, to_regclass('half_done')::text AS half_done
         FROM _prisma_migrations WHERE migration_name = '20990101000000_broken'`,
    );
    expect(failed).toMatchObject({ finished_at: null, half_done: null });
    expect(failed!.logs).toMatch(/syntax error at or near "SELEC"/);
    await expect(applyMigrations({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(
      /P3009[\s\S]*`20990101000000_broken` migration started at/,
    );
  });

  test('when an applied migration file was edited, then it warns and applies nothing', async () => {
    const url = await scratchDatabase();
    const dir = migrationsWith({});
    await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    fs.appendFileSync(path.join(dir, PROJECT_MIGRATIONS[0]!, 'migration.sql'), '\n-- edited\n');
    const log: string[] = [];

    const { applied } = await applyMigrations({ databaseUrl: url, migrationsDir: dir, log: (m) => log.push(m) });

    expect(applied).toEqual([]);
    expect(log).toContain(`warning: migration \`${PROJECT_MIGRATIONS[0]}\` was modified after it was applied`);
  });
});

describe('schema drift', () => {
  test('when prisma/migrations is compared with prisma/schema.prisma, then there is no difference', async () => {
    const engine = await openSchemaEngine({ databaseUrl: ADMIN_URL, schemaPath: SCHEMA_PATH });
    try {
      // Not empty? Someone changed schema.prisma without a migration: run `npm run db:make-migration -- <name>`.
      expect(await engine.diffMigrationsToSchema(MIGRATIONS_DIR)).toBe('');
    } finally {
      await engine.close();
    }
  });

  test('when schema.prisma has a change without a migration, then the difference is reported as SQL', async () => {
    const schemaPath = path.join(tempDir(), 'schema.prisma');
    const schema = fs.readFileSync(SCHEMA_PATH, 'utf8');
    const edited = schema.replace(/(model Subscriber \{\n)/, '$1  nickname String? @db.VarChar(50)\n');
    expect(edited).not.toBe(schema);
    fs.writeFileSync(schemaPath, edited);
    const engine = await openSchemaEngine({ databaseUrl: ADMIN_URL, schemaPath });
    try {
      expect(await engine.diffMigrationsToSchema(MIGRATIONS_DIR)).toMatch(
        /ALTER TABLE "subscribers" ADD COLUMN\s+"nickname" VARCHAR\(50\)/,
      );
    } finally {
      await engine.close();
    }
  });
});
