import request from 'supertest';
import { startTestBulletin, type TestBulletin, adminAuth, QUIET_SCHEDULES } from '../helpers/test-bulletin';
import { addEditions as addEditionsTo, type EditionRow } from '../helpers/newsletter-fixtures';

const publicId = (label: string) => `${label}${'0'.repeat(20)}`.slice(0, 20);
const addEditions = (app: TestBulletin, slug: string, editions: EditionRow[]) => addEditionsTo(app.db.url, slug, editions);

describe('a newsletter\'s public page', () => {
  let app: TestBulletin;
  const api = () => request(app.url);
  const page = (path: string) => api().get(path).set('Accept', 'text/html');

  beforeAll(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES, MAIL_FROM: 'The Daily Courier <news@courier.example>' });
    await api().post('/api/admin/newsletters').set(adminAuth).send({
      slug: 'sports', name: 'Sports <b>& more</b>', description: 'Results "live" <script>alert(1)</script>', cron: '0 18 * * *', timeZone: 'Europe/Berlin',
    }).expect(201);
    await api().post('/api/admin/newsletters').set(adminAuth).send({ slug: 'culture', name: 'Culture', cron: '0 9 * * 6' }).expect(201);
    await addEditions(app, 'sports', [
      { subject: 'Older match', editionAt: '2026-11-20T23:30:00Z', publicId: publicId('sportsolder') },
      { subject: 'Cup <img src=x onerror=alert(1)> final', editionAt: '2026-11-27T17:00:00Z', publicId: publicId('sportsnewer') },
    ]);
    await addEditions(app, 'culture', [{ subject: 'Opera night', editionAt: '2026-11-28T08:00:00Z', publicId: publicId('culturenews') }]);
  });
  afterAll(async () => {
    await app?.stop();
  });

  test('when it is opened, then it lists the newsletter\'s editions newest first, dated in its time zone, linking to their web versions', async () => {
    const res = await page('/newsletters/sports');

    expect(res.status).toBe(200);
    const links = [...res.text.matchAll(/<time datetime="([^"]+)">([^<]+)<\/time> <a href="([^"]+)">([^<]*)<\/a>/g)].map((m) => m.slice(1));
    expect(links).toEqual([
      ['2026-11-27T17:00:00.000Z', 'Fri, 27 November 2026', `/digests/${publicId('sportsnewer')}`, 'Cup &lt;img src=x onerror=alert(1)&gt; final'],
      // 23:30 UTC is past midnight in Berlin.
      ['2026-11-20T23:30:00.000Z', 'Sat, 21 November 2026', `/digests/${publicId('sportsolder')}`, 'Older match'],
    ]);
    expect(res.text).not.toContain('Opera night');
  });

  test('when an edition\'s link is followed, then its web version answers', async () => {
    const res = await page('/newsletters/sports');
    const href = /<a href="(\/digests\/[^"]+)">/.exec(res.text)?.[1];

    expect(href).toBe(`/digests/${publicId('sportsnewer')}`);
    expect((await page(href!)).status).toBe(200);
  });

  test('when it is opened, then names and descriptions are escaped', async () => {
    const res = await page('/newsletters/sports');

    expect(res.text).toContain('Sports &lt;b&gt;&amp; more&lt;/b&gt;');
    expect(res.text).toContain('Results &quot;live&quot; &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.text).not.toMatch(/<script>alert|<img src=x|<b>&amp;/);
  });

  test('when it is opened, then its signup box posts to /subscribe with the newsletter fixed, an email field and the honeypot', async () => {
    const res = await page('/newsletters/sports');

    const form = /<form method="post" action="\/subscribe"[\s\S]*?<\/form>/.exec(res.text)?.[0] ?? '';
    expect(form).toContain('<input type="hidden" name="newsletters" value="sports">');
    expect(form).toMatch(/<input id="email" name="email" type="email"/);
    expect(form).toMatch(/<input id="website" name="website" type="text" tabindex="-1"/);
    expect(form).not.toMatch(/name="frequency"/);
  });

  test('when the archive is turned off, then the page shows the signup box and no edition', async () => {
    await api().patch('/api/admin/newsletters/culture').set(adminAuth).send({ publicArchive: false }).expect(200);

    const res = await page('/newsletters/culture');

    expect(res.status).toBe(200);
    expect(res.text).toContain('name="newsletters" value="culture"');
    expect(res.text).not.toContain('Opera night');
    expect(res.text).not.toContain('Past editions');
    await api().patch('/api/admin/newsletters/culture').set(adminAuth).send({ publicArchive: true }).expect(200);
    expect((await page('/newsletters/culture')).text).toContain('Opera night');
  });

  test('when the newsletter is archived or unknown, then the page is 404', async () => {
    await api().patch('/api/admin/newsletters/culture').set(adminAuth).send({ archived: true }).expect(200);

    expect((await page('/newsletters/culture')).status).toBe(404);
    expect((await page('/newsletters/no-such-letter')).status).toBe(404);
    expect((await page('/newsletters/Bad%20Slug')).status).toBe(404);
    await api().patch('/api/admin/newsletters/culture').set(adminAuth).send({ archived: false }).expect(200);
    expect((await page('/newsletters/culture')).status).toBe(200);
  });

  test('when a newsletter has more editions than a page holds, then "Older editions" leads through all of them once', async () => {
    await api().post('/api/admin/newsletters').set(adminAuth).send({ slug: 'prolific', name: 'Prolific', cron: '0 * * * *' }).expect(201);
    const start = Date.parse('2026-10-01T00:00:00Z');
    const editions = Array.from({ length: 65 }, (_, i) => ({
      subject: `Edition ${i}`,
      editionAt: new Date(start + i * 3_600_000).toISOString(),
      publicId: publicId(`prolific${i}x`),
    }));
    await addEditions(app, 'prolific', editions);

    const seen: string[] = [];
    let path: string | undefined = '/newsletters/prolific';
    for (let pages = 0; path && pages < 10; pages++) {
      const res = await page(path);
      expect(res.status).toBe(200);
      seen.push(...[...res.text.matchAll(/>(Edition \d+)<\/a>/g)].map((m) => m[1]!));
      path = /<a href="([^"]+)">Older editions<\/a>/.exec(res.text)?.[1]?.replace(/&amp;/g, '&');
    }

    expect(seen).toEqual(editions.map((e) => e.subject).reverse());
    expect((await page('/newsletters/prolific?before=yesterday')).status).toBe(400);
  });
});
