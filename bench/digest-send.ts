/**
 * Parts 3 and 4, digest send and memory: one edition to N confirmed subscribers (of three
 * newsletters of N subscribers each) through the real
 * path. Bulletin runs as `npm start` does (RUN_JOBS=true) in its own process; the bench composes the
 * edition through the admin API (POST /api/admin/digests: render once, write the ledger), the
 * process's own sender claims, fills the prepared MIME per recipient, sends over pooled SMTP
 * (Mailer.sendRaw) and marks the ledger. Timed from that POST to the last message accepted.
 *
 * Same run: the plain nodemailer loop (bench/workers/nodemailer-loop.ts) to the same sink, and
 * where Postfix's tools exist, smtp-source -> smtp-sink (loopback limit) and Bulletin -> smtp-sink.
 */
import { startBulletin } from './bulletin';
import { countDatabaseLoad } from './database-load';
import type { BenchContext } from './context';
import { findPostfixTools, runSmtpSource, startPostfixSink } from './postfix';
import { ready, sleep, spawnTs } from './processes';
import type { SinkFault, SinkStats } from './smtp-sink';
import { median, medianOf, round } from './stats';
import type { LoopInput } from './workers/nodemailer-loop';

/** Bulletin's defaults, which the baseline copies. */
const SMTP_MAX_CONNECTIONS = 5;
const SEND_CONCURRENCY = 50;
const ARTICLES = 10;

export interface BulletinSendFigures {
  msgsPerSec: number;
  /** From the admin POST (compose starts) to the first message accepted. */
  firstMessageMs: number;
  /** The POST itself: render once + write N ledger rows in one transaction. */
  composeMs: number;
  /** From the end of composing to the last message accepted. */
  sendPhaseMsgsPerSec: number;
  peakRssMb: number;
  /** RSS once started and idle, before the edition: what the send added is peak minus this. */
  idleRssMb: number;
  bytesPerMessage: number;
  /** What the edition (compose and send) cost the database, per message (bench/database-load.ts). */
  walBytesPerMessage: number;
  commitsPerMessage: number;
  rowsInsertedPerMessage: number;
  rowsUpdatedPerMessage: number;
  /** Connections to the bench's database at most, while Bulletin ran (the bench's own 1-2 included). */
  peakConnections: number;
}

export interface DigestResult {
  subscribers: number;
  /** Where Bulletin, the nodemailer loop and its floor were compared on the Node sink (10,000 above LARGE). */
  comparedAt: number;
  articles: number;
  smtpMaxConnections: number;
  sendConcurrency: number;
  runs: {
    bulletin: BulletinSendFigures[];
    nodemailerLoop: Array<{ msgsPerSec: number; firstMessageMs: number; peakRssMb: number }>;
    /** Diagnostic: nodemailer sending one ready Buffer over and over (its transport alone). */
    nodemailerRawFloor: Array<{ msgsPerSec: number; firstMessageMs: number; peakRssMb: number }>;
    smtpSource?: Array<{ msgsPerSec: number }>;
    bulletinToSmtpSink?: BulletinSendFigures[];
  };
  median: {
    bulletin: BulletinSendFigures;
    nodemailerLoop: { msgsPerSec: number; firstMessageMs: number; peakRssMb: number };
    nodemailerRawFloor: { msgsPerSec: number; firstMessageMs: number; peakRssMb: number };
    smtpSource?: { msgsPerSec: number };
    bulletinToSmtpSink?: BulletinSendFigures;
  };
  ratios: { vsNodemailerLoop: number; vsLoopbackLimit?: number };
  postfix: string;
  /** Part 4: peak RSS of the sending process at 10,000 subscribers (and at N when N differs). */
  memory: { at10k: number[]; atN: number[]; median10k: number; medianN: number; growth: number };
}

