import request from 'supertest';
import { startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { jobsIdle, mailsTo, query, queryOne, submitJsonSignup, submitSignup, subscriptionsOf, uniqueEmail, waitForMail } from './subscription-test-kit';

describe('signup form and POST /subscribe', () => {
  let app: TestBulletin;
  beforeAll(async () => {
    app = await startTestBulletin({ RATE_LIMIT_PER_IP: '10000', CORS_ORIGINS: 'https://news.example' });
  });
  afterAll(async () => {
    await app.stop();
  });

  test('when / is opened, then a labelled signup form posts to /subscribe with email, name, the offered newsletters, consent and a honeypot', async () => {
    const res = await request(app.url).get('/').expect(200);
    expect(res.type).toBe('text/html');
    expect(res.text).toContain('action="/subscribe"');
    expect(res.text).toMatch(/<label for="email">/);
    expect(res.text).toMatch(/<input id="email" name="email" type="email"[^>]*required/);
    expect(res.text).toMatch(/<label for="name">/);
    // Nothing is ticked for the reader: the choice is theirs.
    expect(res.text).toMatch(/<input type="checkbox" id="nl-daily" name="newsletters" value="daily" aria-labelledby/);
    expect(res.text).toMatch(/<input type="checkbox" id="nl-weekly" name="newsletters" value="weekly" aria-labelledby/);
    expect(res.text).toContain('Every day at 07:00');
    expect(res.text).toContain('Every Monday at 07:00');
    expect(res.text).toMatch(/By subscribing you agree/);
    expect(res.text).toMatch(/class="hp"[\s\S]*name="website"[^>]*tabindex="-1"/);
  });

  test('when a valid form is posted, then a page asks to check the inbox, a pending subscriber and a consent are stored', async () => {
    const email = uniqueEmail();
    const res = await submitSignup(app, { email: `  ${email.toUpperCase()} `, name: 'Ada', frequency: 'weekly' }).set('User-Agent', 'TestBrowser/1.0');
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/html');
    expect(res.text).toContain('Check your inbox');
    const subscriber = await queryOne(app, 'SELECT * FROM subscribers WHERE email = $1', [email]);
    expect(subscriber).toMatchObject({ status: 'pending', name: 'Ada' });
    expect(await subscriptionsOf(app, email)).toEqual(['weekly']);
    const consents = await query(app, 'SELECT * FROM consents WHERE subscriber_id = $1', [subscriber!.id]);
    const weekly = await queryOne<{ id: number }>(app, `SELECT id FROM newsletters WHERE slug = 'weekly'`);
    expect(consents).toEqual([expect.objectContaining({ event: 'signup', source: 'form', user_agent: 'TestBrowser/1.0', newsletter_id: weekly!.id })]);
    expect(consents[0]!.ip).toMatch(/127\.0\.0\.1/);
    await waitForMail(app, email, /confirm/i);
  });

  test('when the form is posted with bad fields, then the form comes back with 400, messages next to the fields and the values kept', async () => {
    const res = await submitSignup(app, { email: 'not-an-address', name: 'N'.repeat(101), frequency: 'hourly' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Enter a valid email address');
    expect(res.text).toContain('Your name can be 100 characters at most');
    expect(res.text).toContain('Choose daily or weekly');
    expect(res.text).toContain('value="not-an-address"');
    expect(res.text).toMatch(/id="email-error"/);
    expect(await query(app, 'SELECT id FROM subscribers WHERE email = $1', ['not-an-address'])).toEqual([]);
  });

  test('when JSON is posted, then JSON answers: 202 on success and 400 with {error, fields} on invalid input', async () => {
    const email = uniqueEmail();
    const ok = await submitJsonSignup(app, { email, frequency: 'daily', admin: true, status: 'confirmed' });
    expect(ok.status).toBe(202);
    expect(ok.body).toEqual({ status: 'received', message: expect.stringContaining('Check your inbox') });
    // Unknown fields are ignored: the subscriber is pending, whatever the body claimed.
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE email = $1', [email])).toEqual({ status: 'pending' });
    const consent = await queryOne(app, 'SELECT c.source FROM consents c JOIN subscribers s ON s.id = c.subscriber_id WHERE s.email = $1', [email]);
    expect(consent).toEqual({ source: 'api' });

    const bad = await submitJsonSignup(app, { email: '' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: 'Some fields are not valid', fields: { email: 'Enter your email address' } });
  });

  test('when an address carries a line break or control character, then it is refused and nothing is stored or sent', async () => {
    const email = uniqueEmail('inject');
    for (const evil of [`${email}\r\nBcc: victim@example.org`, `${email}\u0000`, `${email}\n`]) {
      const res = await submitJsonSignup(app, { email: evil });
      expect(res.status).toBe(400);
      expect(res.body.fields.email).toMatch(/line breaks or control characters/);
    }
    const name = await submitJsonSignup(app, { email, name: 'Ada\r\nLovelace' });
    expect(name.status).toBe(400);
    expect(name.body.fields).toEqual({ name: expect.stringMatching(/line breaks/) });
    expect(await query(app, 'SELECT id FROM subscribers WHERE email LIKE $1', [`${email}%`])).toEqual([]);
    await jobsIdle(app);
    expect(app.smtp.messages.filter((m) => m.raw.includes(email))).toEqual([]);
  });

  test('when an address is too long, then the email field says so', async () => {
    const res = await submitJsonSignup(app, { email: `${'a'.repeat(250)}@example.org` });
    expect(res.status).toBe(400);
    expect(res.body.fields.email).toMatch(/too long/);
  });

  test('when the honeypot is filled, then the answer is the usual success but nothing is stored or sent', async () => {
    const email = uniqueEmail('bot');
    const human = await submitSignup(app, { email: uniqueEmail(), frequency: 'daily' });
    const bot = await submitSignup(app, { email, frequency: 'daily', website: 'http://spam.example' });
    expect(bot.status).toBe(200);
    expect(bot.text).toBe(human.text);
    expect(await query(app, 'SELECT id FROM subscribers WHERE email = $1', [email])).toEqual([]);
    await jobsIdle(app);
    expect(mailsTo(app, email, /./)).toEqual([]);
  });

  test('when a news site posts the embedded form cross-origin, then it is accepted and the consent names the embed and its origin', async () => {
    const email = uniqueEmail('embed');
    const res = await submitSignup(app, { email, source: 'embed' }).set('Origin', 'https://other-paper.example');
    expect(res.status).toBe(200);
    const consent = await queryOne(app, 'SELECT c.source FROM consents c JOIN subscribers s ON s.id = c.subscriber_id WHERE s.email = $1', [email]);
    expect(consent).toEqual({ source: 'embed https://other-paper.example' });
  });

  test('when an allowed origin sends a preflight and JSON, then CORS headers allow it', async () => {
    const preflight = await request(app.url)
      .options('/subscribe')
      .set('Origin', 'https://news.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://news.example');
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(preflight.headers['access-control-allow-headers']).toMatch(/content-type/i);

    const res = await submitJsonSignup(app, { email: uniqueEmail('cors') }, { Origin: 'https://news.example' });
    expect(res.status).toBe(202);
    expect(res.headers['access-control-allow-origin']).toBe('https://news.example');
  });

  test('when another origin sends a preflight or JSON, then it is refused and nothing is stored', async () => {
    const preflight = await request(app.url)
      .options('/subscribe')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const email = uniqueEmail('evil');
    const res = await submitJsonSignup(app, { email }, { Origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(await query(app, 'SELECT id FROM subscribers WHERE email = $1', [email])).toEqual([]);
  });
});
