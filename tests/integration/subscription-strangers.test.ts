import request from 'supertest';
import { loadConfig } from '../../src/config';
import { openTestPool } from '../helpers/test-database';
import { startBulletin, type RunningBulletin } from '../../src/main';
import { createLogger } from '../../src/shared/logger';
import { PurgePendingSignups } from '../../src/subscriptions/purge-pending-signups';
import { SubscriberRepository } from '../../src/subscriptions/subscriber-repository';
import { ErasedAddresses } from '../../src/privacy/erased-addresses';
import { freePort, startTestBulletin, type TestBulletin, TEST_POSTAL_ADDRESS } from '../helpers/test-bulletin';
import {
  confirmThroughLink, jobsIdle, linkIn, mailsTo, query, queryOne, relative, subscribeAndConfirm, submitJsonSignup, submitSignup,
  subscriptionsOf, uniqueEmail, waitForMail,
} from './subscription-test-kit';

/**
 * What a stranger can do with someone else's address: sign it up again, ask for its manage link,
 * fill the honeypot in any shape. Per-address limits in memory are set high here, so only what the
 * database holds stands between a stranger and the victim's inbox.
 */
describe('strangers and other people\'s addresses', () => {
  let app: TestBulletin;
  beforeAll(async () => {
    app = await startTestBulletin({ RATE_LIMIT_PER_IP: '10000', RATE_LIMIT_PER_ADDRESS: '1000', CONFIRMATION_RESEND_MINUTES: '10' });
  });
  afterAll(async () => {
    await app.stop();
  });

  test('when a stranger signs up a pending address again with their own name and newsletter, then the name stays the first signup\'s and the one confirmation covers both newsletters', async () => {
    const email = uniqueEmail('victim');
    await submitSignup(app, { email, name: 'Ann', frequency: 'daily' }).expect(200);
    const confirmMail = await waitForMail(app, email, /confirm/i);
    const evil = 'Your account is locked, visit evil.test';
    await submitSignup(app, { email, name: evil, frequency: 'weekly' }).expect(200);
    await submitJsonSignup(app, { email, name: evil, frequency: 'weekly' }).expect(202);

    expect((await confirmThroughLink(app, linkIn(confirmMail, '/confirm'))).status).toBe(200);
    const welcome = await waitForMail(app, email, /welcome/i);
    expect(welcome.raw).not.toContain('evil.test');
    expect(welcome.parsed.text).toContain('Ann');
    // Nothing reaches the reader before they confirm, and the email they confirm names every newsletter.
    expect(welcome.parsed.text).toMatch(/- Daily .*\n- Weekly /);
    expect(await queryOne(app, 'SELECT name, status FROM subscribers WHERE email = $1', [email])).toEqual({ name: 'Ann', status: 'confirmed' });
    expect(await subscriptionsOf(app, email)).toEqual(['daily', 'weekly']);
  });

  test('when an unsubscribed address signs up again with another name and newsletter, then it keeps its name and waits, pending, with exactly what was asked', async () => {
    const email = uniqueEmail('returning');
    const { welcome } = await subscribeAndConfirm(app, email, { name: 'Ann', frequency: 'daily' });
    await request(app.url).post(relative(linkIn(welcome, '/unsubscribe'))).type('form').send({ via: 'page' }).expect(200);
    await queryOne(app, `UPDATE subscribers SET confirmation_sent_at = now() - interval '11 minutes' WHERE email = $1 RETURNING id`, [email]);

    await submitSignup(app, { email, name: 'Mallory', frequency: 'weekly' }).expect(200);
    expect(await queryOne(app, 'SELECT name, status FROM subscribers WHERE email = $1', [email])).toEqual({ name: 'Ann', status: 'pending' });
    expect(await subscriptionsOf(app, email)).toEqual(['weekly']);
    await app.smtp.waitFor(() => mailsTo(app, email, /confirm/i).length === 2);
    expect((await confirmThroughLink(app, linkIn(mailsTo(app, email, /confirm/i)[1]!, '/confirm'))).status).toBe(200);
    await app.smtp.waitFor(() => mailsTo(app, email, /welcome/i).length === 2);
    const second = mailsTo(app, email, /welcome/i)[1]!;
    expect(second.parsed.text).toContain('Ann');
    expect(second.raw).not.toContain('Mallory');
  });

  test('when a new address is signed up four times at once, then it is stored once and gets one confirmation', async () => {
    const email = uniqueEmail('new-racing');
    await Promise.all([1, 2, 3, 4].map(() => submitJsonSignup(app, { email }).expect(202)));
    await jobsIdle(app);
    expect(await query(app, 'SELECT status FROM subscribers WHERE email = $1', [email])).toEqual([{ status: 'pending' }]);
    expect(mailsTo(app, email, /confirm/i)).toHaveLength(1);
  });

  test('when a pending address past its resend interval is signed up four times at once, then exactly one more confirmation goes out', async () => {
    const email = uniqueEmail('racing');
    await submitSignup(app, { email }).expect(200);
    await waitForMail(app, email, /confirm/i);
    await queryOne(app, `UPDATE subscribers SET confirmation_sent_at = now() - interval '11 minutes' WHERE email = $1 RETURNING id`, [email]);
    await Promise.all([1, 2, 3, 4].map(() => submitJsonSignup(app, { email }).expect(202)));
    await jobsIdle(app);
    expect(mailsTo(app, email, /confirm/i)).toHaveLength(2);
    expect(await query(app, 'SELECT c.event FROM consents c JOIN subscribers s ON s.id = c.subscriber_id WHERE s.email = $1', [email])).toHaveLength(5);
  });

  test('when POST /manage is sent four times for a confirmed address, then exactly one manage email goes out', async () => {
    const email = uniqueEmail('manage');
    await subscribeAndConfirm(app, email);
    for (let i = 0; i < 4; i++) await request(app.url).post('/manage').type('form').send({ email }).expect(200);
    await jobsIdle(app);
    expect(mailsTo(app, email, /manage/i)).toHaveLength(1);

    // Once the interval has passed, the next request sends again.
    const rewound = await query(
      app,
      `UPDATE manage_requests SET requested_at = now() - interval '11 minutes'
        WHERE address_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex') RETURNING address_hash`,
      [email],
    );
    expect(rewound).toHaveLength(1);
    await request(app.url).post('/manage').set('Accept', 'application/json').send({ email }).expect(202);
    await app.smtp.waitFor(() => mailsTo(app, email, /manage/i).length === 2);
  });

  test('when POST /manage is sent four times at once for an unsubscribed address, then exactly one manage email goes out', async () => {
    const email = uniqueEmail('manage-unsub');
    const { welcome } = await subscribeAndConfirm(app, email);
    await request(app.url).post(relative(linkIn(welcome, '/unsubscribe'))).type('form').send({ via: 'page' }).expect(200);
    await Promise.all([1, 2, 3, 4].map(() => request(app.url).post('/manage').type('form').send({ email }).expect(200)));
    await jobsIdle(app);
    expect(mailsTo(app, email, /manage/i)).toHaveLength(1);
  });

  test('when POST /manage is sent for an unknown address, then only a hash of it is kept, until the purge after PENDING_PURGE_DAYS', async () => {
    const email = uniqueEmail('unknown');
    await request(app.url).post('/manage').type('form').send({ email }).expect(200);
    const hashOf = `SELECT address_hash FROM manage_requests WHERE address_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')`;
    expect(await query(app, hashOf, [email])).toHaveLength(1);
    expect(JSON.stringify(await query(app, 'SELECT * FROM manage_requests'))).not.toContain(email);
    expect(await query(app, 'SELECT id FROM subscribers WHERE email = $1', [email])).toEqual([]);

    await query(app, `UPDATE manage_requests SET requested_at = now() - interval '31 days' WHERE address_hash IN (${hashOf})`, [email]);
    const db = openTestPool(app.db.url, 2);
    try {
      const repository = new SubscriberRepository({ prisma: db.prisma, pool: db.pool, erasedAddresses: new ErasedAddresses({ pool: db.pool }) });
      await new PurgePendingSignups({ repository, clock: { now: () => new Date() }, pendingPurgeDays: 30 }).run();
    } finally {
      await db.close();
    }
    expect(await query(app, hashOf, [email])).toEqual([]);
  });

  test('when POST /manage and signups are sent for a pending address, then only its first confirmation email goes out', async () => {
    const email = uniqueEmail('manage-pending');
    await submitSignup(app, { email }).expect(200);
    await waitForMail(app, email, /confirm/i);
    for (let i = 0; i < 3; i++) {
      await request(app.url).post('/manage').type('form').send({ email }).expect(200);
      await submitSignup(app, { email }).expect(200);
    }
    await jobsIdle(app);
    expect(mailsTo(app, email, /confirm/i)).toHaveLength(1);
    expect(mailsTo(app, email, /manage/i)).toHaveLength(0);
  });

  describe('the honeypot', () => {
    const person = { status: 200 };
    const shapes: Array<[string, (email: string) => request.Test]> = [
      ['a form with the field twice', (email) => request(app.url).post('/subscribe').type('form').send(`email=${encodeURIComponent(email)}&website=spam&website=more`)],
      ['a form with an empty and a filled field', (email) => request(app.url).post('/subscribe').type('form').send(`email=${encodeURIComponent(email)}&website=&website=spam`)],
      ['JSON with an array', (email) => submitJsonSignup(app, { email, website: ['spam'] })],
      ['JSON with an object', (email) => submitJsonSignup(app, { email, website: { url: 'spam' } })],
      ['JSON with an empty object', (email) => submitJsonSignup(app, { email, website: {} })],
      ['JSON with a number', (email) => submitJsonSignup(app, { email, website: 1 })],
      ['JSON with true', (email) => submitJsonSignup(app, { email, website: true })],
    ];

    test.each(shapes)('when the honeypot comes as %s, then the answer is a person\'s and nothing is stored or sent', async (_shape, send) => {
      const email = uniqueEmail('bot');
      const res = await send(email);
      const json = res.type === 'application/json';
      // The same answer a person gets for the same kind of request.
      const human = json ? await submitJsonSignup(app, { email: uniqueEmail() }) : await submitSignup(app, { email: uniqueEmail() });
      expect({ status: res.status, body: json ? res.body : res.text }).toEqual({ status: human.status, body: json ? human.body : human.text });
      expect(res.status).toBe(json ? 202 : person.status);
      expect(await query(app, 'SELECT id FROM subscribers WHERE email = $1', [email])).toEqual([]);
      await jobsIdle(app);
      expect(app.smtp.messages.filter((m) => m.raw.includes(email))).toEqual([]);
    });
  });
});