/**
 * Above this size the Node-sink paths (Bulletin, the nodemailer loop at ~450 msg/s: 40 minutes at a
 * million, and its raw floor) are taken at 10,000 in the same run, and the size itself is sent to
 * Postfix's smtp-sink only: the loopback-limit comparison, the compose time, memory.
 */
const LARGE = 100_000;
const REFERENCE = 10_000;

export async function benchDigestSend(ctx: BenchContext): Promise<DigestResult> {
  const postfix = findPostfixTools();
  const postfixSink = postfix ? await startPostfixSink(postfix.sink) : undefined;
  try {
    const n = ctx.subscribers;
    const large = n > LARGE && postfixSink !== undefined;
    const comparedAt = large ? REFERENCE : n;
    const toSmtpSink = postfixSink ? ({ kind: 'postfix', port: postfixSink.port } as const) : undefined;
    const runs: DigestResult['runs'] = { bulletin: [], nodemailerLoop: [], nodemailerRawFloor: [], ...(postfix ? { smtpSource: [], bulletinToSmtpSink: [] } : {}) };

    // Part 4's reference: peak RSS at 10,000 when the main figure is taken at another size, on the
    // sink the main figure uses. At a large size the Node-sink comparisons are made here too.
    const at10k: number[] = [];
    if (n !== REFERENCE) {
      await seed(ctx, REFERENCE);
      for (let i = 1; i <= ctx.runs; i++) {
        const r = await bulletinSend(ctx, REFERENCE, large ? toSmtpSink! : { kind: 'node', port: ctx.sinkPort });
        at10k.push(r.peakRssMb);
        ctx.log(`memory run ${i} at 10,000: peak RSS ${r.peakRssMb} MB`);
        if (large) await compareOnNodeSink(ctx, REFERENCE, runs, i);
      }
    }

    await seed(ctx, n);
    for (let i = 1; i <= ctx.runs; i++) {
      if (!large) await compareOnNodeSink(ctx, n, runs, i);
      if (postfix && toSmtpSink) {
        const { seconds } = await runSmtpSource(postfix.source, {
          port: toSmtpSink.port,
          count: n,
          sessions: SMTP_MAX_CONNECTIONS,
          size: Math.round(runs.bulletin[Math.min(i, runs.bulletin.length) - 1]!.bytesPerMessage),
        });
        runs.smtpSource!.push({ msgsPerSec: round(n / seconds) });
        ctx.log(`digest run ${i} smtp-source -> smtp-sink: ${round(n / seconds)} msg/s`);

        const p = await bulletinSend(ctx, n, toSmtpSink, { timeoutMs: Math.max(600_000, n * 2) });
        runs.bulletinToSmtpSink!.push(p);
        ctx.log(`digest run ${i} bulletin -> smtp-sink: ${p.msgsPerSec} msg/s, compose ${p.composeMs} ms, peak RSS ${p.peakRssMb} MB`);
      }
    }

    const med: DigestResult['median'] = {
      bulletin: medianOf(runs.bulletin),
      nodemailerLoop: medianOf(runs.nodemailerLoop),
      nodemailerRawFloor: medianOf(runs.nodemailerRawFloor),
      ...(runs.smtpSource ? { smtpSource: medianOf(runs.smtpSource), bulletinToSmtpSink: medianOf(runs.bulletinToSmtpSink!) } : {}),
    };
    const atN = (large ? runs.bulletinToSmtpSink! : runs.bulletin).map((r) => r.peakRssMb);
    const reference = at10k.length ? at10k : atN;
    return {
      subscribers: n,
      comparedAt,
      articles: ARTICLES,
      smtpMaxConnections: SMTP_MAX_CONNECTIONS,
      sendConcurrency: SEND_CONCURRENCY,
      runs,
      median: med,
      // Run by run (each pair measured minutes apart at most), then the median.
      ratios: {
        vsNodemailerLoop: round(median(runs.bulletin.map((b, i) => b.msgsPerSec / runs.nodemailerLoop[i]!.msgsPerSec)), 2),
        ...(runs.smtpSource && runs.bulletinToSmtpSink
          ? { vsLoopbackLimit: round(median(runs.bulletinToSmtpSink.map((b, i) => b.msgsPerSec / runs.smtpSource![i]!.msgsPerSec)), 2) }
          : {}),
      },
      postfix: postfix ? `${postfix.source} -> ${postfix.sink}` : 'skipped: smtp-sink/smtp-source not installed (apt-get install postfix)',
      memory: {
        at10k: reference,
        atN,
        median10k: median(reference),
        medianN: median(atN),
        growth: round(median(atN) / median(reference) - 1, 3),
      },
    };
  } finally {
    await postfixSink?.stop();
  }
}

