/**
 * Part 1, signup throughput: POST /subscribe (JSON and the urlencoded form) at 50 connections for a
 * fixed time, against Bulletin in its own process, and in the same run against the baseline (a bare
 * Express 5 route doing one INSERT). Bulletin runs as a web instance (RUN_JOBS=false): the request
 * path is measured here; sending the confirmation emails is part 2.
 */
import { startBulletin } from './bulletin';
import type { BenchContext } from './context';
import { load, signupRequests, type BodyKind, type LoadFigures } from './load';
import { ready, spawnTs } from './processes';
import { median as medianOfList, medianOf, round } from './stats';

export interface SignupResult {
  connections: number;
  durationSeconds: number;
  runs: Record<string, LoadFigures[]>;
  median: Record<string, LoadFigures>;
  ratios: Record<BodyKind, { reqPerSec: number; p99: number }>;
  /** Sanity check: rows written by Bulletin = its 2xx answers (every request had a new address). */
  subscribersWritten: number;
  bulletinAccepted: number;
}

const CONNECTIONS = 50;
const WARMUP_SECONDS = 3;

export async function benchSignup(ctx: BenchContext): Promise<SignupResult> {
  const bulletin = await startBulletin({ databaseUrl: ctx.db.url, smtpPort: ctx.sinkPort, runJobs: false });
  const baseline = spawnTs('bench/workers/express-baseline.ts', { DATABASE_URL: ctx.db.url, POOL_SIZE: '10' });
  try {
    const { port } = await ready<{ port: number }>(baseline);
    const targets = [
      { name: 'baseline-json', url: `http://127.0.0.1:${port}`, kind: 'json' as const },
      { name: 'bulletin-json', url: bulletin.url, kind: 'json' as const },
      { name: 'baseline-form', url: `http://127.0.0.1:${port}`, kind: 'form' as const },
      { name: 'bulletin-form', url: bulletin.url, kind: 'form' as const },
    ];
    const run = (t: (typeof targets)[number], label: string, seconds: number) =>
      load({ url: t.url, requests: signupRequests(t.kind, `${t.name}-${label}`), connections: CONNECTIONS, durationSeconds: seconds });

    // JIT, pools and caches warm up before anything is recorded.
    for (const t of targets) await run(t, 'warmup', WARMUP_SECONDS);
    const runs: Record<string, LoadFigures[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
    for (let i = 1; i <= ctx.runs; i++) {
      for (const t of targets) {
        const figures = await run(t, `run${i}`, ctx.durationSeconds);
        runs[t.name]!.push(figures);
        ctx.log(`signup run ${i} ${t.name}: ${figures.reqPerSec} req/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, errors ${figures.errors}`);
      }
    }
    const median: Record<string, LoadFigures> = Object.fromEntries(Object.entries(runs).map(([name, r]) => [name, medianOf(r)]));
    // Ratios are taken run by run (Bulletin against the baseline measured just before it), then
    // the median: drift of a noisy machine between runs cancels out.
    const ratio = (kind: BodyKind) => {
      const pairs = runs[`bulletin-${kind}`]!.map((b, i) => [b, runs[`baseline-${kind}`]![i]!] as const);
      return {
        reqPerSec: round(medianOfList(pairs.map(([b, base]) => b.reqPerSec / base.reqPerSec)), 2),
        p99: round(medianOfList(pairs.map(([b, base]) => b.p99Ms / base.p99Ms)), 2),
      };
    };
    const { rows } = await ctx.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM subscribers WHERE email LIKE 'bulletin-%-run%'`);
    const bulletinAccepted = Object.entries(runs)
      .filter(([name]) => name.startsWith('bulletin'))
      .reduce((sum, [, r]) => sum + r.reduce((s, f) => s + f.ok, 0), 0);
    return {
      connections: CONNECTIONS,
      durationSeconds: ctx.durationSeconds,
      runs,
      median,
      ratios: { json: ratio('json'), form: ratio('form') },
      subscribersWritten: rows[0]!.n,
      bulletinAccepted,
    };
  } finally {
    await Promise.all([bulletin.stop(), baseline.stop()]);
  }
}
