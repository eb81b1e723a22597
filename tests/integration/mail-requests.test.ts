import { startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import type { Database } from '../../src/db/database';
import { openTestPool } from '../helpers/test-database';
import { startJobQueue, type PgBoss } from '../../src/jobs/job-queue';
import { createLogger } from '../../src/shared/logger';
import { mailRequestRelay } from '../../src/subscriptions/mail-request-relay';
import { jobsIdle, mailsTo, query, queryOne, submitJsonSignup, uniqueEmail, waitForMail } from './subscription-test-kit';

describe('mail requests: a signup and its confirmation email commit together, and are relayed once', () => {
  let app: TestBulletin;
  beforeAll(async () => {
    app = await startTestBulletin({ RATE_LIMIT_PER_IP: '10000' });
  });
  afterAll(async () => {
    await app.stop();
  });

  test('when writing the confirmation email fails, then the signup answers 500 and no subscriber is stored', async () => {
    const email = uniqueEmail('atomic');
    await query(
      app,
      `CREATE FUNCTION refuse_mail_request() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'mail request refused'; END $$;
       CREATE TRIGGER refuse_mail_request BEFORE INSERT ON mail_requests FOR EACH ROW EXECUTE FUNCTION refuse_mail_request();`,
    );
    try {
      await submitJsonSignup(app, { email }).expect(500);
    } finally {
      await query(app, `DROP TRIGGER refuse_mail_request ON mail_requests; DROP FUNCTION refuse_mail_request();`);
    }
    expect(await queryOne(app, 'SELECT id FROM subscribers WHERE email = $1', [email])).toBeUndefined();

    // The same address signs up again once the database accepts: one confirmation email.
    await submitJsonSignup(app, { email }).expect(202);
    await waitForMail(app, email, /confirm/i);
    await jobsIdle(app);
    expect(mailsTo(app, email, /confirm/i)).toHaveLength(1);
  });

  test('when an instance stopped after a signup committed but before relaying it, then a running instance sends that email once', async () => {
    const email = uniqueEmail('orphan');
    // What a crash leaves behind: the committed subscriber and its mail request, and no job.
    await query(
      app,
      `WITH s AS (
         INSERT INTO subscribers (email, status, confirmation_sent_at, updated_at)
         VALUES ($1, 'pending', now(), now()) RETURNING id
       )
       INSERT INTO mail_requests (kind, subscriber_id) SELECT 'confirmation', id FROM s`,
      [email],
    );
    await waitForMail(app, email, /confirm/i, 10_000);
    await jobsIdle(app);
    expect(mailsTo(app, email, /confirm/i)).toHaveLength(1);
    expect(await query(app, 'SELECT id FROM mail_requests')).toEqual([]);
  });

  describe('with several relays at once', () => {
    let dbs: Database[];
    let boss: PgBoss;
    beforeAll(async () => {
      dbs = [openTestPool(app.db.url, 3), openTestPool(app.db.url, 3)];
      boss = await startJobQueue({ connectionString: app.db.url, logger: createLogger('silent'), schedule: false });
    });
    afterAll(async () => {
      await boss.stop({ graceful: false, close: true });
      await Promise.all(dbs.map((db) => db.close()));
    });

    test('when a relay stops, then it first relays the requests its instance wrote last', async () => {
      const email = uniqueEmail('last');
      await query(
        app,
        `WITH s AS (
           INSERT INTO subscribers (email, status, updated_at) VALUES ($1, 'unsubscribed', now()) RETURNING id
         )
         INSERT INTO mail_requests (kind, subscriber_id) SELECT 'welcome', id FROM s`,
        [email],
      );
      await mailRequestRelay({ pool: dbs[0]!.pool, boss, logger: createLogger('silent') }).stop();
      const jobs = await query(
        app,
        `SELECT j.id FROM pgboss.job j JOIN subscribers s ON s.id = (j.data->>'subscriberId')::int
          WHERE j.name = 'subscription-welcome-email' AND s.email = $1`,
        [email],
      );
      expect(jobs).toHaveLength(1);
    });

    test('when three relays (this one, another process, the running instance) drain 3,000 emails, then each becomes exactly one job', async () => {
      const label = `many-${Date.now()}`;
      await query(
        app,
        `WITH s AS (
           INSERT INTO subscribers (email, status, updated_at)
           SELECT '${label}-' || i || '@example.org', 'unsubscribed', now() FROM generate_series(1, 3000) i
           RETURNING id
         )
         INSERT INTO mail_requests (kind, subscriber_id) SELECT 'welcome', id FROM s`,
      );

      const relays = dbs.map((db) => mailRequestRelay({ pool: db.pool, boss, logger: createLogger('silent') }));
      // stop() drains until nothing is left that the relay could move.
      await Promise.all(relays.map((relay) => relay.stop()));

      const jobs = await query<{ subscriber_id: string; n: number }>(
        app,
        `SELECT j.data->>'subscriberId' AS subscriber_id, count(*)::int AS n
         FROM pgboss.job j JOIN subscribers s ON s.id = (j.data->>'subscriberId')::int
         WHERE j.name = 'subscription-welcome-email' AND s.email LIKE $1
         GROUP BY 1`,
        [`${label}-%`],
      );
      expect(jobs).toHaveLength(3000);
      expect(jobs.filter((j) => j.n !== 1)).toEqual([]);
      expect(await query(app, 'SELECT id FROM mail_requests')).toEqual([]);
      // Unsubscribed recipients: the workers send them nothing.
      await jobsIdle(app, 60_000);
      expect(app.smtp.messages.filter((m) => m.to.some((to) => to.startsWith(`${label}-`)))).toEqual([]);
    });
  });
});
