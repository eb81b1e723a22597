import request from 'supertest';
import { startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import {
  jobsIdle, linkIn, mailsTo, queryOne, relative, subscribeAndConfirm, submitJsonSignup, submitSignup, subscriptionsOf, uniqueEmail, waitForMail,
} from './subscription-test-kit';

describe('no enumeration, no list bombing', () => {
  let app: TestBulletin;
  beforeAll(async () => {
    app = await startTestBulletin({ RATE_LIMIT_PER_IP: '10000', RATE_LIMIT_PER_ADDRESS: '100', CONFIRMATION_RESEND_MINUTES: '10' });
  });
  afterAll(async () => {
    await app.stop();
  });

  test('when new, pending, confirmed and unsubscribed addresses sign up, then every answer is identical (HTML and JSON)', async () => {
    const pending = uniqueEmail('pending');
    await submitSignup(app, { email: pending }).expect(200);
    const confirmed = uniqueEmail('confirmed');
    await subscribeAndConfirm(app, confirmed);
    const unsubscribed = uniqueEmail('unsubscribed');
    const { welcome } = await subscribeAndConfirm(app, unsubscribed);
    await request(app.url).post(relative(linkIn(welcome, '/unsubscribe'))).type('form').send({ via: 'page' }).expect(200);

    const html = [];
    const json = [];
    // The form asks for a newsletter none of them holds (for the confirmed address: one more,
    // added without a confirmation), the JSON for the one they all hold already.
    for (const email of [uniqueEmail('new'), pending, confirmed, unsubscribed]) {
      const res = await submitSignup(app, { email, newsletters: 'weekly' });
      html.push({ status: res.status, type: res.type, body: res.text });
      const api = await submitJsonSignup(app, { email, newsletters: ['daily'] });
      json.push({ status: api.status, body: api.body });
    }
    for (const answer of html) expect(answer).toEqual(html[0]);
    for (const answer of json) expect(answer).toEqual(json[0]);
  });

  test('when a pending address signs up again and again, then at most one more confirmation goes out per resend interval', async () => {
    const email = uniqueEmail();
    await submitSignup(app, { email }).expect(200);
    await waitForMail(app, email, /confirm/i);
    for (let i = 0; i < 4; i++) await submitSignup(app, { email }).expect(200);
    await jobsIdle(app);
    expect(mailsTo(app, email, /confirm/i)).toHaveLength(1);

    // Once the interval has passed, the next signup re-sends.
    await queryOne(app, `UPDATE subscribers SET confirmation_sent_at = now() - interval '11 minutes' WHERE email = $1 RETURNING id`, [email]);
    await submitSignup(app, { email }).expect(200);
    await app.smtp.waitFor(() => mailsTo(app, email, /confirm/i).length === 2);
    await submitSignup(app, { email }).expect(200);
    await jobsIdle(app);
    expect(mailsTo(app, email, /confirm/i)).toHaveLength(2);
  });

  test('when a confirmed address signs up to one more newsletter, then it gets it at once, unmailed, its name and other newsletters unchanged', async () => {
    const email = uniqueEmail();
    await subscribeAndConfirm(app, email, { newsletters: 'daily', name: 'Ann' });
    const before = app.smtp.to(email).length;
    await submitSignup(app, { email, newsletters: 'weekly', name: 'Mallory' }).expect(200);
    await jobsIdle(app);
    expect(app.smtp.to(email)).toHaveLength(before);
    expect(await queryOne(app, 'SELECT status, name FROM subscribers WHERE email = $1', [email])).toEqual({ status: 'confirmed', name: 'Ann' });
    expect(await subscriptionsOf(app, email)).toEqual(['daily', 'weekly']);
    const last = await queryOne(
      app,
      `SELECT c.event, n.slug FROM consents c JOIN subscribers s ON s.id = c.subscriber_id JOIN newsletters n ON n.id = c.newsletter_id
        WHERE s.email = $1 ORDER BY c.id DESC LIMIT 1`,
      [email],
    );
    expect(last).toEqual({ event: 'signup', slug: 'weekly' });
  });

  test('when an unsubscribed address signs up again, then it gets a fresh confirmation and is subscribed only after confirming', async () => {
    const email = uniqueEmail();
    const { welcome } = await subscribeAndConfirm(app, email);
    await request(app.url).post(relative(linkIn(welcome, '/unsubscribe'))).type('form').send({ 'List-Unsubscribe': 'One-Click' }).expect(200);
    // Comes back later than the resend interval (a return within it waits for the interval, like any repeat).
    await queryOne(app, `UPDATE subscribers SET confirmation_sent_at = now() - interval '11 minutes' WHERE email = $1 RETURNING id`, [email]);
    await submitSignup(app, { email }).expect(200);
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE email = $1', [email])).toEqual({ status: 'pending' });
    await app.smtp.waitFor(() => mailsTo(app, email, /confirm/i).length === 2);
    const fresh = linkIn(mailsTo(app, email, /confirm/i)[1]!, '/confirm');
    const page = await request(app.url).get(relative(fresh));
    const token = /name="token" value="([^"]+)"/.exec(page.text)![1];
    await request(app.url).post('/confirm').type('form').send({ token }).expect(200);
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE email = $1', [email])).toEqual({ status: 'confirmed' });
  });

  test('when an address that left everything signs up to one newsletter, then it comes back pending with that one only', async () => {
    const email = uniqueEmail();
    const { welcome } = await subscribeAndConfirm(app, email, { newsletters: ['daily', 'weekly'] });
    await request(app.url).post(relative(linkIn(welcome, '/unsubscribe'))).type('form').send({ via: 'page' }).expect(200);
    expect(await subscriptionsOf(app, email)).toEqual(['daily', 'weekly']);
    await submitSignup(app, { email, newsletters: 'weekly' }).expect(200);
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE email = $1', [email])).toEqual({ status: 'pending' });
    expect(await subscriptionsOf(app, email)).toEqual(['weekly']);
  });
});

describe('rate limits', () => {
  let app: TestBulletin;
  beforeAll(async () => {
    app = await startTestBulletin({ RATE_LIMIT_PER_IP: '6', RATE_LIMIT_PER_ADDRESS: '2', RATE_LIMIT_WINDOW_SECONDS: '600' });
  });
  afterAll(async () => {
    await app.stop();
  });

  test('when one address is submitted more often than allowed, then 429 with Retry-After answers (HTML and JSON)', async () => {
    const email = uniqueEmail();
    await submitJsonSignup(app, { email }).expect(202);
    await submitJsonSignup(app, { email: email.toUpperCase() }).expect(202);
    const json = await submitJsonSignup(app, { email });
    expect(json.status).toBe(429);
    expect(Number(json.headers['retry-after'])).toBeGreaterThan(0);
    expect(json.body.error).toMatch(/Too many requests/);
    const html = await submitSignup(app, { email });
    expect(html.status).toBe(429);
    expect(html.type).toBe('text/html');
    expect(html.headers['retry-after']).toBeDefined();
  });

  test('when one IP posts more than allowed, then 429 answers whatever the address, also on /manage and /confirm/resend', async () => {
    // The IP allows 6 posts per window, whatever other tests spent of them: 7 fresh addresses exceed it.
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await submitJsonSignup(app, { email: uniqueEmail() })).status);
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((s) => s === 202).length).toBeLessThanOrEqual(6);
    expect((await request(app.url).post('/manage').type('form').send({ email: uniqueEmail() })).status).toBe(429);
    expect((await request(app.url).post('/confirm/resend').type('form').send({ email: uniqueEmail() })).status).toBe(429);
  });
});