describe('two instances on one database', () => {
  let first: TestBulletin;
  let second: RunningBulletin;
  beforeAll(async () => {
    const limits = { RATE_LIMIT_PER_IP: '10000', RATE_LIMIT_PER_ADDRESS: '1000' };
    first = await startTestBulletin(limits);
    second = await startSecondInstance(first, limits);
  });
  afterAll(async () => {
    await second.stop();
    await first.stop();
  });

  test('when POST /manage for one address alternates between two instances, then exactly one manage email goes out', async () => {
    const email = uniqueEmail('two');
    await subscribeAndConfirm(first, email);
    for (const url of [first.url, second.url, first.url, second.url]) {
      await request(url).post('/manage').type('form').send({ email }).expect(200);
    }
    await jobsIdle(first);
    expect(mailsTo(first, email, /manage/i)).toHaveLength(1);
  });

  test('when a pending address signs up again on the other instance, then no second confirmation goes out', async () => {
    const email = uniqueEmail('two-pending');
    await submitSignup(first, { email }).expect(200);
    await waitForMail(first, email, /confirm/i);
    await request(second.url).post('/subscribe').type('form').send({ email, newsletters: 'daily' }).expect(200);
    await request(second.url).post('/manage').type('form').send({ email }).expect(200);
    await jobsIdle(first);
    expect(mailsTo(first, email, /confirm/i)).toHaveLength(1);
  });
});

/** A second Bulletin on the first one's database and SMTP peer, as a second instance behind a load balancer. */
async function startSecondInstance(first: TestBulletin, env: Record<string, string>): Promise<RunningBulletin> {
  const port = await freePort();
  const config = loadConfig({
    DATABASE_URL: first.db.url,
    SMTP_URL: first.smtp.url,
    MAIL_POSTAL_ADDRESS: TEST_POSTAL_ADDRESS,
    SECRET_KEY: first.config.SECRET_KEY!,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_POOL_SIZE: '4',
    ...env,
  });
  return startBulletin(config, createLogger(config.LOG_LEVEL));
}
