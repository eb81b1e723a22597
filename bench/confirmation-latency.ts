/**
 * Part 2, confirmation latency: from the response to a signup to the moment the SMTP sink accepts
 * that address's confirmation email, under a steady open-loop load of 100 signups per second.
 * Bulletin runs as `npm start` does (RUN_JOBS=true: the same process answers and sends).
 *
 * The load is paced by the clock (request i leaves at start + i/rate, whether or not earlier ones
 * answered), so a slow server cannot slow the load down and hide its own queueing. An email that
 * has not arrived DRAIN_SECONDS after the load ends counts as infinitely late (null in the JSON).
 */
import { startBulletin, type BulletinProcess } from './bulletin';
import { resetData, type BenchContext } from './context';
import { sleep } from './processes';
import { medianOf, percentile, round } from './stats';

const RATE = 100;
const DRAIN_SECONDS = 30;

export interface LatencyRun {
  signups: number;
  /** Signups answered 2xx whose confirmation had not arrived DRAIN_SECONDS after the load. */
  missing: number;
  /** Confirmation emails accepted per second while the load ran. */
  sentPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** p99 of the signup responses themselves under this load. */
  signupP99Ms: number;
}

export interface ConfirmationResult {
  rate: number;
  durationSeconds: number;
  drainSeconds: number;
  runs: LatencyRun[];
  median: LatencyRun;
}

export async function benchConfirmationLatency(ctx: BenchContext): Promise<ConfirmationResult> {
  await resetData(ctx.pool);
  const durationSeconds = Math.round(ctx.durationSeconds * 1.5);
  const bulletin = await startBulletin({ databaseUrl: ctx.db.url, smtpPort: ctx.sinkPort, runJobs: true });
  try {
    await measure(ctx, bulletin, 'warmup', Math.min(3, durationSeconds));
    const runs: LatencyRun[] = [];
    for (let i = 1; i <= ctx.runs; i++) {
      const run = await measure(ctx, bulletin, `confirm-run${i}`, durationSeconds);
      runs.push(run);
      ctx.log(
        `confirmation run ${i}: p50 ${run.p50Ms} ms, p95 ${run.p95Ms} ms, ${run.sentPerSecond} emails/s during the load, ` +
          `missing ${run.missing} of ${run.signups}`,
      );
    }
    return { rate: RATE, durationSeconds, drainSeconds: DRAIN_SECONDS, runs, median: medianOf(runs) };
  } finally {
    await bulletin.stop();
  }
}

async function measure(ctx: BenchContext, bulletin: BulletinProcess, prefix: string, seconds: number): Promise<LatencyRun> {
  await ctx.sink.request('reset', { record: true });
  const answered = new Map<string, number>();
  const responseMs: number[] = [];
  const total = RATE * seconds;
  const start = Date.now();
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    const email = `${prefix}-${i}@example.test`;
    inFlight.push(
      fetch(`${bulletin.url}/subscribe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, newsletters: ['daily'] }),
      }).then(
        async (res) => {
          await res.arrayBuffer();
          const now = Date.now();
          responseMs.push(now - due);
          if (res.ok) answered.set(email, now);
        },
        () => {},
      ),
    );
  }
  const loadEnd = start + seconds * 1000;
  await Promise.all(inFlight);
  await ctx.sink.request('waitFor', { count: answered.size, timeoutMs: DRAIN_SECONDS * 1000 });
  const arrivals = new Map(await ctx.sink.request<Array<[string, number]>>('arrivals'));
  // What is still queued would delay the next run: it is not this run's to measure any more.
  await ctx.pool.query(`DELETE FROM mail_requests WHERE kind = 'confirmation'`);
  await ctx.pool.query(`DELETE FROM pgboss.job WHERE name = 'subscription-confirmation-email' AND state IN ('created', 'retry')`);
  const latencies = [...answered].map(([email, at]) => {
    const arrived = arrivals.get(email);
    return arrived === undefined ? Infinity : arrived - at;
  });
  return {
    signups: answered.size,
    missing: latencies.filter((l) => l === Infinity).length,
    sentPerSecond: round([...arrivals.values()].filter((t) => t <= loadEnd).length / seconds, 1),
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    signupP99Ms: round(percentile(responseMs, 99)),
  };
}
