import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { freePort, sleep } from './processes';

/**
 * Postfix's smtp-sink (a C SMTP server that accepts and discards) and smtp-source (a C SMTP client
 * that sends N messages of a given size over S parallel sessions): together they give the loopback
 * SMTP limit of this machine. Debian package `postfix`; the bench skips this part without it.
 */
const BIN_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/sbin'];

export function findPostfixTools(): { sink: string; source: string } | undefined {
  const find = (name: string) => BIN_DIRS.map((d) => `${d}/${name}`).find((p) => fs.existsSync(p));
  const sink = find('smtp-sink');
  const source = find('smtp-source');
  return sink && source ? { sink, source } : undefined;
}

export async function startPostfixSink(binary: string): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  // As root, smtp-sink must drop privileges after binding (-u); `nobody` exists everywhere.
  const userArgs = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
  const child = spawn(binary, [...userArgs, `127.0.0.1:${port}`, '1024'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; !(await connects(port)); i++) {
    if (i > 50 || child.exitCode !== null) throw new Error('smtp-sink did not start');
    await sleep(100);
  }
  return {
    port,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Sends `count` messages of `size` bytes over `sessions` connections (kept open: -d); wall time. */
export async function runSmtpSource(binary: string, opts: { port: number; count: number; sessions: number; size: number }) {
  const args = ['-s', String(opts.sessions), '-m', String(opts.count), '-l', String(opts.size), '-d'];
  args.push('-f', 'newsletter@bench.test', '-t', 'reader@example.test', `127.0.0.1:${opts.port}`);
  const started = Date.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(binary, args, { stdio: 'ignore' });
    child.once('exit', (c) => resolve(c));
  });
  if (code !== 0) throw new Error(`smtp-source exited with ${code}`);
  return { seconds: (Date.now() - started) / 1000 };
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
