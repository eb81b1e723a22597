import path from 'node:path';
import pg from 'pg';
import { applyMigrations } from '../../src/db/migrate';
import { startJobQueue } from '../../src/jobs/job-queue';
import { createLogger } from '../../src/shared/logger';
import { databaseUrl, serverUrl, templateDatabase } from './test-database';

/** Builds the migrated template that every test file's database is copied from. */
async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${templateDatabase()}"`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(templateDatabase());
  await applyMigrations({ databaseUrl: url, migrationsDir: path.resolve(__dirname, '../../prisma/migrations') });
  // pg-boss creates its schema on first start; doing it once here saves every test file the time.
  const boss = await startJobQueue({ connectionString: url, logger: createLogger('silent'), schedule: false });
  await boss.stop({ graceful: false, close: true });
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
