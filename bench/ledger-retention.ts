/**
 * Ledger retention (issue 14, item 7): the database size after 30 simulated editions of 100,000
 * readers, before and after the retention job sheds their sent rows; and the ledger's hot path (write
 * an edition's ledger, claim and mark it sent, the sender's statements without SMTP) and a signup,
 * timed with no editions behind them, with 30 unshed editions, and with 30 shed ones: same run, side
 * by side. Editions and subscribers are seeded with generate_series, as bench/console-pages.ts does.
 *
 *   node scripts/run-ts.js bench/ledger-retention.ts        (npm run bench:retention)
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { DeliveryLedger } from '../src/digests/delivery-ledger';
import { LedgerRetention } from '../src/digests/ledger-retention';
import { withTransaction } from '../src/db/transaction';
import { createLogger } from '../src/shared/logger';
import { systemClock } from '../src/shared/clock';
import { SIGNUP } from '../src/subscriptions/subscriber-queries';
import { runOnBenchDatabase } from './database';
import { median, percentile, round } from './stats';

const READERS = Number(process.env.BENCH_RETENTION_READERS ?? 100_000);
const EDITIONS = Number(process.env.BENCH_RETENTION_EDITIONS ?? 30);
const CLAIM_BATCH = 200;
const SIGNUPS = 300;
const log = (msg: string) => console.log(`[retention] ${msg}`);

async function seed(pool: pg.Pool): Promise<number> {
  await pool.query(
    `INSERT INTO subscribers (email, status, confirmed_at, updated_at)
     SELECT 'reader' || g || '@example.test', 'confirmed', now(), now() FROM generate_series(1, $1) g`,
    [READERS],
  );
  await pool.query(`INSERT INTO subscriptions (subscriber_id, newsletter_id) SELECT s.id, n.id FROM subscribers s, newsletters n WHERE n.slug = 'daily'`);
  await pool.query('ANALYZE');
  return (await pool.query<{ id: number }>(`SELECT id FROM newsletters WHERE slug = 'daily'`)).rows[0]!.id;
}

/** 30 past editions, done 31-60 days ago, each with a row per reader: 1 in 1,000 failed, 1 in 1,000 skipped. */
async function seedEditions(pool: pg.Pool, newsletterId: number): Promise<void> {
  await pool.query(
    `INSERT INTO digests (newsletter_id, edition_key, edition_at, window_start, window_end, public_id, subject, html, text, article_ids, status, completed_at, recipients)
     SELECT $1, 'slot:old' || g, now() - make_interval(days => 30 + g), now() - make_interval(days => 31 + g), now() - make_interval(days => 30 + g),
            'retention' || lpad(g::text, 8, '0'), 'Edition ' || g, '<p>An edition</p>', 'An edition', '{}', 'done', now() - make_interval(days => 30 + g), $2
       FROM generate_series(1, $3::int) g`,
    [newsletterId, READERS, EDITIONS],
  );
  const { rows } = await pool.query<{ id: number }>(`SELECT id FROM digests WHERE edition_key LIKE 'slot:old%' ORDER BY id`);
  for (const { id } of rows) {
    await pool.query(
      `INSERT INTO deliveries (digest_id, subscriber_id, status, attempts, message_id, sent_at, last_error)
       SELECT $1::int, s.id, (CASE s.id % 1000 WHEN 0 THEN 'failed' WHEN 1 THEN 'skipped' ELSE 'sent' END)::"DeliveryStatus", 1,
              CASE WHEN s.id % 1000 > 1 THEN '<' || $1::int || '.' || s.id || '.bench@example.test>' END,
              CASE WHEN s.id % 1000 > 1 THEN now() END, CASE WHEN s.id % 1000 = 0 THEN '550 no such user' END
         FROM subscribers s`,
      [id],
    );
  }
  await pool.query('ANALYZE deliveries');
}

async function sizes(pool: pg.Pool): Promise<{ rows: number; totalMb: number; tableMb: number; indexesMb: number }> {
  const { rows } = await pool.query<{ rows: string; total: string; indexes: string }>(
    `SELECT (SELECT count(*) FROM deliveries) AS rows, pg_total_relation_size('deliveries') AS total, pg_indexes_size('deliveries') AS indexes`,
  );
  const mb = (b: string | number) => round(Number(b) / 1024 / 1024, 1);
  const r = rows[0]!;
  return { rows: Number(r.rows), totalMb: mb(r.total), tableMb: mb(Number(r.total) - Number(r.indexes)), indexesMb: mb(r.indexes) };
}

