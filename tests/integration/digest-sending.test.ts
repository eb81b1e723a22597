import type pg from 'pg';
import { withTransaction } from '../../src/db/transaction';
import request from 'supertest';
import { startTestBulletin, type TestBulletin, adminAuth, QUIET_SCHEDULES } from '../helpers/test-bulletin';
import { DigestFixtures, duplicates, stopSmtpAbruptly } from '../helpers/digest-fixtures';

const env = {
  ...QUIET_SCHEDULES,
  SEND_RETRY_DELAY_SECONDS: '1',
  SEND_MAX_ATTEMPTS: '3',
  HARD_BOUNCE_LIMIT: '2',
};

describe('digest sending', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  beforeEach(async () => {
    app = await startTestBulletin(env);
    fx = new DigestFixtures(app.db.url);
  });
  afterEach(async () => {
    await fx.close();
    await app.stop();
  });

  /** Retries and outage pauses come due without waiting: the service's clock jumps a second per poll. */
  const skipAhead = () => app.clock.skip(1000);

  async function sendNow(): Promise<number> {
    const res = await request(app.url).post('/api/admin/digests').set(adminAuth).send({ frequency: 'daily' });
    expect(res.status).toBe(201);
    return res.body.digest.id;
  }

  test('when the server answers 451 once, then the delivery is retried and sent', async () => {
    const [flaky, fine] = await fx.subscribers(2);
    let refused = 0;
    app.smtp.reject = (to) => (to === flaky!.email && refused++ === 0 ? 451 : undefined);
    await fx.article({ title: 'Retry story' });
    const digestId = await sendNow();
    const counts = await fx.waitUntilSettled(digestId, 20_000, skipAhead);
    expect(app.smtp.to(flaky!.email)).toHaveLength(1);
    expect(counts).toEqual({ sent: 2 });
    expect(refused).toBe(2);
    expect(app.smtp.to(fine!.email)).toHaveLength(1);
    const { rows } = await fx.pool.query(`SELECT attempts FROM deliveries WHERE subscriber_id = $1`, [flaky!.id]);
    expect(rows[0].attempts).toBe(2);
  });

  test('when the server keeps answering 451, then the delivery fails after the last attempt', async () => {
    const [always] = await fx.subscribers(1);
    app.smtp.reject = () => 451;
    await fx.article({ title: 'Never arrives' });
    const digestId = await sendNow();
    expect(await fx.waitUntilSettled(digestId, 20_000, skipAhead)).toEqual({ failed: 1 });
    const { rows } = await fx.pool.query(
      `SELECT d.attempts, d.last_error, s.hard_bounces, s.suppressed_at FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.id = $1`,
      [always!.id],
    );
    expect(rows[0]).toMatchObject({ attempts: 3, hard_bounces: 0, suppressed_at: null });
    expect(rows[0].last_error).toMatch(/^451/);
  });

  test('when the server answers 550 repeatedly, then the deliveries fail at once and the address is suppressed', async () => {
    const [bouncing, fine] = await fx.subscribers(2);
    app.smtp.reject = (to) => (to === bouncing!.email ? 550 : undefined);
    await fx.article({ title: 'First', publishedAt: new Date(Date.now() - 60_000) });
    const first = await sendNow();
    expect(await fx.waitUntilSettled(first)).toEqual({ sent: 1, failed: 1 });
    let s = await fx.pool.query(`SELECT hard_bounces, suppressed_at FROM subscribers WHERE id = $1`, [bouncing!.id]);
    expect(s.rows[0]).toMatchObject({ hard_bounces: 1, suppressed_at: null });

    await fx.article({ title: 'Second', publishedAt: new Date() });
    const second = await sendNow();
    expect(await fx.waitUntilSettled(second)).toEqual({ sent: 1, failed: 1 });
    s = await fx.pool.query(`SELECT hard_bounces, suppressed_at FROM subscribers WHERE id = $1`, [bouncing!.id]);
    expect(s.rows[0].hard_bounces).toBe(2);
    expect(s.rows[0].suppressed_at).not.toBeNull();

    await fx.article({ title: 'Third', publishedAt: new Date() });
    const third = await sendNow();
    expect(await fx.waitUntilSettled(third)).toEqual({ sent: 1 });
    expect(app.smtp.to(fine!.email)).toHaveLength(3);
    expect(app.smtp.to(bouncing!.email)).toHaveLength(0);
  });

  test('when a send succeeds after a hard bounce, then the run of bounces starts again', async () => {
    const [reader] = await fx.subscribers(1);
    app.smtp.reject = () => 550;
    await fx.article({ title: 'Bounced', publishedAt: new Date(Date.now() - 60_000) });
    await fx.waitUntilSettled(await sendNow());
    app.smtp.reject = () => undefined;
    await fx.article({ title: 'Delivered', publishedAt: new Date() });
    await fx.waitUntilSettled(await sendNow());
    const { rows } = await fx.pool.query(`SELECT hard_bounces FROM subscribers WHERE id = $1`, [reader!.id]);
    expect(rows[0].hard_bounces).toBe(0);
  });

  test('when the SMTP server goes away and comes back, then the send resumes by itself', async () => {
    const readers = await fx.subscribers(40);
    await fx.article({ title: 'Outage story' });
    const port = app.smtp.port;
    await stopSmtpAbruptly(app.smtp);
    const digestId = await sendNow();
    // Every attempt meets a refused connection; nothing may be given up meanwhile.
    await waitFor(async () => (await fx.pool.query(`SELECT 1 FROM deliveries WHERE last_error IS NOT NULL`)).rowCount! > 0);
    expect(await fx.deliveryCounts(digestId)).not.toHaveProperty('failed');
    await app.smtp.start(port);
    const counts = await fx.waitUntilSettled(digestId, 30_000, skipAhead);
    expect(counts).toEqual({ sent: 40 });
    expect(new Set(app.smtp.messages.flatMap((m) => m.to))).toEqual(new Set(readers.map((r) => r.email)));
    expect(duplicates(app.smtp).extra).toBe(0);
  });

  test('when someone unsubscribes during a send, then they are not mailed afterwards', async () => {
    const readers = await fx.subscribers(30);
    const leaving = readers[readers.length - 1]!;
    await fx.article({ title: 'Unsubscribe story' });
    // The send is held up (server unreachable) after the recipients were recorded...
    const port = app.smtp.port;
    await stopSmtpAbruptly(app.smtp);
    const digestId = await sendNow();
    expect(Object.values(await fx.deliveryCounts(digestId)).reduce((a, b) => a + b, 0)).toBe(30);
    // The sender has met the outage and given its claims back...
    await waitFor(async () => {
      const { rows } = await fx.pool.query(
        `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(last_error)::int AS failed FROM deliveries`,
      );
      return rows[0].pending === 30 && rows[0].failed > 0;
    });
    // ...when one of them unsubscribes while their row waits: it is locked meanwhile, so the
    // sender's probes (one row at a time, any row: claims go on from the last) cannot claim it
    // in between. Claimed before the unsubscribe, the message would rightly go out.
    await whilePendingAndLocked(digestId, leaving.id, (tx) =>
      tx.query(`UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = now() WHERE id = $1`, [leaving.id]),
    );
    await app.smtp.start(port);
    const counts = await fx.waitUntilSettled(digestId, 30_000, skipAhead);
    expect(counts).toEqual({ sent: 29, skipped: 1 });
    expect(app.smtp.to(leaving.email)).toHaveLength(0);
  });

  /** Runs `work` in a transaction holding the reader's delivery row, once it is pending (not claimed). */
  async function whilePendingAndLocked(digestId: number, subscriberId: number, work: (tx: pg.ClientBase) => Promise<unknown>): Promise<void> {
    for (;;) {
      const done = await withTransaction(fx.pool, async (tx) => {
        const { rows } = await tx.query(`SELECT status FROM deliveries WHERE digest_id = $1 AND subscriber_id = $2 FOR UPDATE`, [digestId, subscriberId]);
        if (rows[0]?.status !== 'pending') return false;
        await work(tx);
        return true;
      });
      if (done) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
