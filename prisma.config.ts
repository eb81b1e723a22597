import 'dotenv/config';
import path from 'node:path';
import { defineConfig } from 'prisma/config';

// Prisma's CLI insists on a native schema engine that it downloads on first use. These machines
// cannot download it, so the CLI is pointed at our stand-in, which runs the same engine compiled
// to WebAssembly (scripts/schema-engine). An explicitly configured engine still wins.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(__dirname, 'scripts', 'schema-engine');

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
});