/** Bulletin, the plain nodemailer loop and its raw floor, each to the Node sink: run `i` at size `n`. */
async function compareOnNodeSink(ctx: BenchContext, n: number, runs: DigestResult['runs'], i: number): Promise<void> {
  const b = await bulletinSend(ctx, n, { kind: 'node', port: ctx.sinkPort });
  runs.bulletin.push(b);
  ctx.log(`digest run ${i} bulletin: ${b.msgsPerSec} msg/s, first ${b.firstMessageMs} ms, compose ${b.composeMs} ms, peak RSS ${b.peakRssMb} MB`);

  const loop = await nodemailerLoop(ctx, n, 'compose');
  runs.nodemailerLoop.push(loop);
  ctx.log(`digest run ${i} nodemailer loop: ${loop.msgsPerSec} msg/s`);

  const floor = await nodemailerLoop(ctx, n, 'raw');
  runs.nodemailerRawFloor.push(floor);
  ctx.log(`digest run ${i} nodemailer raw floor: ${floor.msgsPerSec} msg/s`);
}

/**
 * The other two of the three newsletters, on far-away schedules so the start-up catch-up of the
 * Bulletin process composes nothing (the measured edition is daily's, made through the admin API).
 */
const OTHER_NEWSLETTERS = [
  { slug: 'bench-sports', name: 'Sports', categories: ['Sport'] },
  { slug: 'bench-evening', name: 'Evening', categories: [] },
];

/**
 * Three newsletters of N confirmed subscribers each, overlapping as real lists do (2N readers:
 * daily takes readers 1..N, sports N/2+1..3N/2, evening N+1..2N), in a few statements, and the
 * articles of one edition. The edition measured goes to daily's N; the others' subscriptions sit
 * in the same index the fan-out walks.
 */
export async function seed(ctx: BenchContext, subscribers: number): Promise<void> {
  await ctx.pool.query('TRUNCATE subscribers, articles, digests, deliveries, tokens, consents RESTART IDENTITY CASCADE');
  for (const n of OTHER_NEWSLETTERS) {
    await ctx.pool.query(
      `INSERT INTO newsletters (slug, name, kind, cron, categories, position, updated_at)
       VALUES ($1, $2, 'digest', '0 0 1 1 *', $3, 10, now()) ON CONFLICT (slug) DO NOTHING`,
      [n.slug, n.name, n.categories],
    );
  }
  await ctx.pool.query(
    `INSERT INTO subscribers (email, status, confirmed_at, updated_at)
     SELECT 'reader' || g || '@example.test', 'confirmed', now(), now() FROM generate_series(1, 2 * $1) g`,
    [subscribers],
  );
  const ranges: Array<[string, number]> = [
    ['daily', 0],
    [OTHER_NEWSLETTERS[0]!.slug, Math.floor(subscribers / 2)],
    [OTHER_NEWSLETTERS[1]!.slug, subscribers],
  ];
  for (const [slug, offset] of ranges) {
    await ctx.pool.query(
      `INSERT INTO subscriptions (subscriber_id, newsletter_id)
       SELECT s.id, n.id FROM subscribers s, newsletters n WHERE n.slug = $1 AND s.id > $2 AND s.id <= $2 + $3`,
      [slug, offset, subscribers],
    );
  }
  // Realistic article sizes: a headline, a 300-character summary, an author, an image, a category.
  await ctx.pool.query(
    `INSERT INTO articles (source_id, title, url, summary, author, image_url, published_at, categories, updated_at)
     SELECT 'bench-' || g,
            'Council approves the new riverside tram line after a decade of debate, story ' || g,
            'https://news.example.test/2026/11/27/story-' || g,
            repeat('Residents, traders and engineers weighed in on a plan that reshapes the east bank. ', 4),
            'Alex Reporter',
            'https://news.example.test/images/story-' || g || '.jpg',
            now() - make_interval(mins => g * 10),
            ARRAY['City'],
            now()
       FROM generate_series(1, $1) g`,
    [ARTICLES],
  );
  await ctx.pool.query('VACUUM ANALYZE subscribers');
  await ctx.pool.query('VACUUM ANALYZE subscriptions');
}

