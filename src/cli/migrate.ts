// `npm run db:migrate`: applies pending migrations to DATABASE_URL with the pg-only runner.
import fs from 'node:fs';
import path from 'node:path';
import { applyMigrations } from '../db/migrate';

/** prisma/migrations of this project, found from this file (works from src/ and from dist/src/). */
export function defaultMigrationsDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'prisma', 'migrations');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`prisma/migrations not found above ${__dirname}`);
  }
}

/** The work, without argv/env handling, so that start-up code can call it with its own URL. */
export async function migrate(databaseUrl: string, log: (msg: string) => void = console.log): Promise<string[]> {
  const { applied } = await applyMigrations({ databaseUrl, migrationsDir: defaultMigrationsDir(), log });
  return applied;
}

async function main(): Promise<number> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error('db:migrate: DATABASE_URL is not set (e.g. postgresql://user@host:5432/bulletin)');
    return 2;
  }
  try {
    await migrate(databaseUrl);
    return 0;
  } catch (err) {
    console.error(`db:migrate: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) void main().then((code) => (process.exitCode = code));
