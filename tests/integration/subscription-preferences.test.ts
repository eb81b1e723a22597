import request from 'supertest';
import { startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import {
  addNewsletter, jobsIdle, linkIn, mailsTo, query, queryOne, relative, subscribeAndConfirm, submitSignup, subscriptionsOf, uniqueEmail, waitForMail,
} from './subscription-test-kit';

describe('preferences and the manage link', () => {
  let app: TestBulletin;
  beforeAll(async () => {
    app = await startTestBulletin({ RATE_LIMIT_PER_IP: '10000' });
    await addNewsletter(app, { slug: 'club', name: 'Club news', offered: false });
    await addNewsletter(app, { slug: 'gone', name: 'Gone', offered: false });
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

  test('when the preferences link is opened, then each offered newsletter has a switch, on for those held, and saving changes them without login', async () => {
    const email = uniqueEmail();
    const { welcome, subscriberId } = await subscribeAndConfirm(app, email, { newsletters: 'daily' });
    const link = relative(linkIn(welcome, '/preferences'));
    const page = await request(app.url).get(link).expect(200);
    expect(page.text).toContain(email);
    expect(page.text).toMatch(/role="switch" id="nl-daily" name="newsletters" value="daily" checked aria-labelledby/);
    expect(page.text).toMatch(/role="switch" id="nl-weekly" name="newsletters" value="weekly" aria-labelledby/);
    expect(page.text).not.toContain('value="club"');

    // The form sends an empty value beside the ticked switches (none ticked is an answer too).
    const saved = await request(app.url).post(link).type('form').send('newsletters=&newsletters=weekly').expect(200);
    expect(saved.text).toContain('Saved');
    expect(saved.text).toMatch(/value="weekly" checked/);
    expect(saved.text).not.toMatch(/value="daily" checked/);
    expect(await subscriptionsOf(app, email)).toEqual(['weekly']);
    const consents = await query(
      app,
      `SELECT c.event, c.source, n.slug FROM consents c JOIN newsletters n ON n.id = c.newsletter_id WHERE c.subscriber_id = $1 AND c.source = 'preferences-page' ORDER BY n.slug`,
      [subscriberId],
    );
    expect(consents).toEqual([
      { event: 'unsubscribe', source: 'preferences-page', slug: 'daily' },
      { event: 'confirmation', source: 'preferences-page', slug: 'weekly' },
    ]);

    // Switching everything off keeps the address confirmed; it simply gets nothing.
    const none = await request(app.url).post(link).type('form').send({ newsletters: '' }).expect(200);
    expect(none.text).toContain('You will not receive any newsletter');
    expect(await subscriptionsOf(app, email)).toEqual([]);
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE id = $1', [subscriberId])).toEqual({ status: 'confirmed' });
  });

  test('when a newsletter that is not offered is held, then it is listed too; archived ones are left alone', async () => {
    const email = uniqueEmail();
    const { welcome } = await subscribeAndConfirm(app, email, { newsletters: ['club', 'daily', 'gone'] });
    await queryOne(app, `UPDATE newsletters SET archived_at = now() WHERE slug = 'gone' RETURNING id`);
    const link = relative(linkIn(welcome, '/preferences'));
    const page = await request(app.url).get(link).expect(200);
    expect(page.text).toMatch(/value="club" checked/);
    expect(page.text).not.toContain('value="gone"');
    await request(app.url).post(link).type('form').send('newsletters=&newsletters=club').expect(200);
    expect(await subscriptionsOf(app, email)).toEqual(['club', 'gone']);
  });

  test('when an old client posts a frequency, then that newsletter replaces the other legacy one and nothing else changes', async () => {
    const email = uniqueEmail();
    const { welcome } = await subscribeAndConfirm(app, email, { newsletters: ['daily', 'club'] });
    const link = relative(linkIn(welcome, '/preferences'));
    await request(app.url).post(link).type('form').send({ frequency: 'weekly' }).expect(200);
    expect(await subscriptionsOf(app, email)).toEqual(['club', 'weekly']);
    const json = await request(app.url).post(link).send({ frequency: 'daily' }).expect(200);
    expect(json.body).toEqual({ status: 'saved', newsletters: ['daily', 'club'] });
    expect(await subscriptionsOf(app, email)).toEqual(['club', 'daily']);
  });

  test('when the preferences post names an unknown newsletter or a bad frequency, then 400 names it and nothing changes', async () => {
    const email = uniqueEmail();
    const { welcome } = await subscribeAndConfirm(app, email, { newsletters: 'daily' });
    const link = relative(linkIn(welcome, '/preferences'));
    const bad = await request(app.url).post(link).type('form').send({ frequency: 'hourly' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Choose daily or weekly');
    const unknown = await request(app.url).post(link).type('form').send({ newsletters: ['weekly', 'nope'] });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('There is no newsletter &quot;nope&quot;');
    const json = await request(app.url).post(link).send({ newsletters: ['nope'] });
    expect(json.status).toBe(400);
    expect(json.body).toEqual({ error: 'Some fields are not valid', fields: { newsletters: 'There is no newsletter "nope" (unknown or archived)' } });
    const empty = await request(app.url).post(link).send({});
    expect(empty.status).toBe(400);
    expect(empty.body.fields).toEqual({ newsletters: expect.stringMatching(/Send the newsletters you want/) });
    expect(await subscriptionsOf(app, email)).toEqual(['daily']);
  });

  test('when the preferences page is used to unsubscribe, then the address is unsubscribed', async () => {
    const email = uniqueEmail();
    const { welcome, subscriberId } = await subscribeAndConfirm(app, email);
    const page = await request(app.url).get(relative(linkIn(welcome, '/preferences'))).expect(200);
    expect(page.text).toMatch(/<button type="submit" class="link-button">Unsubscribe from everything<\/button>/);
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
    expect(opened.text).toContain('Your newsletters');
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
