import { startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { SubscriberRepository } from '../../src/subscriptions/subscriber-repository';
import { ErasedAddresses } from '../../src/privacy/erased-addresses';
import { PurgePendingSignups } from '../../src/subscriptions/purge-pending-signups';
import type { Database } from '../../src/db/database';
import { openTestPool } from '../helpers/test-database';
import { jobsIdle, linkIn, mailsTo, query, queryOne, subscribeAndConfirm, submitSignup, uniqueEmail, waitForMail, waitForMailSkippingRetryDelays } from './subscription-test-kit';
import { noPrisma } from '../helpers/no-prisma';

describe('delivery through the outbox and pg-boss, and the purge of unconfirmed signups', () => {
  let app: TestBulletin;
  let db: Database;
  beforeAll(async () => {
    app = await startTestBulletin({ RATE_LIMIT_PER_IP: '10000', PENDING_PURGE_DAYS: '30' });
    db = openTestPool(app.db.url, 2);
  });
  afterAll(async () => {
    await db.close();
    await app.stop();
  });
  afterEach(() => {
    app.smtp.reject = () => undefined;
  });

  test('when the SMTP peer refuses with 451, then the signup still answers and the confirmation arrives once the peer accepts again', async () => {
    const email = uniqueEmail();
    let refusals = 0;
    let release!: () => void;
    const refused = new Promise<void>((resolve) => (release = resolve));
    app.smtp.reject = (rcpt) => {
      if (rcpt !== email) return undefined;
      refusals += 1;
      release();
      return 451;
    };
    await submitSignup(app, { email }).expect(200);
    await refused;
    app.smtp.reject = () => undefined;
    const mail = await waitForMailSkippingRetryDelays(app, email, /confirm/i);
    expect(refusals).toBeGreaterThanOrEqual(1);
    expect(linkIn(mail, '/confirm')).toContain('token=');
  });

  test('when one email of a burst is refused with 451, then only it is retried: every other address gets exactly one', async () => {
    const emails = Array.from({ length: 12 }, () => uniqueEmail('burst'));
    const refused = emails[5]!;
    let attempts = 0;
    app.smtp.reject = (rcpt) => (rcpt === refused && attempts++ === 0 ? 451 : undefined);
    // Sent together, the confirmations share the workers' batches with the refused one.
    await Promise.all(emails.map((email) => submitSignup(app, { email }).expect(200)));
    await Promise.all(emails.map((email) => (email === refused ? waitForMailSkippingRetryDelays(app, email, /confirm/i) : waitForMail(app, email, /confirm/i, 30_000))));
    await jobsIdle(app);
    expect(attempts).toBe(2); // refused once, accepted on the retry
    for (const email of emails) expect(mailsTo(app, email, /confirm/i)).toHaveLength(1);
  });

  test('when the SMTP peer is down, then the confirmation waits and arrives when the peer is back on the same port', async () => {
    const email = uniqueEmail();
    const port = app.smtp.port;
    // The mailer's pooled connection stays open; without this, smtp-server waits 30 s for it to leave.
    (app.smtp as unknown as { server: { options: { closeTimeout: number } } }).server.options.closeTimeout = 50;
    await app.smtp.stop();
    await submitSignup(app, { email }).expect(200);
    // The job has run and failed at least once while nobody listened: it waits for a retry, or is on one.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const job = await queryOne<{ state: string; retry_count: number }>(
        app,
        `SELECT state, retry_count FROM pgboss.job WHERE name = 'subscription-confirmation-email' AND data->>'subscriberId' = (SELECT id::text FROM subscribers WHERE email = $1)`,
        [email],
      );
      if (job && (job.state === 'retry' || job.retry_count > 0)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await app.smtp.start(port);
    const mail = await waitForMailSkippingRetryDelays(app, email, /confirm/i);
    expect(mail.to).toEqual([email]);
  });

  test('when unconfirmed signups are older than PENDING_PURGE_DAYS, then the purge deletes them and keeps confirmed and recent ones', async () => {
    const old = uniqueEmail('old');
    const recent = uniqueEmail('recent');
    const confirmed = uniqueEmail('confirmed');
    await submitSignup(app, { email: old }).expect(200);
    await submitSignup(app, { email: recent }).expect(200);
    await subscribeAndConfirm(app, confirmed);
    await waitForMail(app, old, /confirm/i);
    await waitForMail(app, recent, /confirm/i);
    await query(app, `UPDATE subscribers SET created_at = now() - interval '31 days', confirmation_sent_at = now() - interval '31 days' WHERE email = ANY($1)`, [[old, confirmed]]);
    // A former subscriber who signed up again a month ago and never confirmed: back to unsubscribed.
    const returning = uniqueEmail('returning');
    await subscribeAndConfirm(app, returning);
    await query(app, `UPDATE subscribers SET status = 'pending', created_at = now() - interval '31 days', confirmation_sent_at = now() - interval '31 days' WHERE email = $1`, [returning]);

    const purge = new PurgePendingSignups({
      repository: new SubscriberRepository({ prisma: noPrisma, pool: db.pool, erasedAddresses: new ErasedAddresses({ pool: db.pool }) }),
      clock: { now: () => new Date() },
      pendingPurgeDays: 30,
    });
    // Run by any instance that runs jobs, without Prisma (a throwing stand-in here): see account-queries.ts.
    const result = await purge.run();
    expect(result.deleted).toBeGreaterThanOrEqual(1);
    expect(result.reverted).toBeGreaterThanOrEqual(1);
    const left = await query<{ email: string; status: string }>(app, 'SELECT email, status FROM subscribers WHERE email = ANY($1) ORDER BY email', [[old, recent, confirmed]]);
    expect(left.map((r) => r.email).sort()).toEqual([confirmed, recent].sort());
    expect(await queryOne(app, `SELECT status, updated_at > now() - interval '1 minute' AS touched, (SELECT count(*)::int FROM consents c WHERE c.subscriber_id = s.id) AS consents FROM subscribers s WHERE email = $1`, [returning])).toEqual({
      status: 'unsubscribed',
      touched: true,
      consents: expect.any(Number),
    });
    expect(await query(app, `SELECT id FROM consents WHERE subscriber_id NOT IN (SELECT id FROM subscribers)`)).toEqual([]);
  });

  test('when the purge runs with a clock 31 days ahead, then a fresh pending signup goes too', async () => {
    const email = uniqueEmail();
    await submitSignup(app, { email }).expect(200);
    await waitForMail(app, email, /confirm/i);
    const purge = new PurgePendingSignups({
      repository: new SubscriberRepository({ prisma: noPrisma, pool: db.pool, erasedAddresses: new ErasedAddresses({ pool: db.pool }) }),
      clock: { now: () => new Date(Date.now() + 31 * 86_400_000) },
      pendingPurgeDays: 30,
    });
    await purge.run();
    expect(await queryOne(app, 'SELECT id FROM subscribers WHERE email = $1', [email])).toBeUndefined();
  });

  test('when the purge job is registered, then it is scheduled daily in pg-boss', async () => {
    const schedules = await query<{ name: string; cron: string }>(app, `SELECT name, cron FROM pgboss.schedule WHERE name = 'subscription-purge-pending'`);
    expect(schedules).toEqual([{ name: 'subscription-purge-pending', cron: expect.stringMatching(/^\d+ \d+ \* \* \*$/) }]);
  });
});
