/**
 * Part 4, no enumeration by time: does the time of `POST /subscribe` (or `POST /manage`) tell
 * whether an address is new, pending, confirmed or unsubscribed? The body is the same for every
 * class (tests/integration/subscription-enumeration.test.ts); here the time is measured.
 *
 * One request at a time (an attacker's probes, not load), JSON, each probe with its own address
 * prepared in that class beforehand, so every probe is the first one for its address as an
 * attacker's would be. Classes are interleaved in a fresh random order each round, so drift of a
 * shared machine hits them alike. Per run: the median time of each class and the ratio of the
 * slowest median to the fastest; the target is that ratio <= 1.15.
 *
 * With `--before DIR` (a checkout of older code with `dist/` built) the same probes also run
 * against that build in the same run, interleaved with the current one, for a before/after.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import { builtMainJs, startBulletin, type BulletinProcess } from './bulletin';
import type { BenchContext } from './context';
import { median, round } from './stats';

/**
 * Every probe asks for the newsletter `daily`. "confirmed" already has it; "adding" is a confirmed
 * reader who holds only `weekly`, so the signup adds `daily` at once, without an email.
 */
export const SIGNUP_CLASSES = ['new', 'pending', 'confirmed', 'adding', 'unsubscribed'] as const;
export const MANAGE_CLASSES = ['unknown', 'pending', 'confirmed'] as const;
type AddressClass = (typeof SIGNUP_CLASSES)[number] | (typeof MANAGE_CLASSES)[number];

/** Probes per class per run (the issue's report used 40). */
const PROBES = 400;
/** Probes per class before recording: JIT, connection pools and planned statements warm up. */
const WARMUP = 40;

export interface TimingRun {
  /** Median milliseconds per class. */
  medians: Record<string, number>;
  /** Slowest class median / fastest. */
  ratio: number;
}

export interface TimingFigures {
  endpoint: '/subscribe' | '/manage';
  classes: readonly string[];
  runs: TimingRun[];
  /** Per class, the median of the runs' medians; ratio: the median of the runs' ratios. */
  median: TimingRun;
}

export interface EnumerationResult {
  probesPerClass: number;
  /** The --before directory, when given. */
  before?: string;
  /** The code under test, and with --before the older build measured in the same run. */
  builds: Record<string, { signup: TimingFigures; manage: TimingFigures }>;
}

export async function benchEnumeration(ctx: BenchContext & { before?: string }): Promise<EnumerationResult> {
  const targets: Array<{ name: string; process: BulletinProcess }> = [];
  try {
    targets.push({ name: 'current', process: await startBulletin({ databaseUrl: ctx.db.url, smtpPort: ctx.sinkPort, runJobs: false }) });
    if (ctx.before) {
      const mainJs = builtMainJs(ctx.before);
      targets.push({ name: 'before', process: await startBulletin({ databaseUrl: ctx.db.url, smtpPort: ctx.sinkPort, runJobs: false, mainJs }) });
    }
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const builds: EnumerationResult['builds'] = Object.fromEntries(
      targets.map((t) => [t.name, { signup: emptyFigures('/subscribe', SIGNUP_CLASSES), manage: emptyFigures('/manage', MANAGE_CLASSES) }]),
    );
    for (const [endpoint, classes] of [['/subscribe', SIGNUP_CLASSES], ['/manage', MANAGE_CLASSES]] as const) {
      for (let run = 0; run <= ctx.runs; run++) {
        const warmup = run === 0;
        const perClass = warmup ? WARMUP : PROBES;
        const label = warmup ? 'warmup' : `run${run}`;
        // One address per probe and target, in its class before the probe.
        const addresses = new Map<string, string[]>();
        for (const t of targets) {
          for (const c of classes) addresses.set(`${t.name}/${c}`, await prepare(ctx, c, `${endpoint.slice(1)}-${t.name}-${label}-${c}`, perClass));
        }
        const samples = new Map<string, number[]>([...addresses.keys()].map((k) => [k, []]));
        for (let i = 0; i < perClass; i++) {
          for (const key of shuffle([...addresses.keys()])) {
            const t = targets.find((x) => key.startsWith(`${x.name}/`))!;
            samples.get(key)!.push(await probe(agent, t.process.url, endpoint, addresses.get(key)![i]!));
          }
        }
        if (warmup) continue;
        for (const t of targets) {
          const medians = Object.fromEntries(classes.map((c) => [c, round(median(samples.get(`${t.name}/${c}`)!), 3)]));
          const values = Object.values(medians);
          const figures = builds[t.name]![endpoint === '/subscribe' ? 'signup' : 'manage'];
          figures.runs.push({ medians, ratio: round(Math.max(...values) / Math.min(...values), 3) });
          ctx.log(`timing ${endpoint} run ${run} ${t.name}: ${classes.map((c) => `${c} ${medians[c]} ms`).join(', ')}; slowest/fastest ${round(Math.max(...values) / Math.min(...values), 2)}`);
        }
      }
    }
    agent.destroy();
    for (const b of Object.values(builds)) for (const f of [b.signup, b.manage]) f.median = medianRun(f);
    return { probesPerClass: PROBES, before: ctx.before, builds };
  } finally {
    await Promise.all(targets.map((t) => t.process.stop()));
  }
}

