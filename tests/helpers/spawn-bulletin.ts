import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

export interface BulletinProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the log line (parsed JSON) whose msg matches, rejects if the process exits first. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

/**
 * Runs the service from src/ (what `npm start` runs once compiled) as a separate process, the way a
 * supervisor would; `entry` runs another entry point (a CLI) the same way.
 */
export function spawnBulletin(env: Record<string, string>, options: { detached?: boolean; entry?: string[] } = {}): BulletinProcess {
  const entry = options.entry ?? ['src/main.ts'];
  const child = spawn(process.execPath, ['--import', 'tsx', ...entry], {
    cwd: root,
    // MAIL_POSTAL_ADDRESS: required with SMTP_URL, which most spawned instances use.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', MAIL_POSTAL_ADDRESS: '1 Example Street, Testville', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // detached: a process group of its own, as a terminal gives to the command it runs.
    detached: options.detached ?? false,
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    listeners.forEach((l) => l());
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const findLog = (msg: string) =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === msg);

  return {
    child,
    output: () => out,
    exited,
    waitForLog(msg, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = findLog(msg);
          if (found) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no log "${msg}" within ${timeoutMs} ms; output:\n${out}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then(() => {
          if (!findLog(msg)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`process exited before logging "${msg}"; output:\n${out}`));
          }
        });
        check();
      });
    },
  };
}
