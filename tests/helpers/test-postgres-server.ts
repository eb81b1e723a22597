import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';

/**
 * Runs an embedded PostgreSQL for one test run: prints its URL, stops when stdin closes. Each run
 * has its own port and data folder, so several runs on one machine do not meet.
 */
async function main(): Promise<void> {
  const dataDir = path.resolve(__dirname, '../../.data/test-postgres', `run-${process.pid}`);
  const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), database: 'postgres' });
  process.stdout.write(`${server.url}\n`);
  const stop = async () => {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.stdin.on('end', stop).resume();
  process.on('SIGTERM', stop);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
