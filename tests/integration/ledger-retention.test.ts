import request from 'supertest';
import { LedgerRetention } from '../../src/digests/ledger-retention';
import { LEDGER_RETENTION_QUEUE } from '../../src/digests/retention-jobs';
import { createLogger } from '../../src/shared/logger';
import type { Database } from '../../src/db/database';
import { ManualClock } from '../helpers/manual-clock';
import { adminAuth, QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { openTestPool } from '../helpers/test-database';
import { ConsoleClient, firstAdmin } from '../helpers/console-client';
import { query } from './subscription-test-kit';

const DAY_MS = 24 * 3600_000;
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);

type Counts = Record<'pending' | 'sending' | 'sent' | 'failed' | 'skipped', number>;

/** LEDGER_KEEP_DAYS: finished editions shed their sent rows and keep their failures and their counts. */
describe('ledger retention', () => {
  let app: TestBulletin;
  let database: Database;
  let newsletterId: number;
  let admin: ConsoleClient;
  const retention = (keepDays = 30) =>
    new LedgerRetention({ pool: database.pool, clock: new ManualClock(NOW), logger: createLogger('silent'), keepDays, batchRows: 7 });

  beforeAll(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES });
    database = openTestPool(app.db.url, 2);
    admin = await firstAdmin(app, 'editor-in-chief@example.test');
    newsletterId = (await query<{ id: number }>(app, `SELECT id FROM newsletters WHERE slug = 'daily'`))[0]!.id;
  });
  afterAll(async () => {
    await database.close();
    await app.stop();
  });

  /**
   * An edition of `sent` + 2 failed + 3 skipped readers (and 1 pending when still sending), its
   * recipients kept as composition keeps them; one reader erased (negated id) among the sent.
   */
  async function edition(key: string, status: 'done' | 'sending', completedDaysAgo: number | null, sent = 40, recipients: 'kept' | 'none' = 'kept'): Promise<number> {
    const completedAt = completedDaysAgo === null ? null : new Date(NOW - completedDaysAgo * DAY_MS);
    const pending = status === 'sending' ? 1 : 0;
    const total = sent + 2 + 3 + pending;
    const [{ id }] = (await database.pool.query<{ id: number }>(
      `INSERT INTO digests (newsletter_id, edition_key, edition_at, window_start, window_end, public_id, subject, html, text, article_ids, status, completed_at, recipients)
       VALUES ($1, $2, $3, $3, $3, $2, 'Edition', '', '', '{}', $4, $5, $6) RETURNING id`,
      [newsletterId, key, new Date(NOW - 40 * DAY_MS), status, completedAt, recipients === 'kept' ? total : null],
    )).rows as [{ id: number }];
    await database.pool.query(
      `INSERT INTO deliveries (digest_id, subscriber_id, status, attempts, message_id, sent_at)
       SELECT $1, CASE WHEN i = 1 THEN -1000 ELSE 1000 + i END,
              (CASE WHEN i <= $2 THEN 'sent' WHEN i <= $2 + 2 THEN 'failed' WHEN i <= $2 + 5 THEN 'skipped' ELSE 'pending' END)::"DeliveryStatus",
              1, 'm' || i, CASE WHEN i <= $2 THEN now() END
         FROM generate_series(1, $3::int) i`,
      [id, sent, total],
    );
    return id;
  }

  async function rowsByStatus(digestId: number): Promise<Record<string, number>> {
    const rows = await query<{ status: string; n: number }>(app, 'SELECT status::text, count(*)::int AS n FROM deliveries WHERE digest_id = $1 GROUP BY status', [digestId]);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }
  async function apiEdition(digestId: number): Promise<{ counts: Counts; shedAt: string | null }> {
    const res = await request(app.url).get('/api/admin/digests').set(adminAuth).expect(200);
    return (res.body.digests as Array<{ id: number; counts: Counts; shedAt: string | null }>).find((d) => d.id === digestId)!;
  }

  test('when the service runs its jobs, then retention runs on a daily cron schedule', async () => {
    const rows = await query<{ cron: string }>(app, 'SELECT cron FROM pgboss.schedule WHERE name = $1', [LEDGER_RETENTION_QUEUE]);
    expect(rows).toEqual([{ cron: '17 3 * * *' }]);
  });

  test('when an edition finished longer ago than the setting, then its sent rows go in batches, failed and skipped stay, and its counts read the same', async () => {
    const old = await edition('old', 'done', 31);
    const before = await apiEdition(old);
    expect(before).toMatchObject({ counts: { pending: 0, sending: 0, sent: 40, failed: 2, skipped: 3 }, shedAt: null });

    const shed = await retention().shed();

    expect(shed).toEqual({ editions: 1, rows: 40 });
    expect(await rowsByStatus(old)).toEqual({ failed: 2, skipped: 3 });
    const after = await apiEdition(old);
    expect(after.counts).toEqual(before.counts);
    expect(after.shedAt).toBe(new Date(NOW).toISOString());
    const page = (await admin.get(`/admin/editions/${old}`)).text;
    expect(page).toContain('<dd data-count="sent">40</dd>');
    expect(page).toContain('delivery rows of its sent messages were removed on');
    expect(await retention().shed()).toEqual({ editions: 0, rows: 0 });
  });

  test('when an edition is still sending, finished recently, or has no recipients kept, then none of its rows is touched', async () => {
    // Even with a completion time long past (a reopened edition has none): the status alone guards it.
    const sending = await edition('sending', 'sending', 60);
    const recent = await edition('recent', 'done', 29);
    const uncounted = await edition('uncounted', 'done', 60, 40, 'none');
    const countsBefore = await Promise.all([sending, recent, uncounted].map(apiEdition));

    await retention().shed();

    expect(await rowsByStatus(sending)).toEqual({ sent: 40, failed: 2, skipped: 3, pending: 1 });
    expect(await rowsByStatus(recent)).toEqual({ sent: 40, failed: 2, skipped: 3 });
    expect(await rowsByStatus(uncounted)).toEqual({ sent: 40, failed: 2, skipped: 3 });
    expect(await Promise.all([sending, recent, uncounted].map(apiEdition))).toEqual(countsBefore);
  });

  test('when LEDGER_KEEP_DAYS is 0, then every row is kept', async () => {
    const kept = await edition('forever', 'done', 400);
    expect(await retention(0).shed()).toEqual({ editions: 0, rows: 0 });
    expect(await rowsByStatus(kept)).toEqual({ sent: 40, failed: 2, skipped: 3 });
  });

  test('when a shed edition\'s failures are retried, then they are requeued and the sent count stays', async () => {
    const old = await edition('retried', 'done', 45);
    await retention().shed();
    const before = await apiEdition(old);

    const res = await request(app.url).post(`/api/admin/digests/${old}/retry-failed`).set(adminAuth).expect(200);

    expect(res.body).toEqual({ requeued: 2 });
    const after = await apiEdition(old);
    expect(after.counts.sent).toBeGreaterThanOrEqual(before.counts.sent);
    expect(Object.values(after.counts).reduce((a, b) => a + b, 0)).toBe(45);
  });
});
