import { DeliveryLedger } from '../../src/digests/delivery-ledger';
import type { Database } from '../../src/db/database';
import { withTransaction } from '../../src/db/transaction';
import { DigestFixtures } from '../helpers/digest-fixtures';
import { ManualClock } from '../helpers/manual-clock';
import { createTestDatabase, openTestPool, type TestDatabase } from '../helpers/test-database';

/** The ledger against real PostgreSQL, on a clock the test moves: which times follow it and which do not. */
describe('delivery ledger and the clock', () => {
  let db: TestDatabase;
  let database: Database;
  let fx: DigestFixtures;
  let clock: ManualClock;
  let ledger: DeliveryLedger;
  let digestId: number;
  let readerId: number;
  let dailyId: number;

  beforeEach(async () => {
    db = await createTestDatabase();
    database = openTestPool(db.url, 2);
    fx = new DigestFixtures(db.url);
    // Starts at real time: leases follow the database's own clock.
    clock = new ManualClock(Date.now());
    ledger = new DeliveryLedger({ pool: database.pool, clock });
    readerId = (await fx.subscribers(1))[0]!.id;
    dailyId = await fx.newsletterId('daily');
    digestId = await edition(dailyId, 'ledger-test');
    await withTransaction(database.pool, (tx) => ledger.recordRecipients(tx, digestId, dailyId));
  });
  afterEach(async () => {
    await fx.close();
    await database.close();
    await db.drop();
  });

  async function edition(newsletterId: number, publicId: string): Promise<number> {
    const { rows } = await fx.pool.query<{ id: number }>(
      `INSERT INTO digests (newsletter_id, edition_key, edition_at, window_start, window_end, public_id, subject, html, text, article_ids)
       VALUES ($1, 'slot:' || $2, now(), now() - interval '1 day', now(), $2, 'Today', '', '', '{}') RETURNING id`,
      [newsletterId, publicId],
    );
    return rows[0]!.id;
  }

  const claimedIds = async () => (await ledger.claim(10, 60)).map((d) => d.subscriberId);

  test('when a 4xx retry is scheduled, then the delivery is claimable once the injected clock reaches its time, and not before', async () => {
    const [claimed] = await ledger.claim(10, 60);
    await ledger.markTransientFailure(claimed!, '451 try later', 300, 5);
    expect(await claimedIds()).toEqual([]);
    expect(await ledger.progress(digestId)).toMatchObject({ due: 0, later: 1 });
    await clock.advance(299_000);
    expect(await claimedIds()).toEqual([]);
    await clock.advance(1_000);
    expect(await ledger.progress(digestId)).toMatchObject({ due: 1, later: 0 });
    const [again] = await ledger.claim(10, 60);
    expect(again).toMatchObject({ subscriberId: readerId, attempts: 2 });
  });

  test('when the app clock runs far ahead, then a live lease is not taken over: leases follow the database clock', async () => {
    expect(await claimedIds()).toEqual([readerId]);
    await clock.advance(24 * 3_600_000);
    expect(await claimedIds()).toEqual([]);
    // Its sender died: the lease runs out on the database's clock, and the row is taken over.
    // (The column holds UTC, as the service's sessions write it; this pool's session zone may differ.)
    await fx.pool.query(`UPDATE deliveries SET lease_until = (now() AT TIME ZONE 'UTC') - interval '1 second'`);
    expect(await claimedIds()).toEqual([readerId]);
  });

  test("when a claim's sender stops beating, then another sender takes it over before its lease; a live sender's claim stays", async () => {
    const sender = async () => (await fx.pool.query<{ id: number }>(`INSERT INTO senders DEFAULT VALUES RETURNING id`)).rows[0]!.id;
    const [dead, live] = [await sender(), await sender()];
    const [claimed] = await ledger.claim(10, 120, undefined, { id: dead, staleSeconds: 8 });
    expect(claimed?.subscriberId).toBe(readerId);
    const claimAs = async (id: number) => (await ledger.claim(10, 120, undefined, { id, staleSeconds: 8 })).map((d) => d.subscriberId);
    // Its sender beat just now: the row is its own, whatever the other sender's clock says.
    await clock.advance(3_600_000);
    expect(await claimAs(live)).toEqual([]);
    // Its beat is 9 s old on the database's clock: taken over, though the lease has ~2 minutes left.
    await fx.pool.query(`UPDATE senders SET heartbeat_at = heartbeat_at - interval '9 seconds' WHERE id = $1`, [dead]);
    expect(await claimAs(live)).toEqual([readerId]);
    expect((await fx.pool.query(`SELECT claimed_by FROM deliveries`)).rows[0]).toEqual({ claimed_by: live });
    // Now the live sender's: a third sender does not take it.
    expect(await claimAs(await sender())).toEqual([]);
  });

  test('when a claim names no sender (a sender without a registry), then only its lease running out frees it', async () => {
    expect(await claimedIds()).toEqual([readerId]);
    const other = (await fx.pool.query<{ id: number }>(`INSERT INTO senders DEFAULT VALUES RETURNING id`)).rows[0]!.id;
    expect((await ledger.claim(10, 60, undefined, { id: other, staleSeconds: 8 })).length).toBe(0);
  });

  test('when a delivery is sent and its digest completes, then both are stamped with the injected clock\'s time', async () => {
    await clock.advance(3_600_000);
    const sentAt = clock.now();
    const [claimed] = await ledger.claim(10, 60);
    await ledger.markSent([{ ...claimed!, messageId: '<m1@test>' }]);
    await clock.advance(5_000);
    await ledger.completeFinishedDigests();
    const { rows } = await fx.pool.query(
      `SELECT d.sent_at, g.status::text AS status, g.completed_at FROM deliveries d JOIN digests g ON g.id = d.digest_id`,
    );
    expect(rows[0]).toEqual({ sent_at: sentAt, status: 'done', completed_at: clock.now() });
  });

  test('when failed deliveries are retried, then they are pending again and the done digest is sending again, together', async () => {
    const [claimed] = await ledger.claim(10, 60);
    await ledger.markPermanentFailure(claimed!, '550 no such user', 5);
    await ledger.completeFinishedDigests();
    expect(await ledger.retryFailed(digestId)).toBe(1);
    const { rows } = await fx.pool.query(
      `SELECT d.status::text AS delivery, d.attempts, g.status::text AS digest, g.completed_at FROM deliveries d JOIN digests g ON g.id = d.digest_id`,
    );
    expect(rows[0]).toEqual({ delivery: 'pending', attempts: 0, digest: 'sending', completed_at: null });
    expect(await ledger.retryFailed(digestId)).toBe(0);
  });

  test('when a claimed row is given back behind the claims, then the claims go on ahead first and come back for it once nothing is ahead', async () => {
    const more = await fx.subscribers(2);
    const other = await edition(dailyId, 'ledger-cursor');
    expect(await withTransaction(database.pool, (tx) => ledger.recordRecipients(tx, other, dailyId))).toBe(3);
    const next = async () => (await ledger.claim(1, 60)).filter((d) => d.digestId === other).map((d) => d.subscriberId);
    await fx.pool.query(`UPDATE digests SET status = 'done' WHERE id = $1`, [digestId]); // only the new edition is sending
    const [first] = await ledger.claim(1, 60);
    expect(first).toMatchObject({ digestId: other, subscriberId: readerId });
    await ledger.release([first!]);
    // The walk goes on after the last reader claimed (a sent row's old index entry is never walked again)...
    expect(await next()).toEqual([more[0]!.id]);
    expect(await next()).toEqual([more[1]!.id]);
    // ...and starts over once nothing is ahead: the row given back is not forgotten.
    expect(await next()).toEqual([readerId]);
    expect(await next()).toEqual([]);
  });

  test('when a recipient leaves the newsletter after the edition was composed, then their delivery is skipped at claim and the others go out', async () => {
    const weeklyId = await fx.newsletterId('weekly');
    const [staying, leaving, elsewhere] = await fx.subscribers(3, { newsletters: ['daily', 'weekly'] });
    const other = await edition(dailyId, 'ledger-test-2');
    expect(await withTransaction(database.pool, (tx) => ledger.recordRecipients(tx, other, dailyId))).toBe(4);
    await fx.pool.query(`DELETE FROM subscriptions WHERE subscriber_id = $1 AND newsletter_id = $2`, [leaving!.id, dailyId]);
    // Still subscribed to weekly, not to this edition's newsletter: skipped too.
    await fx.pool.query(`DELETE FROM subscriptions WHERE subscriber_id = $1 AND newsletter_id = $2`, [elsewhere!.id, dailyId]);
    await fx.pool.query(`DELETE FROM subscriptions WHERE subscriber_id = $1 AND newsletter_id = $2`, [staying!.id, weeklyId]);

    const claimed = await ledger.claim(10, 60);
    expect(claimed.filter((d) => d.digestId === other).map((d) => d.subscriberId)).toEqual([readerId, staying!.id]);
    expect(await fx.deliveryCounts(other)).toEqual({ sending: 2, skipped: 2 });
    const { rows } = await fx.pool.query(`SELECT attempts FROM deliveries WHERE digest_id = $1 AND status = 'skipped'`, [other]);
    expect(rows).toEqual([{ attempts: 0 }, { attempts: 0 }]);
  });
});
