/**
 * Part `alert`: breaking news to an alert newsletter of N confirmed subscribers (10,000 by
 * default). Bulletin runs as `npm start` does, in its own process; the bench posts a breaking
 * article through the admin API (POST /api/admin/articles with `breaking: true`) and times from
 * that call to the first message the SMTP sink accepts (the target: under 5 s), and to the
 * last. The path measured is the whole one: the write, the pg-boss job, the alert's render and
 * ledger, the sender waking and its first claim.
 */
import { startBulletin } from './bulletin';
import type { BenchContext } from './context';
import type { Target } from './report';
import { sleep } from './processes';
import type { SinkStats } from './smtp-sink';
import { median, round } from './stats';

const TARGET_FIRST_MESSAGE_MS = 5000;
const NEWSLETTER = 'bench-alerts';

export interface AlertRun {
  /** From the admin POST to the first message accepted by the sink. */
  firstMessageMs: number;
  /** The POST itself (article written, job queued). */
  apiMs: number;
  /** From the admin POST to the last message accepted. */
  lastMessageMs: number;
  msgsPerSec: number;
}

export interface AlertResult {
  subscribers: number;
  runs: AlertRun[];
  median: AlertRun;
}

export async function benchAlertLatency(ctx: BenchContext): Promise<AlertResult> {
  const n = ctx.subscribers;
  await seed(ctx, n);
  const runs: AlertRun[] = [];
  for (let i = 1; i <= ctx.runs; i++) {
    const run = await alertOnce(ctx, n, i);
    runs.push(run);
    ctx.log(`alert run ${i}: first message ${run.firstMessageMs} ms (API ${run.apiMs} ms), last ${run.lastMessageMs} ms, ${run.msgsPerSec} msg/s`);
  }
  const pick = (k: keyof AlertRun) => median(runs.map((r) => r[k]));
  return {
    subscribers: n,
    runs,
    median: { firstMessageMs: pick('firstMessageMs'), apiMs: pick('apiMs'), lastMessageMs: pick('lastMessageMs'), msgsPerSec: pick('msgsPerSec') },
  };
}

export function alertTargets(a: AlertResult): Target[] {
  return [
    {
      name: `Breaking-news alert: first message < 5 s after the API call at ${a.subscribers.toLocaleString('en')} subscribers`,
      measured: `${a.median.firstMessageMs} ms`,
      met: a.median.firstMessageMs < TARGET_FIRST_MESSAGE_MS,
    },
  ];
}

export function renderAlert(a: AlertResult): string[] {
  const out = [
    '',
    `**Breaking-news alert**: POST /api/admin/articles with \`breaking: true\` to an alert newsletter of ${a.subscribers.toLocaleString('en')} confirmed subscribers; times from the API call.`,
    '',
    '| Run | API ms | first message ms | last message ms | msg/s |',
    '|---|---:|---:|---:|---:|',
  ];
  const row = (name: string, r: AlertRun) => `| ${name} | ${r.apiMs} | ${r.firstMessageMs} | ${r.lastMessageMs} | ${r.msgsPerSec} |`;
  a.runs.forEach((r, i) => out.push(row(String(i + 1), r)));
  out.push(row('median', a.median));
  return out;
}

/** One alert newsletter and N confirmed readers subscribed to it (one statement each). */
async function seed(ctx: BenchContext, subscribers: number): Promise<void> {
  await ctx.pool.query('TRUNCATE subscribers, articles, digests, deliveries, tokens, consents RESTART IDENTITY CASCADE');
  await ctx.pool.query(`DELETE FROM newsletters WHERE slug = $1`, [NEWSLETTER]);
  await ctx.pool.query(
    `INSERT INTO newsletters (slug, name, kind, categories, updated_at) VALUES ($1, 'Breaking News', 'alert', ARRAY['City'], now())`,
    [NEWSLETTER],
  );
  await ctx.pool.query(
    `WITH s AS (
       INSERT INTO subscribers (email, status, confirmed_at, updated_at)
       SELECT 'alert-reader' || g || '@example.test', 'confirmed', now(), now() FROM generate_series(1, $1) g
       RETURNING id
     )
     INSERT INTO subscriptions (subscriber_id, newsletter_id) SELECT s.id, n.id FROM s, newsletters n WHERE n.slug = $2`,
    [subscribers, NEWSLETTER],
  );
  await ctx.pool.query('VACUUM ANALYZE subscribers');
  await ctx.pool.query('VACUUM ANALYZE subscriptions');
}

/** One breaking article through a fresh Bulletin process; resolves when every reader has it. */
async function alertOnce(ctx: BenchContext, n: number, run: number): Promise<AlertRun> {
  // The articles too: a breaking article of the last hour without its alert (the edition was
  // truncated) would be sent again by the start-up catch-up, before the run's own.
  await ctx.pool.query('TRUNCATE digests, deliveries, articles RESTART IDENTITY CASCADE');
  await ctx.sink.request('reset');
  const bulletin = await startBulletin({ databaseUrl: ctx.db.url, smtpPort: ctx.sinkPort, runJobs: true });
  try {
    await sleep(1000); // start-up work (catch-up, queue set-up) settles
    const t0 = Date.now();
    const response = await fetch(`${bulletin.url}/api/admin/articles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bulletin.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        title: `Flood barrier fails on the east bank, residents told to move to higher ground (${run})`,
        url: `https://news.example.test/breaking/flood-${run}-${t0}`,
        summary: 'Emergency services are going door to door; the river is expected to peak at midnight.',
        author: 'Alex Reporter',
        categories: ['City'],
        breaking: true,
      }),
    });
    const apiMs = Date.now() - t0;
    if (response.status !== 201) throw new Error(`POST /api/admin/articles answered ${response.status}: ${await response.text()}`);
    const stats = await ctx.sink.request<SinkStats>('waitFor', { count: n, timeoutMs: Math.max(120_000, n * 10) });
    if (stats.messages < n) throw new Error(`only ${stats.messages} of ${n} alert messages arrived`);
    return {
      firstMessageMs: stats.first - t0,
      apiMs,
      lastMessageMs: stats.last - t0,
      msgsPerSec: round(n / ((stats.last - t0) / 1000)),
    };
  } finally {
    await bulletin.stop();
  }
}