type Sink = { kind: 'node'; port: number } | { kind: 'postfix'; port: number };

/** One edition to every subscriber through Bulletin, in a fresh Bulletin process. */
export async function bulletinSend(
  ctx: BenchContext,
  n: number,
  sink: Sink,
  /** `instances`: Bulletin processes sending side by side (the first composes); default 1. `mainJs`: another build. */
  opts: { env?: Record<string, string>; fault?: SinkFault; timeoutMs?: number; instances?: number; mainJs?: string } = {},
): Promise<BulletinSendFigures> {
  await ctx.pool.query('TRUNCATE digests, deliveries RESTART IDENTITY CASCADE');
  if (sink.kind === 'node') await ctx.sink.request('reset', { fault: opts.fault });
  const start = () => startBulletin({ databaseUrl: ctx.db.url, smtpPort: sink.port, runJobs: true, env: opts.env, mainJs: opts.mainJs });
  const all = await Promise.all(Array.from({ length: opts.instances ?? 1 }, start));
  const bulletin = all[0]!;
  const connections = watchConnections(ctx);
  try {
    await sleep(1000); // start-up work (catch-up, queue set-up) settles
    const idleRssMb = bulletin.memory().rssMb;
    const databaseLoad = await countDatabaseLoad(ctx.pool);
    const t0 = Date.now();
    const response = await fetch(`${bulletin.url}/api/admin/digests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bulletin.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ newsletter: 'daily' }),
    });
    const composed = Date.now();
    const body = (await response.json()) as { digest?: { id: number; recipients: number } };
    if (response.status !== 201 || body.digest?.recipients !== n) {
      throw new Error(`compose failed: ${response.status} ${JSON.stringify(body)}`);
    }
    const digestId = body.digest.id;
    const timeoutMs = opts.timeoutMs ?? Math.max(120_000, n * 10);
    let first: number;
    let last: number;
    let bytesPerMessage = 0;
    if (sink.kind === 'node') {
      const stats = await ctx.sink.request<SinkStats>('waitFor', { count: n, timeoutMs });
      if (stats.messages < n) throw new Error(`only ${stats.messages} of ${n} messages arrived`);
      ({ first, last } = stats);
      bytesPerMessage = stats.bytes / stats.messages;
      await waitUntilDone(ctx, digestId, timeoutMs);
    } else {
      // smtp-sink reports nothing back: the ledger's sent_at stamps say when (a little late: they
      // are written after the 250, in groups).
      await waitUntilDone(ctx, digestId, timeoutMs);
      ({ first, last } = await ledgerTimes(ctx, digestId, n));
    }
    const { peakRssMb } = bulletin.memory();
    const load = await databaseLoad();
    return {
      msgsPerSec: round(n / ((last - t0) / 1000)),
      firstMessageMs: first - t0,
      composeMs: composed - t0,
      sendPhaseMsgsPerSec: round(n / ((last - composed) / 1000)),
      peakRssMb: round(peakRssMb, 1),
      idleRssMb: round(idleRssMb, 1),
      bytesPerMessage: round(bytesPerMessage),
      walBytesPerMessage: round(load.walBytes / n),
      commitsPerMessage: round(load.commits / n, 3),
      rowsInsertedPerMessage: round(load.rowsInserted / n, 2),
      rowsUpdatedPerMessage: round(load.rowsUpdated / n, 2),
      peakConnections: connections.peak,
    };
  } finally {
    connections.stop();
    await Promise.all(all.map((b) => b.stop()));
  }
}

/** The most connections the bench's database had open at once (every 500 ms), the bench's own included. */
function watchConnections(ctx: BenchContext): { readonly peak: number; stop(): void } {
  let peak = 0;
  const timer = setInterval(() => {
    ctx.pool
      .query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()`)
      .then(({ rows }) => (peak = Math.max(peak, rows[0]!.n)), () => {});
  }, 500);
  return {
    get peak() {
      return peak;
    },
    stop: () => clearInterval(timer),
  };
}

