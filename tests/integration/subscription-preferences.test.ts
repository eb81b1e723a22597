import request from 'supertest';
import { startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import {
  jobsIdle, linkIn, mailsTo, queryOne, relative, subscribeAndConfirm, submitSignup, uniqueEmail, waitForMail,
} from './subscription-test-kit';

describe('preferences and the manage link', () => {
  let app: TestBulletin;
  beforeAll(async () => {
    app = await startTestBulletin({ RATE_LIMIT_PER_IP: '10000' });
  });
  afterAll(async () => {
    await app.stop();
  });

  /** Follows a manage link the way a browser does: GET the page, POST its form, follow the redirect. */
  async function openManageLink(url: string) {
    const page = await request(app.url).get(relative(url)).expect(200);
    const token = /name="token" value="([^"]+)"/.exec(page.text)?.[1];
    if (!token) throw new Error('no form on the manage page');
    return request(app.url).post('/manage/open').type('form').send({ token }).redirects(1).expect(200);
  }

  test('when the preferences link is opened, then the frequency can be changed without login', async () => {
    const email = uniqueEmail();
    const { welcome, subscriberId } = await subscribeAndConfirm(app, email, { frequency: 'daily' });
    const link = relative(linkIn(welcome, '/preferences'));
    const page = await request(app.url).get(link).expect(200);
    expect(page.text).toContain(email);
    expect(page.text).toMatch(/value="daily" checked/);
    expect(await queryOne(app, 'SELECT frequency FROM subscribers WHERE id = $1', [subscriberId])).toEqual({ frequency: 'daily' });

    const saved = await request(app.url).post(link).type('form').send({ frequency: 'weekly' }).expect(200);
    expect(saved.text).toContain('Saved');
    expect(saved.text).toMatch(/value="weekly" checked/);
    expect(await queryOne(app, 'SELECT frequency FROM subscribers WHERE id = $1', [subscriberId])).toEqual({ frequency: 'weekly' });

    const bad = await request(app.url).post(link).type('form').send({ frequency: 'hourly' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Choose daily or weekly');
  });

  test('when the preferences page is used to unsubscribe, then the address is unsubscribed', async () => {
    const email = uniqueEmail();
    const { welcome, subscriberId } = await subscribeAndConfirm(app, email);
    const page = await request(app.url).get(relative(linkIn(welcome, '/preferences'))).expect(200);
    const action = /action="(\/unsubscribe\?s=[^"]+)"/.exec(page.text)![1]!;
    await request(app.url).post(action).type('form').send({ via: 'page' }).expect(200);
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE id = $1', [subscriberId])).toEqual({ status: 'unsubscribed' });
  });

  test('when someone asks for a manage link, then the answer is the same for known and unknown addresses and only the known one gets an email', async () => {
    const email = uniqueEmail();
    await subscribeAndConfirm(app, email);
    const unknown = uniqueEmail('stranger');
    const form = await request(app.url).get('/manage').expect(200);
    expect(form.text).toMatch(/<form method="post" action="\/manage"/);
    const a = await request(app.url).post('/manage').type('form').send({ email });
    const b = await request(app.url).post('/manage').type('form').send({ email: unknown });
    expect(a.status).toBe(200);
    expect(b.status).toBe(a.status);
    expect(b.text).toBe(a.text);
    const mail = await waitForMail(app, email, /manage/i);
    await jobsIdle(app);
    expect(app.smtp.to(unknown)).toEqual([]);
    expect(mail.header('List-Unsubscribe-Post')).toEqual(['List-Unsubscribe=One-Click']);

    // The manage link (a hashed token of purpose "manage") leads to the preferences page.
    const opened = await openManageLink(linkIn(mail, '/manage/open'));
    expect(opened.text).toContain('Preferences');
    expect(opened.text).toContain(email);
    const token = await queryOne<{ purpose: string; ttl: number }>(
      app,
      `SELECT purpose, extract(epoch FROM expires_at - created_at) AS ttl FROM tokens WHERE subscriber_id = (SELECT id FROM subscribers WHERE email = $1) AND purpose = 'manage'`,
      [email],
    );
    expect(token?.purpose).toBe('manage');
    expect(Number(token?.ttl)).toBeCloseTo(3600, -1);
  });

  test('when a manage link is opened (GET), then a page that posts itself is shown and the link stays usable', async () => {
    const email = uniqueEmail();
    await subscribeAndConfirm(app, email);
    await request(app.url).post('/manage').type('form').send({ email }).expect(200);
    const link = linkIn(await waitForMail(app, email, /manage/i), '/manage/open');
    for (let i = 0; i < 3; i++) {
      const page = await request(app.url).get(relative(link)).expect(200);
      expect(page.text).toMatch(/<form method="post" action="\/manage\/open"[^>]*data-autosubmit/);
      expect(page.text).toContain('<script src="/assets/confirm.js"');
      expect(page.text).not.toContain('/preferences?s=');
    }
    expect(await queryOne(app, `SELECT used_at FROM tokens WHERE purpose = 'manage' AND subscriber_id = (SELECT id FROM subscribers WHERE email = $1)`, [email]))
      .toEqual({ used_at: null });
    expect((await openManageLink(link)).text).toContain(email);
  });

  test('when a manage link is used a second time, then it has expired and leads nowhere', async () => {
    const email = uniqueEmail();
    await subscribeAndConfirm(app, email);
    await request(app.url).post('/manage').type('form').send({ email }).expect(200);
    const link = linkIn(await waitForMail(app, email, /manage/i), '/manage/open');
    const token = new URL(link).searchParams.get('token');
    const first = await request(app.url).post('/manage/open').type('form').send({ token });
    expect(first.status).toBe(303);
    expect(first.headers.location).toMatch(/^\/preferences\?s=\d+\./);
    for (const again of [
      await request(app.url).post('/manage/open').type('form').send({ token }),
      await request(app.url).get(relative(link)),
    ]) {
      expect(again.status).toBe(410);
      expect(again.text).toContain('This link has expired');
      expect(again.text).not.toContain('/preferences?s=');
      expect(again.headers.location).toBeUndefined();
    }
  });

  test('when a manage link has expired, then it offers to send a new one', async () => {
    const email = uniqueEmail();
    await subscribeAndConfirm(app, email);
    await request(app.url).post('/manage').type('form').send({ email }).expect(200);
    const link = linkIn(await waitForMail(app, email, /manage/i), '/manage/open');
    await queryOne(app, `UPDATE tokens SET expires_at = now() - interval '1 second' WHERE purpose = 'manage' RETURNING id`);
    const res = await request(app.url).get(relative(link));
    expect(res.status).toBe(410);
    expect(res.text).toContain('This link has expired');
    expect(res.text).toMatch(/action="\/manage"/);
    const post = await request(app.url).post('/manage/open').type('form').send({ token: new URL(link).searchParams.get('token') });
    expect(post.status).toBe(410);
  });

  test('when a pending address asks for a manage link, then it is sent its confirmation again instead', async () => {
    const email = uniqueEmail();
    await submitSignup(app, { email }).expect(200);
    await waitForMail(app, email, /confirm/i);
    await queryOne(app, `UPDATE subscribers SET confirmation_sent_at = now() - interval '1 hour' WHERE email = $1 RETURNING id`, [email]);
    await request(app.url).post('/manage').type('form').send({ email }).expect(200);
    await app.smtp.waitFor(() => mailsTo(app, email, /confirm/i).length === 2);
    expect(mailsTo(app, email, /manage/i)).toEqual([]);
  });
});
