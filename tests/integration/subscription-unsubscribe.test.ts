import request from 'supertest';
import { SignedLinks } from '../../src/shared/signed-links';
import { startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import {
  jobsIdle, linkIn, mailsTo, query, queryOne, relative, subscribeAndConfirm, submitSignup, subscriptionsOf, uniqueEmail, waitForMail,
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
    expect(page.text).toMatch(/<button class="button" type="submit">Unsubscribe from everything<\/button>/);
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

  describe('a link scoped to one newsletter (the unsubscribe link of its editions)', () => {
    let links: SignedLinks;
    let weeklyId: number;
    beforeAll(async () => {
      // The same keys as the service: what an edition's footer and List-Unsubscribe carry.
      links = new SignedLinks(app.config.SECRET_KEY!, app.config.PUBLIC_URL);
      weeklyId = (await queryOne<{ id: number }>(app, `SELECT id FROM newsletters WHERE slug = 'weekly'`))!.id;
    });
    const scoped = (subscriberId: number) => relative(links.url('unsubscribe', subscriberId, weeklyId));
    const consentsOf = (subscriberId: number) =>
      query(app, 'SELECT event, source, newsletter_id FROM consents WHERE subscriber_id = $1 ORDER BY id', [subscriberId]);

    test('when it is opened (GET), then it asks "Leave Weekly?", offers everything and the preferences, and changes nothing', async () => {
      const email = uniqueEmail();
      const { subscriberId } = await subscribeAndConfirm(app, email, { newsletters: ['daily', 'weekly'] });
      const page = await request(app.url).get(scoped(subscriberId)).expect(200);
      expect(page.text).toContain('<h1>Leave Weekly?</h1>');
      expect(page.text).toMatch(/<button class="button" type="submit">Leave Weekly<\/button>/);
      expect(page.text).toContain('Unsubscribe from everything');
      expect(page.text).toMatch(/href="http:\/\/127\.0\.0\.1:\d+\/preferences\?s=\d+\./);
      expect(await subscriptionsOf(app, email)).toEqual(['daily', 'weekly']);
    });

    test('when the one-click POST comes, then that newsletter only is left, the consent names it, and a repeat changes nothing', async () => {
      const email = uniqueEmail();
      const { subscriberId } = await subscribeAndConfirm(app, email, { newsletters: ['daily', 'weekly'] });
      await request(app.url).post(scoped(subscriberId)).type('form').send('List-Unsubscribe=One-Click').expect(200);
      expect(await subscriptionsOf(app, email)).toEqual(['daily']);
      expect(await queryOne(app, 'SELECT status FROM subscribers WHERE id = $1', [subscriberId])).toEqual({ status: 'confirmed' });
      const after = await consentsOf(subscriberId);
      expect(after.at(-1)).toEqual({ event: 'unsubscribe', source: 'one-click', newsletter_id: weeklyId });
      await request(app.url).post(scoped(subscriberId)).type('form').send('List-Unsubscribe=One-Click').expect(200);
      expect(await consentsOf(subscriberId)).toHaveLength(after.length);
    });

    test('when its page button is used, then "You left Weekly" offers undo, and undo brings Weekly back', async () => {
      const email = uniqueEmail();
      const { subscriberId } = await subscribeAndConfirm(app, email, { newsletters: ['daily', 'weekly'] });
      const left = await request(app.url).post(scoped(subscriberId)).type('form').send({ via: 'page' }).expect(200);
      expect(left.text).toContain('You left Weekly');
      const undo = /action="(\/resubscribe\?s=[^"]+)"/.exec(left.text)![1]!;
      expect(await subscriptionsOf(app, email)).toEqual(['daily']);
      const back = await request(app.url).post(undo).type('form').expect(200);
      expect(back.text).toContain('You receive Weekly again');
      expect(await subscriptionsOf(app, email)).toEqual(['daily', 'weekly']);
      expect((await consentsOf(subscriberId)).at(-1)).toEqual({ event: 'confirmation', source: 'resubscribe-link', newsletter_id: weeklyId });
    });

    test('when an address-wide link (the old kind) is one-clicked, then everything is left, the subscriptions are kept, and resubscribing restores them', async () => {
      const email = uniqueEmail();
      const { welcome, subscriberId } = await subscribeAndConfirm(app, email, { newsletters: ['daily', 'weekly'] });
      const link = relative(linkIn(welcome, '/unsubscribe'));
      expect(link).toMatch(/\?s=\d+\./);
      await request(app.url).post(link).type('form').send('List-Unsubscribe=One-Click').expect(200);
      expect(await queryOne(app, 'SELECT status FROM subscribers WHERE id = $1', [subscriberId])).toEqual({ status: 'unsubscribed' });
      expect((await consentsOf(subscriberId)).at(-1)).toEqual({ event: 'unsubscribe', source: 'one-click', newsletter_id: null });
      expect(await subscriptionsOf(app, email)).toEqual(['daily', 'weekly']);
      await request(app.url).post(link.replace('/unsubscribe', '/resubscribe')).type('form').expect(200);
      expect(await queryOne(app, 'SELECT status FROM subscribers WHERE id = $1', [subscriberId])).toEqual({ status: 'confirmed' });
      expect(await subscriptionsOf(app, email)).toEqual(['daily', 'weekly']);
    });

    test('when the newsletter of a scoped link is changed, then the link is refused', async () => {
      const email = uniqueEmail();
      const { subscriberId } = await subscribeAndConfirm(app, email, { newsletters: ['daily', 'weekly'] });
      const dailyId = (await queryOne<{ id: number }>(app, `SELECT id FROM newsletters WHERE slug = 'daily'`))!.id;
      const forged = scoped(subscriberId).replace(`s=${subscriberId}-${weeklyId}.`, `s=${subscriberId}-${dailyId}.`);
      expect(forged).not.toBe(scoped(subscriberId));
      expect((await request(app.url).post(forged).type('form').send('List-Unsubscribe=One-Click')).status).toBe(404);
      expect(await subscriptionsOf(app, email)).toEqual(['daily', 'weekly']);
    });
  });
});