async function waitUntilDone(ctx: BenchContext, digestId: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await ctx.pool.query<{ status: string }>(`SELECT status::text FROM digests WHERE id = $1`, [digestId]);
    if (rows[0]?.status === 'done') return;
    if (Date.now() > deadline) throw new Error(`digest ${digestId} not done after ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function ledgerTimes(ctx: BenchContext, digestId: number, n: number): Promise<{ first: number; last: number }> {
  // sent_at is a timestamp without time zone written by now() in the server's zone.
  const { rows } = await ctx.pool.query<{ sent: number; first: string; last: string }>(
    `SELECT count(*)::int AS sent,
            extract(epoch FROM min(sent_at) AT TIME ZONE current_setting('TimeZone')) * 1000 AS first,
            extract(epoch FROM max(sent_at) AT TIME ZONE current_setting('TimeZone')) * 1000 AS last
       FROM deliveries WHERE digest_id = $1 AND status = 'sent'`,
    [digestId],
  );
  const row = rows[0]!;
  if (row.sent !== n) throw new Error(`ledger has ${row.sent} of ${n} deliveries sent`);
  return { first: Number(row.first), last: Number(row.last) };
}

/** The same edition through the plain nodemailer loop, in its own process, to the Node sink; `dkim`: signed by nodemailer's transport. */
export async function nodemailerLoop(ctx: BenchContext, n: number, mode: LoopInput['mode'], dkim?: LoopInput['dkim']) {
  const { rows } = await ctx.pool.query<{ subject: string; html: string; text: string }>(
    `SELECT subject, html, text FROM digests ORDER BY id DESC LIMIT 1`,
  );
  const edition = rows[0]!;
  await ctx.sink.request('reset');
  const worker = spawnTs('bench/workers/nodemailer-loop.ts', {});
  try {
    await ready(worker);
    const input: LoopInput = {
      mode,
      smtpUrl: `smtp://127.0.0.1:${ctx.sinkPort}`,
      maxConnections: SMTP_MAX_CONNECTIONS,
      concurrency: SEND_CONCURRENCY,
      count: n,
      from: 'Bulletin <newsletter@localhost>',
      listId: 'bulletin.localhost',
      publicUrl: 'http://127.0.0.1:3000',
      dkim,
      ...edition,
    };
    const t0 = Date.now();
    await worker.request('send', input);
    const stats = await ctx.sink.request<SinkStats>('waitFor', { count: n, timeoutMs: Math.max(60_000, n * 10) });
    return {
      msgsPerSec: round(n / ((stats.last - t0) / 1000)),
      firstMessageMs: stats.first - t0,
      peakRssMb: round(worker.memory().peakRssMb, 1),
    };
  } finally {
    await worker.stop();
  }
}
