import request from 'supertest';
import { startTestBulletin, type TestBulletin, adminAuth, QUIET_SCHEDULES } from '../helpers/test-bulletin';
import { DigestFixtures } from '../helpers/digest-fixtures';
import type { CapturedMail } from '../helpers/smtp-capture';

/** Editions per newsletter, through the admin API, real PostgreSQL and a real SMTP peer. */
describe('digest newsletters', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  beforeEach(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES, MAIL_REPLY_TO: 'Desk <desk@example.test>' });
    fx = new DigestFixtures(app.db.url);
  });
  afterEach(async () => {
    await fx.close();
    await app.stop();
  });

  const sendNow = (body: object) => request(app.url).post('/api/admin/digests').set(adminAuth).send(body);
  const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000);

  test('when three newsletters send, then each reader gets only the editions of their newsletters, each with its own sender, List-Id, subject and scoped unsubscribe', async () => {
    const sports = await fx.newsletter({ slug: 'sports', name: 'Sports', categories: ['sport'], fromName: 'Sports Desk', replyTo: 'sports@example.test' });
    const daily = await fx.newsletterId('daily');
    const [onlyDaily] = await fx.subscribers(1, { newsletters: ['daily'] });
    const [onlySports] = await fx.subscribers(1, { newsletters: ['sports'] });
    const [both] = await fx.subscribers(1, { newsletters: ['daily', 'sports', 'weekly'] });
    const [onlyWeekly] = await fx.subscribers(1, { newsletters: ['weekly'] });
    await fx.article({ title: 'Council passes the budget', categories: ['Politics'], publishedAt: ago(30) });
    await fx.article({ title: 'Harbour FC wins the cup', categories: ['SPORT', 'Local'], publishedAt: ago(20) });

    const dailyEdition = await sendNow({ newsletter: 'daily' });
    expect(dailyEdition.status).toBe(201);
    expect(dailyEdition.body.digest).toMatchObject({ newsletter: 'daily', recipients: 2, articles: 2 });
    const sportsEdition = await sendNow({ newsletter: 'sports' });
    expect(sportsEdition.body.digest).toMatchObject({ newsletter: 'sports', recipients: 2, articles: 1 });
    await fx.waitUntilSettled(dailyEdition.body.digest.id);
    await fx.waitUntilSettled(sportsEdition.body.digest.id);

    const listIds = (m: CapturedMail) => m.header('List-Id')[0];
    expect(app.smtp.to(onlyDaily!.email).map(listIds)).toEqual([`"Daily" <daily.${app.config.LIST_ID}>`]);
    expect(app.smtp.to(onlySports!.email).map(listIds)).toEqual([`"Sports" <sports.${app.config.LIST_ID}>`]);
    expect(app.smtp.to(both!.email).map(listIds).sort()).toEqual([`"Daily" <daily.${app.config.LIST_ID}>`, `"Sports" <sports.${app.config.LIST_ID}>`]);
    expect(app.smtp.to(onlyWeekly!.email)).toEqual([]);

    const [sportsMail] = app.smtp.to(onlySports!.email);
    expect(sportsMail!.parsed.subject).toBe('Harbour FC wins the cup · Bulletin Sports');
    expect(sportsMail!.parsed.text).not.toContain('Council passes the budget');
    expect(sportsMail!.parsed.from?.value).toEqual([{ name: 'Sports Desk', address: 'newsletter@localhost' }]);
    expect(sportsMail!.parsed.replyTo?.value).toEqual([{ name: '', address: 'sports@example.test' }]);
    expect(sportsMail!.header('List-Unsubscribe')[0]).toMatch(
      new RegExp(`^<${app.config.PUBLIC_URL}/unsubscribe\\?s=${onlySports!.id}-${sports}\\.[\\w-]{43}>$`),
    );
    expect(sportsMail!.parsed.text).toContain(`Unsubscribe from Sports: ${app.config.PUBLIC_URL}/unsubscribe?s=${onlySports!.id}-${sports}.`);
    expect(sportsMail!.parsed.text).toContain('You receive Sports from Bulletin because you subscribed to it.');
    expect(String(sportsMail!.parsed.html)).toContain('Manage your newsletters');
    expect(String(sportsMail!.parsed.html)).toMatch(/Sports &middot; \w+day/); // the masthead

    const [dailyMail] = app.smtp.to(onlyDaily!.email);
    expect(dailyMail!.parsed.subject).toBe('Harbour FC wins the cup · Bulletin Daily');
    expect(dailyMail!.parsed.text).toContain('Council passes the budget');
    // No sender of its own: the configuration's name and Reply-To.
    expect(dailyMail!.parsed.from?.value).toEqual([{ name: 'Bulletin', address: 'newsletter@localhost' }]);
    expect(dailyMail!.parsed.replyTo?.value).toEqual([{ name: 'Desk', address: 'desk@example.test' }]);
    expect(dailyMail!.header('List-Unsubscribe')[0]).toContain(`/unsubscribe?s=${onlyDaily!.id}-${daily}.`);

    const list = await request(app.url).get('/api/admin/digests').set(adminAuth);
    expect(list.body.digests.map((d: { newsletter: string }) => d.newsletter).sort()).toEqual(['daily', 'sports']);
    const page = await request(sportsEdition.body.digest.webUrl).get('').set('Accept', 'text/html');
    expect(page.text).toContain('Sports &middot; web version');
  });

  test('when no article matches the filter, then nothing is sent and the window stays open for the next matching one', async () => {
    await fx.newsletter({ slug: 'sports', name: 'Sports', categories: ['Sport', 'Football'] });
    const [reader] = await fx.subscribers(1, { newsletters: ['sports'] });
    await fx.article({ title: 'Council passes the budget', categories: ['Politics'], publishedAt: ago(50) });
    await fx.article({ title: 'Uncategorised note', publishedAt: ago(45) });

    const empty = await sendNow({ newsletter: 'sports' });
    expect(empty.status).toBe(200);
    expect(empty.body.digest).toBeNull();
    // Another newsletter's edition takes those articles; the sports window is its own.
    await fx.subscribers(1, { newsletters: ['daily'] });
    expect((await sendNow({ newsletter: 'daily' })).body.digest).toMatchObject({ articles: 2 });

    await fx.article({ title: 'Derby ends in a draw', categories: ['football'], publishedAt: ago(40) });
    await fx.article({ title: 'Late winner', categories: ['sport'], publishedAt: ago(10) });
    const sent = await sendNow({ newsletter: 'sports' });
    expect(sent.body.digest).toMatchObject({ articles: 2, recipients: 1 });
    const mail = await app.smtp.waitFor((m) => m.to.includes(reader!.email));
    expect(mail.parsed.text).toContain('Derby ends in a draw');
    expect(mail.parsed.text).not.toContain('Council passes the budget');
  });

  test('when a newsletter has most articles set, then its edition takes the newest that many and another newsletter takes its own number', async () => {
    await fx.newsletter({ slug: 'brief', name: 'Brief', maxArticles: 2 });
    const [briefReader] = await fx.subscribers(1, { newsletters: ['brief'] });
    const [dailyReader] = await fx.subscribers(1, { newsletters: ['daily'] });
    for (let i = 1; i <= 4; i++) await fx.article({ title: `Story ${i}`, publishedAt: ago(60 - i) });

    expect((await sendNow({ newsletter: 'brief' })).body.digest).toMatchObject({ articles: 2 });
    expect((await sendNow({ newsletter: 'daily' })).body.digest).toMatchObject({ articles: 4 });
    const brief = await app.smtp.waitFor((m) => m.to.includes(briefReader!.email));
    expect(brief.parsed.text).toContain('Story 4');
    expect(brief.parsed.text).toContain('Story 3');
    expect(brief.parsed.text).not.toContain('Story 2');
    await app.smtp.waitFor((m) => m.to.includes(dailyReader!.email) && (m.parsed.text ?? '').includes('Story 1'));
  });

  test('when the preview names a newsletter, then it shows that newsletter\'s articles and subject and sends nothing', async () => {
    await fx.newsletter({ slug: 'sports', name: 'Sports', categories: ['Sport'] });
    await fx.subscribers(1, { newsletters: ['sports'] });
    await fx.article({ title: 'Council passes the budget', categories: ['Politics'], publishedAt: ago(30) });
    await fx.article({ title: 'Harbour FC wins the cup', categories: ['Sport'], publishedAt: ago(40) });

    const preview = await request(app.url).get('/api/admin/digests/preview?newsletter=sports').set(adminAuth);
    expect(preview.status).toBe(200);
    expect(decodeURIComponent(preview.headers['x-digest-subject'] as string)).toBe('Harbour FC wins the cup · Bulletin Sports');
    expect(preview.text).toContain('Harbour FC wins the cup');
    expect(preview.text).not.toContain('Council passes the budget');
    const legacy = await request(app.url).get('/api/admin/digests/preview?frequency=daily').set(adminAuth);
    expect(decodeURIComponent(legacy.headers['x-digest-subject'] as string)).toBe('Council passes the budget · Bulletin Daily');
    expect((await request(app.url).get('/api/admin/digests').set(adminAuth)).body.digests).toEqual([]);
    expect(app.smtp.messages).toEqual([]);
  });

  test('when the newsletter is unknown, archived, an alert or not named, then the answer is 400 naming the field and nothing is made', async () => {
    await fx.newsletter({ slug: 'old', archived: true });
    await fx.newsletter({ slug: 'breaking', kind: 'alert' });
    await fx.subscribers(1, { newsletters: ['old', 'breaking'] });
    await fx.article({ title: 'Some story' });

    for (const [body, field] of [
      [{ newsletter: 'nope' }, 'newsletter'],
      [{ newsletter: 'old' }, 'newsletter'],
      [{ newsletter: 'breaking' }, 'newsletter'],
      [{ newsletter: 'Not A Slug' }, 'newsletter'],
      [{}, 'newsletter'],
      [{ frequency: 'hourly' }, 'frequency'],
    ] as const) {
      const res = await sendNow(body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
      expect(Object.keys(res.body.fields)).toEqual([field]);
    }
    const preview = await request(app.url).get('/api/admin/digests/preview?newsletter=old').set(adminAuth);
    expect(preview.status).toBe(400);
    expect(preview.body.fields).toHaveProperty('newsletter');
    const { rows } = await fx.pool.query(`SELECT count(*)::int AS n FROM digests`);
    expect(rows[0].n).toBe(0);
  });

  test('when an old client sends frequency, then it names the newsletter of that slug', async () => {
    const [weeklyReader] = await fx.subscribers(1, { newsletters: ['weekly'] });
    await fx.article({ title: 'Weekly read' });
    const res = await sendNow({ frequency: 'weekly' });
    expect(res.body.digest).toMatchObject({ newsletter: 'weekly', recipients: 1 });
    const mail = await app.smtp.waitFor((m) => m.to.includes(weeklyReader!.email));
    expect(mail.parsed.subject).toBe('Weekly read · Bulletin Weekly');
  });
});
