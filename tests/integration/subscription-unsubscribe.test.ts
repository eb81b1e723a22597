import request from 'supertest';
import { startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import {
  jobsIdle, linkIn, mailsTo, query, queryOne, relative, subscribeAndConfirm, submitSignup, uniqueEmail, waitForMail,
} from './subscription-test-kit';

describe('unsubscribe', () => {
  let app: TestBulletin;
  beforeAll(async () => {
    app = await startTestBulletin({ RATE_LIMIT_PER_IP: '10000', UNSUBSCRIBE_MAILTO: 'unsubscribe@news.example' });
  });
  afterAll(async () => {
    await app.stop();
  });

  test('when any subscription email arrives, then it carries List-Unsubscribe (https + mailto), One-Click and a visible link', async () => {
    const email = uniqueEmail();
    const { welcome, confirmMail } = await subscribeAndConfirm(app, email);
    for (const mail of [confirmMail, welcome]) {
      const header = mail.header('List-Unsubscribe');
      expect(header).toHaveLength(1);
      expect(header[0]).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/unsubscribe\?s=\d+\.[\w-]+>, <mailto:unsubscribe@news\.example\?subject=unsubscribe>$/);
      expect(mail.header('List-Unsubscribe-Post')).toEqual(['List-Unsubscribe=One-Click']);
      expect(mail.parsed.html).toMatch(/href="http:\/\/127\.0\.0\.1:\d+\/unsubscribe\?s=/);
      expect(linkIn(mail, '/unsubscribe')).toBe(header[0]!.slice(1, header[0]!.indexOf('>')));
    }
  });

  test('when the mailbox provider POSTs List-Unsubscribe=One-Click, then the address is unsubscribed at once with 200, no cookie needed', async () => {
    const email = uniqueEmail();
    const { welcome, subscriberId } = await subscribeAndConfirm(app, email);
    const url = welcome.header('List-Unsubscribe')[0]!.match(/<(http[^>]+)>/)![1]!;
    const res = await request(app.url).post(relative(url)).type('form').send('List-Unsubscribe=One-Click');
    expect(res.status).toBe(200);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE id = $1', [subscriberId])).toEqual({ status: 'unsubscribed' });
    const consents = await query(app, 'SELECT event, source FROM consents WHERE subscriber_id = $1 ORDER BY id', [subscriberId]);
    expect(consents.at(-1)).toEqual({ event: 'unsubscribe', source: 'one-click' });
  });

  test('when the provider sends the one-click POST as multipart, then it works too', async () => {
    const email = uniqueEmail();
    const { welcome, subscriberId } = await subscribeAndConfirm(app, email);
    await request(app.url).post(relative(linkIn(welcome, '/unsubscribe'))).field('List-Unsubscribe', 'One-Click').expect(200);
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE id = $1', [subscriberId])).toEqual({ status: 'unsubscribed' });
  });

  test('when the link is opened (GET), then a page with a button is shown and nothing changes; the button unsubscribes and offers to resubscribe', async () => {
    const email = uniqueEmail();
    const { welcome, subscriberId } = await subscribeAndConfirm(app, email);
    const link = relative(linkIn(welcome, '/unsubscribe'));
    const page = await request(app.url).get(link).expect(200);
    expect(page.text).toMatch(/<button class="button" type="submit">Unsubscribe<\/button>/);
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE id = $1', [subscriberId])).toEqual({ status: 'confirmed' });

    const done = await request(app.url).post(link).type('form').send({ via: 'page' }).expect(200);
    expect(done.text).toContain('You will not hear from us again');
    expect(done.text).toMatch(/action="\/resubscribe\?s=/);
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE id = $1', [subscriberId])).toEqual({ status: 'unsubscribed' });

    const back = await request(app.url).post(link.replace('/unsubscribe', '/resubscribe')).type('form').expect(200);
    expect(back.text).toContain('Welcome back');
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE id = $1', [subscriberId])).toEqual({ status: 'confirmed' });
  });

  test('when a signed link is tampered with, then it is refused and nothing changes', async () => {
    const email = uniqueEmail();
    const { welcome, subscriberId } = await subscribeAndConfirm(app, email);
    const link = relative(linkIn(welcome, '/unsubscribe'));
    const forged = link.replace(/s=(\d+)\./, (_m, id) => `s=${Number(id) + 1}.`);
    expect((await request(app.url).post(forged).type('form').send('List-Unsubscribe=One-Click')).status).toBe(404);
    expect((await request(app.url).get('/unsubscribe?s=1.abc')).status).toBe(404);
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE id = $1', [subscriberId])).toEqual({ status: 'confirmed' });
  });

  test('when the unsubscribe link of the confirmation email is used, then the pending signup is cancelled and its confirm link dies', async () => {
    const email = uniqueEmail();
    await submitSignup(app, { email }).expect(200);
    const mail = await waitForMail(app, email, /confirm/i);
    await request(app.url).post(relative(linkIn(mail, '/unsubscribe'))).type('form').send('List-Unsubscribe=One-Click').expect(200);
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE email = $1', [email])).toEqual({ status: 'unsubscribed' });
    const confirm = await request(app.url).get(relative(linkIn(mail, '/confirm')));
    expect(confirm.status).toBe(404);
    await jobsIdle(app);
    expect(mailsTo(app, email, /welcome/i)).toEqual([]);
  });

  test('when an address has unsubscribed, then signup-free paths send it nothing more (no welcome, no confirmation)', async () => {
    const email = uniqueEmail();
    await submitSignup(app, { email }).expect(200);
    const mail = await waitForMail(app, email, /confirm/i);
    const token = new URL(linkIn(mail, '/confirm')).searchParams.get('token');
    await request(app.url).post(relative(linkIn(mail, '/unsubscribe'))).type('form').send('List-Unsubscribe=One-Click').expect(200);
    await request(app.url).post('/confirm').type('form').send({ token }).expect(404);
    await request(app.url).post('/confirm/resend').type('form').send({ email }).expect(200);
    await jobsIdle(app);
    expect(app.smtp.to(email)).toHaveLength(1);
  });
});
