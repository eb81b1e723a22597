import net from 'node:net';
import path from 'node:path';
import { openEmbeddedPostgres, removeServerFiles } from '../../src/db/embedded-postgres';

/**
 * Runs an embedded PostgreSQL for one test run: prints its URL, stops when stdin closes. Each run
 * has its own port and data folder, so several runs on one machine do not meet.
 */
async function main(): Promise<void> {
  const home = path.resolve(__dirname, '../../.data/test-postgres', `run-${process.pid}`);
  const server = await openEmbeddedPostgres({ home, port: await freePort(), database: 'postgres' });
  process.stdout.write(`${server.url}\n`);
  const stop = async () => {
    await server.stop();
    removeServerFiles(home);
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
  console.error(err instanceof Error && err.name === 'EmbeddedPostgresError' ? err.message : err);
  process.exit(1);
});
