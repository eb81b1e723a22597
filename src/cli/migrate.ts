// `npm run db:migrate`: applies pending migrations to DATABASE_URL with the pg-only runner.
import { commandEnvironment, loadSettings } from '../config';
import { applyMigrations } from '../db/migrate';
import { migrationsDir } from '../wiring';

async function main(): Promise<number> {
  let databaseUrl: string | undefined;
  try {
    databaseUrl = loadSettings(['DATABASE_URL'], commandEnvironment()).DATABASE_URL;
  } catch (err) {
    console.error(`db:migrate: ${(err as Error).message}`);
    return 2;
  }
  if (!databaseUrl) {
    console.error('db:migrate: DATABASE_URL is not set (e.g. postgresql://user@host:5432/bulletin)');
    return 2;
  }
  try {
    await applyMigrations({ databaseUrl, migrationsDir, log: console.log });
    return 0;
  } catch (err) {
    console.error(`db:migrate: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) void main().then((code) => (process.exitCode = code));
