/**
 * Outgoing webhook event retention (WEBHOOK_EVENTS_KEEP_DAYS): the size of webhook_events and
 * webhook_deliveries with 60 days of events behind them, before and after the daily sweep deletes
 * the 30 days past the setting, and how long it takes; and the cost of recording an event (the
 * statement every signup, unsubscribe and bounce runs when a webhook listens) with no events
 * behind it, with 60 days, and after the sweep: same run, side by side. Seeded with generate_series.
 *
 *   node scripts/run-ts.js bench/webhook-event-retention.ts        (npm run bench:webhook-events)
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { withTransaction } from '../src/db/transaction';
import { EventRecorder } from '../src/events/event-recorder';
import { EventRetention } from '../src/events/event-retention';
import { systemClock } from '../src/shared/clock';
import { runOnBenchDatabase } from './database';
import { median, percentile, round } from './stats';

const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 1_000_000);
const DAYS = 60;
const RECORDINGS = 500;
const log = (msg: string) => console.log(`[webhook-events] ${msg}`);

/** `count` events spread over the last `days` days, one delivery each: 1 in 1,000 given up, the rest delivered. */
async function seedEvents(pool: pg.Pool, webhookId: number, count: number, days: number): Promise<void> {
  await pool.query(
    `WITH e AS (
       INSERT INTO webhook_events (type, data, occurred_at, subscriber_id)
       SELECT 'subscriber.confirmed', jsonb_build_object('email', 'reader' || g || '@example.test', 'subscriberId', g),
              now() - make_interval(secs => g::double precision * $2 * 86400 / $1), g
         FROM generate_series(1, $1::int) g
       RETURNING id, subscriber_id)
     INSERT INTO webhook_deliveries (event_id, webhook_id, status, attempts, delivered_at)
     SELECT id, $3, (CASE WHEN subscriber_id % 1000 = 0 THEN 'given_up' ELSE 'delivered' END)::"WebhookDeliveryStatus", 1, now() FROM e`,
    [count, days, webhookId],
  );
}

async function sizes(pool: pg.Pool): Promise<{ events: number; mb: number }> {
  const { rows } = await pool.query<{ events: string; bytes: string }>(
    `SELECT (SELECT count(*) FROM webhook_events) AS events,
            pg_total_relation_size('webhook_events') + pg_total_relation_size('webhook_deliveries') AS bytes`,
  );
  return { events: Number(rows[0]!.events), mb: round(Number(rows[0]!.bytes) / 1024 / 1024, 1) };
}

/** RECORDINGS events recorded one transaction each, as a confirmation records its event; then removed. */
async function recording(pool: pg.Pool, label: string) {
  const recorder = new EventRecorder({ clock: systemClock });
  const times: number[] = [];
  for (let i = 0; i < RECORDINGS; i++) {
    const t = performance.now();
    await withTransaction(pool, (tx) => recorder.record(tx, { type: 'subscriber.confirmed', subscriberId: -1 - i, data: { email: `new-${i}@example.test` } }));
    times.push(performance.now() - t);
  }
  await pool.query('DELETE FROM webhook_events WHERE subscriber_id < 0');
  return { label, medianMs: round(median(times), 2), p95Ms: round(percentile(times, 95), 2) };
}

runOnBenchDatabase(log, { max: 4 }, async (pool, db) => {
  log(`PostgreSQL ${db.serverVersion} (${db.server}); ${EVENTS} events over ${DAYS} days`);
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO webhooks (url, events, secret) VALUES ('https://hooks.example.test/in', '{subscriber.confirmed}', 'unused') RETURNING id`,
  );
  const settle = () => pool.query('VACUUM ANALYZE webhook_events, webhook_deliveries');
  await recording(pool, 'warm-up');
  await settle();
  const none = await recording(pool, 'no-events');

  let t = performance.now();
  await seedEvents(pool, rows[0]!.id, EVENTS, DAYS);
  log(`seeded in ${round((performance.now() - t) / 1000, 1)} s`);
  await settle();
  const seeded = await sizes(pool);
  const full = await recording(pool, `${DAYS}-days`);
  await settle();

  t = performance.now();
  const deleted = await new EventRetention({ pool, clock: systemClock, keepDays: 30 }).purge();
  const sweepSeconds = round((performance.now() - t) / 1000, 1);
  const swept = await sizes(pool);
  await settle();
  const afterSweep = await recording(pool, 'swept');
  // The next month's events take the freed space (after vacuum, as autovacuum would): the tables stop growing.
  await seedEvents(pool, rows[0]!.id, EVENTS / 2, 30);
  const nextMonth = await sizes(pool);

  console.log(
    JSON.stringify({ events: EVENTS, days: DAYS, sweep: { deleted, seconds: sweepSeconds }, sizes: { seeded, swept, nextMonth }, recording: [none, full, afterSweep] }, null, 2),
  );
});