function emptyFigures(endpoint: TimingFigures['endpoint'], classes: readonly string[]): TimingFigures {
  return { endpoint, classes, runs: [], median: { medians: {}, ratio: NaN } };
}

function medianRun(f: TimingFigures): TimingRun {
  return {
    medians: Object.fromEntries(f.classes.map((c) => [c, round(median(f.runs.map((r) => r.medians[c]!)), 3)])),
    ratio: round(median(f.runs.map((r) => r.ratio)), 3),
  };
}

/**
 * `count` addresses in class `c`, written straight into the database: pending ones signed up a
 * minute ago (a repeat within the resend interval), unsubscribed ones left a day ago (a return:
 * pending again and a confirmation email), confirmed ones never asked for a manage link; all hold
 * `daily` but "adding", which holds `weekly`.
 */
async function prepare(ctx: BenchContext, c: AddressClass, prefix: string, count: number): Promise<string[]> {
  const tag = crypto.randomBytes(3).toString('hex');
  const emails = Array.from({ length: count }, (_, i) => `${prefix}-${tag}-${i}@example.test`);
  const row: Record<Exclude<AddressClass, 'new' | 'unknown'>, string> = {
    pending: `'pending', now() - interval '1 minute', NULL, NULL`,
    confirmed: `'confirmed', now() - interval '2 days', now() - interval '2 days', NULL`,
    adding: `'confirmed', now() - interval '2 days', now() - interval '2 days', NULL`,
    unsubscribed: `'unsubscribed', now() - interval '3 days', now() - interval '3 days', now() - interval '1 day'`,
  };
  if (c !== 'new' && c !== 'unknown') {
    await ctx.pool.query(
      `WITH made AS (
         INSERT INTO subscribers (email, name, status, confirmation_sent_at, confirmed_at, unsubscribed_at, updated_at)
         SELECT e, 'Reader', ${row[c]}, now() FROM unnest($1::text[]) AS e RETURNING id
       )
       INSERT INTO subscriptions (subscriber_id, newsletter_id) SELECT made.id, n.id FROM made, newsletters n WHERE n.slug = $2`,
      [emails, c === 'adding' ? 'weekly' : 'daily'],
    );
  }
  return emails;
}

/** One probe: milliseconds from sending the request to the end of the answer. */
function probe(agent: http.Agent, baseUrl: string, endpoint: string, email: string): Promise<number> {
  const body = JSON.stringify(endpoint === '/subscribe' ? { email, newsletters: ['daily'] } : { email });
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(
      `${baseUrl}${endpoint}`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 202) return reject(new Error(`${endpoint} answered ${res.statusCode} for ${email}`));
          resolve(Number(process.hrtime.bigint() - started) / 1e6);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = crypto.randomInt(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