/** A fresh edition's ledger written, claimed and marked sent (no SMTP), then removed; and signups. */
async function hotPath(pool: pg.Pool, ledger: DeliveryLedger, newsletterId: number, label: string) {
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO digests (newsletter_id, edition_key, edition_at, window_start, window_end, public_id, subject, html, text, article_ids)
     VALUES ($1, $2, now(), now(), now(), $2, 'Today', '', '', '{}') RETURNING id`,
    [newsletterId, `bench-${label}`],
  );
  const digestId = rows[0]!.id;
  let t = performance.now();
  await withTransaction(pool, (tx) => ledger.recordRecipients(tx, digestId, newsletterId));
  const writeMs = performance.now() - t;
  const claims: number[] = [];
  t = performance.now();
  for (;;) {
    const c0 = performance.now();
    const claimed = await ledger.claim(CLAIM_BATCH, 120);
    claims.push(performance.now() - c0);
    if (!claimed.length) break;
    await ledger.markSent(claimed.map((d) => ({ digestId: d.digestId, subscriberId: d.subscriberId, messageId: `<${d.subscriberId}@bench>` })));
  }
  const sendMs = performance.now() - t;
  await pool.query('DELETE FROM digests WHERE id = $1', [digestId]);

  const signups: number[] = [];
  for (let i = 0; i < SIGNUPS; i++) {
    const s0 = performance.now();
    await pool.query({ ...SIGNUP, values: [`new-${label}-${i}@example.test`, null, [newsletterId], new Date(), new Date(), '127.0.0.1', 'bench', 'form'] });
    signups.push(performance.now() - s0);
  }
  return {
    label,
    ledgerWriteMs: round(writeMs, 0),
    claimAndMarkAllMs: round(sendMs, 0),
    claimMedianMs: round(median(claims), 2),
    claimP95Ms: round(percentile(claims, 95), 2),
    signupMedianMs: round(median(signups), 2),
    signupP95Ms: round(percentile(signups, 95), 2),
  };
}

runOnBenchDatabase(log, { max: 4 }, async (pool, db) => {
  const ledger = new DeliveryLedger({ pool, clock: systemClock });
  log(`PostgreSQL ${db.serverVersion} (${db.server}); ${READERS} readers, ${EDITIONS} editions`);
  const newsletterId = await seed(pool);
  // Each side measured settled: VACUUM ANALYZE first, as autovacuum would get to in time, so
  // neither side pays for the other's dead rows or a vacuum running beside it.
  const settle = () => pool.query('VACUUM ANALYZE deliveries');
  await hotPath(pool, ledger, newsletterId, 'warm-up');
  await settle();
  const none = await hotPath(pool, ledger, newsletterId, 'no-editions');
  await settle();
  const empty = await sizes(pool);

  let t = performance.now();
  await seedEditions(pool, newsletterId);
  log(`seeded ${EDITIONS} editions in ${round((performance.now() - t) / 1000, 1)} s`);
  await settle();
  const unshedSize = await sizes(pool);
  const unshed = await hotPath(pool, ledger, newsletterId, 'unshed');
  await settle();

  t = performance.now();
  const shed = await new LedgerRetention({ pool, clock: systemClock, logger: createLogger('silent'), keepDays: 30 }).shed();
  const shedSeconds = round((performance.now() - t) / 1000, 1);
  const shedSize = await sizes(pool);
  await settle();
  const vacuumedSize = await sizes(pool);
  const afterShed = await hotPath(pool, ledger, newsletterId, 'shed');
  // One more edition written after the shed: it takes the freed space, the table does not grow.
  await settle();
  const reusedSize = await sizes(pool);
  await pool.query('VACUUM FULL deliveries');
  const fullSize = await sizes(pool);

  console.log(
    JSON.stringify(
      {
        readers: READERS,
        editions: EDITIONS,
        shed: { ...shed, seconds: shedSeconds },
        sizes: { empty, unshed: unshedSize, shed: shedSize, vacuumed: vacuumedSize, afterNextEdition: reusedSize, vacuumFull: fullSize },
        hotPath: [none, unshed, afterShed],
      },
      null,
      2,
    ),
  );
});
