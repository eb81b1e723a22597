import request from 'supertest';
import { startTestBulletin, type TestBulletin, adminAuth, QUIET_SCHEDULES } from '../helpers/test-bulletin';
import { DigestFixtures } from '../helpers/digest-fixtures';


describe('digest composition', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  beforeEach(async () => {
    app = await startTestBulletin(QUIET_SCHEDULES);
    fx = new DigestFixtures(app.db.url);
  });
  afterEach(async () => {
    await fx.close();
    await app.stop();
  });

  const sendNow = (frequency: string) => request(app.url).post('/api/admin/digests').set(adminAuth).send({ frequency });

  test('when there are no articles, then no edition is recorded and nobody is mailed', async () => {
    await fx.subscribers(2);
    const res = await sendNow('daily');
    expect(res.status).toBe(200);
    expect(res.body.digest).toBeNull();
    const list = await request(app.url).get('/api/admin/digests').set(adminAuth);
    expect(list.body.digests).toEqual([]);
  });

  test('when nobody is confirmed yet, then no edition is recorded and its articles go to the first edition someone receives', async () => {
    await fx.article({ title: 'Story before anyone subscribed' });
    const early = await sendNow('daily');
    expect(early.status).toBe(200);
    expect(early.body).toEqual({ digest: null, message: 'No confirmed daily subscribers: nothing sent, the articles wait for the next edition' });
    expect((await request(app.url).get('/api/admin/digests').set(adminAuth)).body.digests).toEqual([]);

    const [reader] = await fx.subscribers(1);
    const later = await sendNow('daily');
    expect(later.body.digest).toMatchObject({ recipients: 1, articles: 1 });
    const mail = await app.smtp.waitFor((m) => m.to.includes(reader!.email));
    expect(mail.parsed.text).toContain('Story before anyone subscribed');
  });

  test('when the first edition is made, then it holds the articles since the slot before the latest one, and the next one only what came after', async () => {
    // Every day at 07:00: the window starts 24 to 48 hours ago, whatever the time now.
    await fx.newsletter({ slug: 'morning', cron: '0 7 * * *' });
    const [reader] = await fx.subscribers(1, { newsletters: ['morning'] });
    await fx.article({ title: 'Fresh story', publishedAt: new Date(Date.now() - 2 * 3600_000) });
    await fx.article({ title: 'Stale story', publishedAt: new Date(Date.now() - 49 * 3600_000) });
    const sendNow = (newsletter: string) => request(app.url).post('/api/admin/digests').set(adminAuth).send({ newsletter });

    const first = await sendNow('morning');
    expect(first.status).toBe(201);
    expect(first.body.digest).toMatchObject({ recipients: 1, articles: 1 });
    const mail = await app.smtp.waitFor((m) => m.to.includes(reader!.email));
    expect(mail.parsed.text).toContain('Fresh story');
    expect(mail.parsed.text).not.toContain('Stale story');

    const empty = await sendNow('morning');
    expect(empty.body.digest).toBeNull();

    await fx.article({ title: 'Later story', publishedAt: new Date() });
    const second = await sendNow('morning');
    expect(second.status).toBe(201);
    expect(second.body.digest.articles).toBe(1);
    const next = await app.smtp.waitFor((m) => m.parsed.subject?.includes('Later story') ?? false);
    expect(next.parsed.text).not.toContain('Fresh story');
  });

  test('when weekly subscribers exist, then the daily edition does not reach them', async () => {
    const [daily] = await fx.subscribers(1, { frequency: 'daily' });
    const [weekly] = await fx.subscribers(1, { frequency: 'weekly' });
    await fx.article({ title: 'Only for daily readers' });
    const res = await sendNow('daily');
    expect(res.body.digest.recipients).toBe(1);
    await app.smtp.waitFor((m) => m.to.includes(daily!.email));
    const list = await request(app.url).get('/api/admin/digests').set(adminAuth);
    await fx.waitUntilSettled(list.body.digests[0].id);
    expect(app.smtp.to(weekly!.email)).toHaveLength(0);
  });

  test('when an article title contains markup, then it arrives escaped and the subject names the top headline', async () => {
    const [reader] = await fx.subscribers(1);
    await fx.article({ title: 'Old news', publishedAt: new Date(Date.now() - 3600_000) });
    await fx.article({
      title: 'Breaking <script>alert(1)</script> & more',
      summary: 'A summary with <b>markup</b>.',
      author: 'Ada Lovelace',
      imageUrl: 'https://cdn.example.test/a.jpg',
      categories: ['World'],
    });
    await sendNow('daily');
    const mail = await app.smtp.waitFor((m) => m.to.includes(reader!.email));
    const html = String(mail.parsed.html);
    expect(html).not.toContain('<script>');
    expect(html).toContain('Breaking &lt;script&gt;alert(1)&lt;/script&gt; &amp; more');
    expect(html).toContain('Ada Lovelace');
    expect(html).toContain('https://cdn.example.test/a.jpg');
    expect(html).toMatch(/<a [^>]*style="[^"]+"[^>]*>Read more/); // CSS inlined by juice
    expect(mail.parsed.text).toContain('Breaking <script>alert(1)</script> & more');
    expect(mail.parsed.subject).toBe('Breaking <script>alert(1)</script> & more · Bulletin Daily');
    expect(html).not.toContain('%%');
    expect(mail.parsed.text).not.toContain('%%');
  });

  test('when a digest is sent, then every list header is present and links are personal', async () => {
    const [a, b] = await fx.subscribers(2);
    await fx.article({ title: 'Header story' });
    await sendNow('daily');
    const ma = await app.smtp.waitFor((m) => m.to.includes(a!.email));
    const mb = await app.smtp.waitFor((m) => m.to.includes(b!.email));
    const daily = await fx.newsletterId('daily');
    const unsubscribe = ma.header('List-Unsubscribe');
    expect(unsubscribe).toHaveLength(1);
    // Scoped to the newsletter: a one-click POST leaves Daily and nothing else.
    expect(unsubscribe[0]).toMatch(new RegExp(`^<${app.config.PUBLIC_URL}/unsubscribe\\?s=${a!.id}-${daily}\\.[\\w-]{43}>$`));
    expect(ma.header('List-Unsubscribe-Post')).toEqual(['List-Unsubscribe=One-Click']);
    expect(ma.header('List-Id')).toEqual([`"Daily" <daily.${app.config.LIST_ID}>`]);
    expect(ma.header('Date')).toHaveLength(1);
    // The delivery's own Message-ID (digest.subscriber.signature), so a bounce report quoting it finds the delivery.
    expect(ma.header('Message-ID')[0]).toMatch(/^<\d+\.\d+\.[\w-]{22}@[\w.-]+>$/);
    expect(ma.header('Message-ID')[0]).not.toBe(mb.header('Message-ID')[0]);
    expect(ma.parsed.html).toBeTruthy();
    expect(ma.parsed.text).toBeTruthy();
    expect(String(ma.parsed.html)).toContain(`/unsubscribe?s=${a!.id}-${daily}.`);
    // Managing newsletters is for the whole address.
    expect(String(ma.parsed.html)).toContain(`/preferences?s=${a!.id}.`);
    expect(ma.parsed.text).toContain(`Unsubscribe from Daily: ${app.config.PUBLIC_URL}/unsubscribe?s=${a!.id}-${daily}.`);
    expect(ma.parsed.text).toContain(`Manage your newsletters: ${app.config.PUBLIC_URL}/preferences?s=${a!.id}.`);
    expect(String(mb.parsed.html)).toContain(`/unsubscribe?s=${b!.id}-${daily}.`);
  });

  test('when the web view is opened, then it shows the edition with generic links only', async () => {
    const [reader] = await fx.subscribers(1);
    await fx.article({ title: 'Web view <story>' });
    const res = await sendNow('daily');
    const mail = await app.smtp.waitFor((m) => m.to.includes(reader!.email));
    const webUrl: string = res.body.digest.webUrl;
    expect(String(mail.parsed.html)).toContain(webUrl);

    const page = await request(webUrl).get('').set('Accept', 'text/html');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Web view &amp;lt;story&amp;gt;'); // escaped in the email, again in srcdoc
    expect(page.text).toContain('Daily &middot; web version');
    expect(page.text).not.toContain('%%');
    expect(page.text).not.toMatch(/\?s=\d+\./);
    // Nobody's signed link on a shared page: unsubscribe and preferences lead to "email me a link".
    expect(page.text).toContain(`${app.config.PUBLIC_URL}/manage`);
    expect(page.text).not.toContain(`${app.config.PUBLIC_URL}/unsubscribe`);

    const missing = await request(app.url).get('/digests/nosuchdigestatall00').set('Accept', 'text/html');
    expect(missing.status).toBe(404);
  });
});
