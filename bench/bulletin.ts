import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, projectRoot, spawnNode, waitForHttp, type Child } from './processes';

export interface BulletinProcess extends Child {
  url: string;
  adminToken: string;
}

/**
 * Bulletin as a user runs it (`npm start`: the compiled build, node with start's flags and
 * dist/main.js), in its own process.
 *
 * Bench-only settings: the public rate limits are raised (per IP 100,000 per 1-second window, per
 * address 1,000) because every request of the load generator comes from 127.0.0.1; the digest
 * schedules point at 1 January so the start-up catch-up never composes an edition by itself (the
 * bench composes through the admin API). Everything else keeps its default.
 */
export async function startBulletin(opts: {
  databaseUrl: string;
  smtpPort: number;
  runJobs: boolean;
  env?: Record<string, string>;
  nodeArgs?: string[];
  /** Another build to run instead of this checkout's (the timing part's `--before`). */
  mainJs?: string;
}): Promise<BulletinProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const adminToken = crypto.randomBytes(24).toString('hex');
  const child = spawnNode(
    opts.mainJs ?? 'dist/main.js',
    {
      DATABASE_URL: opts.databaseUrl,
      SECRET_KEY: benchSecretKey,
      SMTP_URL: `smtp://127.0.0.1:${opts.smtpPort}`,
      MAIL_POSTAL_ADDRESS: 'Bench Press, 1 Test Street, Testville',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: url,
      ADMIN_TOKEN: adminToken,
      RUN_JOBS: String(opts.runJobs),
      RATE_LIMIT_PER_IP: '100000',
      RATE_LIMIT_PER_ADDRESS: '1000',
      RATE_LIMIT_WINDOW_SECONDS: '1',
      DIGEST_DAILY_CRON: '0 0 1 1 *',
      DIGEST_WEEKLY_CRON: '0 0 1 1 *',
      // Node flags to try on Bulletin (e.g. --max-semi-space-size=8) without changing `npm start`;
      // a flag that start gives on its command line wins over the same one here.
      ...(process.env.BENCH_BULLETIN_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_BULLETIN_NODE_OPTIONS } : {}),
      ...opts.env,
    },
    [...START_NODE_FLAGS, ...(opts.nodeArgs ?? [])],
  );
  await waitForHttp(`${url}/readyz`, child);
  return Object.assign(child, { url, adminToken });
}

/** The Node flags of package.json's `start` script (between `node` and `dist/main.js`), read once. */
const START_NODE_FLAGS: readonly string[] = (() => {
  const start = (JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const words = start.trim().split(/\s+/);
  return words.slice(1, words.indexOf('dist/main.js'));
})();

export const benchSecretKey = crypto.randomBytes(32).toString('hex');

/**
 * The entry point of the build in `dir` (`--before DIR`: an older checkout with `npm run build`
 * done in it), checked before a part spends minutes seeding.
 */
export function builtMainJs(dir: string): string {
  const mainJs = path.resolve(dir, 'dist', 'main.js');
  if (!fs.existsSync(mainJs)) throw new Error(`--before ${dir}: no dist/main.js there (run npm run build in it first)`);
  return mainJs;
}

/** Compiles src/ to dist/ once per bench run (what `npm start` does before it starts). */
export function buildBulletin(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: projectRoot, stdio: 'inherit' });
}
