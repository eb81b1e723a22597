import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';

/** Runs the embedded PostgreSQL for a test run: prints its URL, stops when stdin closes. */
async function main(): Promise<void> {
  const server = await startEmbeddedPostgres({
    dataDir: path.resolve(__dirname, '../../.data/test-postgres'),
    port: Number(process.env.TEST_EMBEDDED_DB_PORT ?? 54330),
    database: 'postgres',
  });
  process.stdout.write(`${server.url}\n`);
  const stop = () => server.stop().then(() => process.exit(0));
  process.stdin.on('end', stop).resume();
  process.on('SIGTERM', stop);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
