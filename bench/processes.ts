import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const projectRoot = path.resolve(__dirname, '..');

/**
 * A child process of the bench. Everything measured runs in its own process, so the load generator
 * or the SMTP sink never shares an event loop with the code under test.
 */
export interface Child {
  readonly pid: number;
  readonly process: ChildProcess;
  /** Sends a command to a child that called serve() and resolves with its answer. */
  request<T = unknown>(command: string, args?: object): Promise<T>;
  /** Memory of the child right now, from /proc/<pid>/status. */
  memory(): { rssMb: number; peakRssMb: number };
  /** SIGTERM (graceful shutdown), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  output(): string;
}

let nextRequestId = 0;

/** Runs `node --import tsx <file>` (a bench worker, straight from TypeScript) with an IPC channel. */
export function spawnTs(file: string, env: Record<string, string>, nodeArgs: string[] = []): Child {
  return spawnNode(file, env, [...nodeArgs, '--import', 'tsx']);
}

/** Runs `node <file>` with an IPC channel: `dist/main.js` is Bulletin the way `npm start` runs it. */
export function spawnNode(file: string, env: Record<string, string>, nodeArgs: string[] = []): Child {
  const child = spawn(process.execPath, [...nodeArgs, file], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pending = new Map<number, { resolve: (v: never) => void; reject: (e: Error) => void }>();
  child.on('message', (msg: { id?: number; result?: unknown; error?: string }) => {
    const waiter = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!waiter) return;
    pending.delete(msg.id!);
    if (msg.error) waiter.reject(new Error(msg.error));
    else waiter.resolve(msg.result as never);
  });
  void exited.then(() => {
    for (const w of pending.values()) w.reject(new Error(`${path.basename(file)} exited:\n${out}`));
    pending.clear();
  });
  return {
    pid: child.pid!,
    process: child,
    request: (command, args = {}) =>
      new Promise((resolve, reject) => {
        const id = ++nextRequestId;
        pending.set(id, { resolve, reject });
        child.send({ id, command, args });
      }),
    memory: () => readMemory(child.pid!),
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    output: () => out,
  };
}

/** Child side: answers the parent's requests with these handlers, then says it is ready. */
export function serve(handlers: Record<string, (args: never) => unknown>, ready: object = {}): void {
  process.on('message', async (msg: { id: number; command: string; args: never }) => {
    try {
      const handler = handlers[msg.command];
      if (!handler) throw new Error(`unknown command ${msg.command}`);
      process.send!({ id: msg.id, result: await handler(msg.args) });
    } catch (err) {
      process.send!({ id: msg.id, error: (err as Error).stack ?? String(err) });
    }
  });
  process.send!({ id: 0, result: ready });
}

/** Waits for the `ready` message that serve() sends first. */
export function ready<T = Record<string, unknown>>(child: Child, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child not ready in ${timeoutMs} ms:\n${child.output()}`)), timeoutMs);
    const onMessage = (msg: { id?: number; result?: T }) => {
      if (msg.id !== 0) return;
      clearTimeout(timer);
      child.process.off('message', onMessage);
      resolve(msg.result as T);
    };
    child.process.on('message', onMessage);
    child.process.once('exit', () => reject(new Error(`child exited before ready:\n${child.output()}`)));
  });
}

/** VmRSS (now) and VmHWM (the peak since the process started), in MB. */
export function readMemory(pid: number): { rssMb: number; peakRssMb: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `url` until it answers 200 (a service spawned as a plain process has no IPC to say so). */
export async function waitForHttp(url: string, child: Child, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.process.exitCode !== null) throw new Error(`process exited before answering ${url}:\n${child.output()}`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${child.output()}`);
    await sleep(100);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
