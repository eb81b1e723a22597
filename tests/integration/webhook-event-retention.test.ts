import request from 'supertest';
import { withTransaction } from '../../src/db/transaction';
import type { Database } from '../../src/db/database';
import { EventRecorder } from '../../src/events/event-recorder';
import { EventRetention } from '../../src/events/event-retention';
import { EVENT_RETENTION_QUEUE } from '../../src/events/webhook-jobs';
import { ManualClock } from '../helpers/manual-clock';
import { adminAuth, QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { openTestPool } from '../helpers/test-database';
import { until } from '../helpers/until';
import { WebhookReceiver } from '../helpers/webhook-receiver';
import { query } from './subscription-test-kit';

const DAY_MS = 24 * 3600_000;
type DeliveryStatus = 'pending' | 'queued' | 'delivered' | 'given_up';

/** WEBHOOK_EVENTS_KEEP_DAYS: settled outgoing webhook events go, with their deliveries, after the kept days. */
describe('webhook event retention', () => {
  let app: TestBulletin;
  let database: Database;
  let receiver: WebhookReceiver;
  let webhookId: number;
  const retention = (keepDays = 30, now = Date.now()) => new EventRetention({ pool: database.pool, clock: new ManualClock(now), keepDays, batch: 2 });

  beforeAll(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES, WEBHOOKS_ALLOW_PRIVATE: 'true' });
    database = openTestPool(app.db.url, 2);
    receiver = await new WebhookReceiver().start();
    const created = await request(app.url).post('/api/admin/webhooks').set(adminAuth).send({ url: receiver.url, events: ['subscriber.confirmed', 'edition.sent'] });
    expect(created.status).toBe(201);
    webhookId = created.body.webhook.id;
  });
  afterAll(async () => {
    await receiver.stop();
    await database.close();
    await app.stop();
  });

  /** An event that happened `daysAgo`, with one delivery per status given (to webhooks that need not exist: there is no foreign key). */
  async function event(daysAgo: number, statuses: DeliveryStatus[], onceKey: string | null = null): Promise<string> {
    const [{ id }] = (await database.pool.query<{ id: string }>(
      `INSERT INTO webhook_events (type, data, occurred_at, subscriber_id, once_key)
       VALUES ($1, '{"email": "reader@example.com"}', $2, 7, $3) RETURNING id`,
      [onceKey ? 'edition.sent' : 'subscriber.confirmed', new Date(Date.now() - daysAgo * DAY_MS), onceKey],
    )).rows as [{ id: string }];
    for (const [i, status] of statuses.entries()) {
      await database.pool.query(`INSERT INTO webhook_deliveries (event_id, webhook_id, status) VALUES ($1, $2, $3::"WebhookDeliveryStatus")`, [id, 900_000 + i, status]);
    }
    return id;
  }

  async function kept(ids: string[]): Promise<string[]> {
    const rows = await query<{ id: string }>(app, 'SELECT id::text FROM webhook_events WHERE id = ANY ($1::uuid[])', [ids]);
    return rows.map((r) => r.id).sort();
  }

  test('when the service runs its jobs, then the sweep runs on a daily cron schedule', async () => {
    const rows = await query<{ cron: string }>(app, 'SELECT cron FROM pgboss.schedule WHERE name = $1', [EVENT_RETENTION_QUEUE]);
    expect(rows).toEqual([{ cron: '47 3 * * *' }]);
  });

  test('when events are older than the kept days and none of their deliveries waits, then they and their deliveries are deleted in batches; the rest stay', async () => {
    const gone = [await event(31, ['delivered']), await event(40, ['given_up', 'delivered']), await event(60, []), await event(90, ['delivered']), await event(31, ['given_up'])];
    const stay = [
      await event(29, ['delivered']), // recent
      await event(45, ['delivered', 'queued']), // one receiver still has a retry due
      await event(45, ['pending']), // not yet queued by the relay
      await event(45, ['delivered'], `edition.sent:retention-${Date.now()}`), // once key: one per edition
    ];

    expect(await retention().purge()).toBe(5);

    expect(await kept([...gone, ...stay])).toEqual([...stay].sort());
    const orphans = await query<{ n: number }>(app, 'SELECT count(*)::int AS n FROM webhook_deliveries WHERE event_id = ANY ($1::uuid[])', [gone]);
    expect(orphans[0]!.n).toBe(0);
    expect(await retention().purge()).toBe(0);
  });

  test('when WEBHOOK_EVENTS_KEEP_DAYS is 0, then every event is kept', async () => {
    const old = await event(400, ['delivered']);
    expect(await retention(0).purge()).toBe(0);
    expect(await kept([old])).toEqual([old]);
  });

  test('when a delivered event passes the kept days, then it leaves the webhook\'s recent deliveries', async () => {
    const clock = new ManualClock(Date.now());
    await withTransaction(database.pool, (tx) => new EventRecorder({ clock }).record(tx, { type: 'subscriber.confirmed', subscriberId: 8, data: { email: 'kept-for-a-while@example.com' } }));
    const listed = async () => {
      const res = await request(app.url).get(`/api/admin/webhooks/${webhookId}/deliveries`).set(adminAuth).expect(200);
      return (res.body.deliveries as Array<{ status: string }>).map((d) => d.status);
    };
    await until(async () => (await listed()).includes('delivered'), { what: () => 'the delivery delivered' });

    const [{ id }] = (await query<{ id: string }>(app, `SELECT id::text FROM webhook_events WHERE data->>'email' = 'kept-for-a-while@example.com'`)) as [{ id: string }];

    await retention(30, Date.now() + 29 * DAY_MS).purge();
    expect(await kept([id])).toEqual([id]);
    await retention(30, Date.now() + 31 * DAY_MS).purge();
    expect(await kept([id])).toEqual([]);

    await expect(listed()).resolves.toEqual([]);
  });
});
