import crypto from 'node:crypto';
import request from 'supertest';
import { startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import {
  confirmThroughLink, jobsIdle, linkIn, mailsTo, query, queryOne, relative, submitSignup, uniqueEmail, waitForMail,
} from './subscription-test-kit';

describe('double opt-in confirmation', () => {
  let app: TestBulletin;
  beforeAll(async () => {
    app = await startTestBulletin({ RATE_LIMIT_PER_IP: '10000', CONFIRMATION_RESEND_MINUTES: '0' });
  });
  afterAll(async () => {
    await app.stop();
  });

  test('when someone signs up, then the confirmation email holds a 256-bit token whose SHA-256 hash alone is stored, expiring after the TTL', async () => {
    const email = uniqueEmail();
    const before = Date.now();
    await submitSignup(app, { email }).expect(200);
    const mail = await waitForMail(app, email, /confirm/i);
    const token = new URL(linkIn(mail, '/confirm')).searchParams.get('token')!;
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    const rows = await query<{ hash: string; purpose: string; expires_at: Date }>(
      app,
      'SELECT t.hash, t.purpose, t.expires_at FROM tokens t JOIN subscribers s ON s.id = t.subscriber_id WHERE s.email = $1',
      [email],
    );
    expect(rows).toEqual([expect.objectContaining({ purpose: 'confirm', hash: crypto.createHash('sha256').update(token).digest('hex') })]);
    const ttl = rows[0]!.expires_at.getTime() - before;
    expect(ttl).toBeGreaterThan(47.9 * 3600_000);
    expect(ttl).toBeLessThan(48.1 * 3600_000);
    // The raw token is nowhere in the database: not in tokens, not in the job that sent the email.
    const jobs = await query<{ data: unknown }>(app, `SELECT data FROM pgboss.job WHERE name = 'subscription-confirmation-email'`);
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) expect(Object.keys(job.data as object)).toEqual(['subscriberId']);
    const dump = await query(app, `SELECT row_to_json(t)::text AS j FROM tokens t UNION ALL SELECT data::text FROM pgboss.job`);
    expect(JSON.stringify(dump)).not.toContain(token);
  });

  test('when the name typed at signup is a spam message, then the confirmation email does not contain it', async () => {
    const email = uniqueEmail();
    await submitSignup(app, { email, name: 'WIN BIG at casino-spam.example' }).expect(200);
    const mail = await waitForMail(app, email, /confirm/i);
    expect(mail.raw).not.toContain('casino-spam');
    expect(mail.parsed.subject).not.toContain('WIN');
  });

  test('when the link is opened (GET), then a page with an auto-submitting form is shown and nothing changes', async () => {
    const email = uniqueEmail();
    await submitSignup(app, { email }).expect(200);
    const link = linkIn(await waitForMail(app, email, /confirm/i), '/confirm');
    for (let i = 0; i < 3; i++) {
      const page = await request(app.url).get(relative(link)).expect(200);
      expect(page.text).toMatch(/<form method="post" action="\/confirm"/);
      expect(page.text).toMatch(/<button[^>]*type="submit"/);
      expect(page.text).toContain('<script src="/assets/confirm.js"');
      expect(page.text).not.toMatch(/<script>(?!<)/);
      expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    }
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE email = $1', [email])).toEqual({ status: 'pending' });
    const script = await request(app.url).get('/assets/confirm.js').expect(200);
    expect(script.text).toContain('form.submit()');
  });

  test('when the confirm form is posted, then the subscriber is confirmed, consent recorded, and a welcome email with unsubscribe and preferences links follows', async () => {
    const email = uniqueEmail();
    await submitSignup(app, { email, name: 'Grace', frequency: 'weekly' }).expect(200);
    const link = linkIn(await waitForMail(app, email, /confirm/i), '/confirm');
    const res = await confirmThroughLink(app, link, { 'User-Agent': 'ConfirmingBrowser/2' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Welcome aboard');
    const subscriber = await queryOne<{ id: number; status: string; confirmed_at: Date }>(app, 'SELECT * FROM subscribers WHERE email = $1', [email]);
    expect(subscriber).toMatchObject({ status: 'confirmed', confirmed_at: expect.any(Date) });
    const consents = await query(app, 'SELECT event, source, user_agent, ip FROM consents WHERE subscriber_id = $1 ORDER BY id', [subscriber!.id]);
    expect(consents.map((c) => c.event)).toEqual(['signup', 'confirmation']);
    expect(consents[1]).toMatchObject({ source: 'confirmation-link', user_agent: 'ConfirmingBrowser/2', ip: expect.stringContaining('127.0.0.1') });
    // Nobody was ever erased here: confirming makes no erasure salt (it is made by an erasure or import).
    expect(await query(app, 'SELECT id FROM erasure_salt')).toEqual([]);

    const welcome = await waitForMail(app, email, /welcome/i);
    expect(welcome.parsed.text).toContain('Welcome, Grace!');
    expect(welcome.parsed.text).toContain('- Weekly (Every Monday at 07:00)');
    expect(linkIn(welcome, '/unsubscribe')).toMatch(/\?s=\d+\./);
    expect(linkIn(welcome, '/preferences')).toMatch(/\?s=\d+\./);
    expect(welcome.header('List-Unsubscribe')[0]).toContain('/unsubscribe?s=');
    expect(welcome.header('List-Unsubscribe-Post')).toEqual(['List-Unsubscribe=One-Click']);
  });

  test('when the link is used twice, then the second time says "already confirmed" and no second welcome email goes out', async () => {
    const email = uniqueEmail();
    await submitSignup(app, { email }).expect(200);
    const link = linkIn(await waitForMail(app, email, /confirm/i), '/confirm');
    expect((await confirmThroughLink(app, link)).status).toBe(200);
    const token = new URL(link).searchParams.get('token');
    const again = await request(app.url).post('/confirm').type('form').send({ token });
    expect(again.status).toBe(200);
    expect(again.text).toContain('already subscribed');
    const page = await request(app.url).get(relative(link));
    expect(page.text).toContain('already subscribed');
    // Only the POST that confirmed shows the permanent links; a replay of the link does not.
    for (const res of [again, page]) {
      expect(res.text).not.toContain('/preferences?s=');
      expect(res.text).not.toContain('/unsubscribe?s=');
    }
    await waitForMail(app, email, /welcome/i);
    await jobsIdle(app);
    expect(mailsTo(app, email, /welcome/i)).toHaveLength(1);
  });

  test('when a used link is opened after the reuse grace or after its expiry, then the expired page shows and no link to the subscription', async () => {
    const email = uniqueEmail();
    await submitSignup(app, { email }).expect(200);
    const link = linkIn(await waitForMail(app, email, /confirm/i), '/confirm');
    const token = new URL(link).searchParams.get('token');
    expect((await confirmThroughLink(app, link)).text).toContain('/preferences?s=');
    const spent = `(SELECT id FROM subscribers WHERE email = $1)`;

    await query(app, `UPDATE tokens SET used_at = now() - interval '11 minutes' WHERE subscriber_id = ${spent}`, [email]);
    const late = [await request(app.url).get(relative(link)), await request(app.url).post('/confirm').type('form').send({ token })];
    await query(app, `UPDATE tokens SET used_at = now() - interval '1 minute', expires_at = now() - interval '1 second' WHERE subscriber_id = ${spent}`, [email]);
    const expired = [await request(app.url).get(relative(link)), await request(app.url).post('/confirm').type('form').send({ token })];
    for (const res of [...late, ...expired]) {
      expect(res.status).toBe(410);
      expect(res.text).toContain('This link has expired');
      expect(res.text).not.toContain('/preferences?s=');
      expect(res.text).not.toContain('/unsubscribe?s=');
    }
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE email = $1', [email])).toEqual({ status: 'confirmed' });
  });

  test('when the token is unknown, then a page offers a new email and the subscriber stays pending', async () => {
    const get = await request(app.url).get('/confirm?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(get.status).toBe(404);
    expect(get.text).toContain('This link is not valid');
    expect(get.text).toMatch(/action="\/confirm\/resend"[\s\S]*name="email"/);
    const post = await request(app.url).post('/confirm').type('form').send({ token: 'garbage' });
    expect(post.status).toBe(404);
    expect(post.text).toContain('Send me a new link');
  });

  test('when the link has expired, then the page offers a new email, and asking for it sends a fresh link that works', async () => {
    const email = uniqueEmail();
    await submitSignup(app, { email }).expect(200);
    const link = linkIn(await waitForMail(app, email, /confirm/i), '/confirm');
    await query(app, `UPDATE tokens SET expires_at = now() - interval '1 minute' WHERE subscriber_id = (SELECT id FROM subscribers WHERE email = $1)`, [email]);

    const page = await request(app.url).get(relative(link));
    expect(page.status).toBe(410);
    expect(page.text).toContain('This link has expired');
    const post = await request(app.url).post('/confirm').type('form').send({ token: new URL(link).searchParams.get('token') });
    expect(post.status).toBe(410);
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE email = $1', [email])).toEqual({ status: 'pending' });

    const resend = await request(app.url).post('/confirm/resend').type('form').send({ email });
    expect(resend.status).toBe(200);
    expect(resend.text).toContain('Check your inbox');
    await app.smtp.waitFor((m) => m.to.includes(email) && mailsTo(app, email, /confirm/i).length === 2);
    const fresh = linkIn(mailsTo(app, email, /confirm/i)[1]!, '/confirm');
    expect(fresh).not.toBe(link);
    expect((await confirmThroughLink(app, fresh)).status).toBe(200);
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE email = $1', [email])).toEqual({ status: 'confirmed' });
  });

  test('when a new link is asked for an unknown address, then the answer is the same and nothing is stored or sent', async () => {
    const known = uniqueEmail();
    await submitSignup(app, { email: known }).expect(200);
    const unknown = uniqueEmail('nobody');
    const a = await request(app.url).post('/confirm/resend').type('form').send({ email: known });
    const b = await request(app.url).post('/confirm/resend').type('form').send({ email: unknown });
    expect(b.status).toBe(a.status);
    expect(b.text).toBe(a.text);
    await jobsIdle(app);
    expect(mailsTo(app, unknown, /./)).toEqual([]);
    expect(await query(app, 'SELECT id FROM subscribers WHERE email = $1', [unknown])).toEqual([]);
  });
});
