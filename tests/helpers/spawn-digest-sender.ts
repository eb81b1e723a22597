import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { TestBulletin } from './test-bulletin';

/**
 * Starts tests/helpers/digest-sender-process.ts as its own process against `app`'s database and
 * SMTP peer, with `env` on top (SEND_CONCURRENCY, SENDER_LEASE_SECONDS...). `ready` resolves once
 * it sends (its first line), and rejects if it exits first; `child` is there at once, to kill.
 */
export function spawnDigestSender(app: TestBulletin, env: Record<string, string>): { child: ChildProcess; ready: Promise<ChildProcess> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'digest-sender-process.ts')], {
    env: {
      ...process.env,
      DATABASE_URL: app.db.url,
      SMTP_URL: app.smtp.url,
      MAIL_POSTAL_ADDRESS: app.config.MAIL_POSTAL_ADDRESS!,
      SECRET_KEY: app.config.SECRET_KEY!,
      PUBLIC_URL: app.config.PUBLIC_URL,
      LOG_LEVEL: 'silent',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<ChildProcess>((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`sender exited early with ${code}`)));
  });
  return { child, ready };
}
