import { PgBoss } from 'pg-boss';
import { POLL_FEEDS_QUEUE } from '../../src/articles/article-jobs';
import { ConsoleClient, firstAdmin, invited } from '../helpers/console-client';
import { fixture, startFeedServer, xml } from '../helpers/feed-server';
import { QUIET_SCHEDULES, startInstanceBeside, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { query } from './subscription-test-kit';

describe('the console: feeds', () => {
  let app: TestBulletin;
  let feeds: Awaited<ReturnType<typeof startFeedServer>>;
  let boss: PgBoss;
  let admin: ConsoleClient;
  let editor: ConsoleClient;
  const responses: Parameters<typeof startFeedServer>[0] = {};

  beforeAll(async () => {
    feeds = await startFeedServer(responses);
    Object.assign(responses, {
      '/rss.xml': xml(fixture('rss.xml')),
      '/atom.xml': { status: 200, type: 'application/atom+xml', body: fixture('atom.xml') },
      '/error.xml': { status: 500, type: 'text/plain', body: 'boom' },
    });
    app = await startTestBulletin({ ...QUIET_SCHEDULES, FEED_URLS: feeds.url('/rss.xml'), FEED_POLL_CRON: '0 0 1 1 *' });
    boss = new PgBoss({ connectionString: app.db.url, schema: 'pgboss', schedule: false, supervise: false });
    await boss.start();
    admin = await firstAdmin(app, 'chief@news.example');
    editor = await invited(admin, 'desk@news.example', 'editor');
  }, 60_000);
  afterAll(async () => {
    await boss?.stop({ graceful: false }).catch(() => {});
    await app?.stop();
    await feeds?.stop();
  });

  const feedRows = () => query<{ id: number; url: string; paused: boolean; last_error: string | null; polled: boolean }>(
    app,
    'SELECT id, url, paused_at IS NOT NULL AS paused, last_error, last_polled_at IS NOT NULL AS polled FROM feeds ORDER BY id',
  );
  const feedId = async (path: string) => (await feedRows()).find((f) => f.url === feeds.url(path))!.id;

  /** One scheduled poll, as the cron fires it, run to the end by the service's worker. */
  async function poll(): Promise<void> {
    const id = await boss.send(POLL_FEEDS_QUEUE, {});
    const deadline = Date.now() + 20_000;
    for (;;) {
      const [job] = await query<{ state: string }>(app, 'SELECT state::text FROM pgboss.job WHERE id = $1', [id]);
      if (job?.state === 'completed') return;
      if (job?.state === 'failed' || Date.now() > deadline) throw new Error(`poll job ${job?.state ?? 'missing'}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  test('when the service starts with FEED_URLS, then they are in the feeds; another start adds the missing ones and removes none', async () => {
    expect((await feedRows()).map((f) => f.url)).toEqual([feeds.url('/rss.xml')]);
    const other = await startInstanceBeside(app, { FEED_URLS: `${feeds.url('/rss.xml')},${feeds.url('/atom.xml')}`, RUN_JOBS: 'false' });
    await other.stop();
    const again = await startInstanceBeside(app, { FEED_URLS: feeds.url('/atom.xml'), RUN_JOBS: 'false' });
    await again.stop();
    expect((await feedRows()).map((f) => f.url)).toEqual([feeds.url('/rss.xml'), feeds.url('/atom.xml')]);
  }, 60_000);

  test('when a feed URL is not http(s), is not a URL or is listed, then it answers 400 naming the field and keeping the value', async () => {
    await editor.get('/admin/feeds');
    for (const [url, message] of [
      ['ftp://news.example/rss.xml', 'Feed URL must be an http(s) URL'],
      ['javascript:alert(1)', 'Feed URL must be an http(s) URL'],
      ['', 'Feed URL must be an http(s) URL'],
      [feeds.url('/rss.xml'), 'Feed URL is already in the list'],
    ] as const) {
      const res = await editor.post('/admin/feeds', { url });
      expect([url, res.status]).toEqual([url, 400]);
      expect(res.text).toContain(message);
      expect(res.text).toContain(`value="${url}"`);
    }
    expect(await feedRows()).toHaveLength(2);
  });

  test('when an editor adds a feed, then the next poll fetches it and the page shows each feed\'s last poll, article count and last error', async () => {
    const res = await editor.post('/admin/feeds', { url: feeds.url('/error.xml') });
    expect([res.status, res.headers.location]).toEqual([303, '/admin/feeds']);
    expect((await editor.get('/admin/feeds')).text).toContain('is added: the next poll fetches it.');
    expect((await feedRows()).map((f) => f.polled)).toEqual([false, false, false]);

    await poll();
    const rows = await feedRows();
    expect(rows.map((f) => [f.polled, f.last_error])).toEqual([[true, null], [true, null], [true, 'HTTP 500']]);
    const counts = await query<{ url: string; n: number }>(app, 'SELECT f.url, count(a.id)::int AS n FROM feeds f LEFT JOIN articles a ON a.feed_id = f.id GROUP BY f.url ORDER BY f.url');
    expect(Object.fromEntries(counts.map((c) => [c.url, c.n]))).toEqual({ [feeds.url('/atom.xml')]: 2, [feeds.url('/error.xml')]: 0, [feeds.url('/rss.xml')]: 2 });
    const page = (await editor.get('/admin/feeds')).text;
    expect(page).toContain('Failed: HTTP 500');
    expect(page).toMatch(/<td data-label="Articles">2<\/td>/);
    expect(page).not.toContain('not yet');

    // Fixed at the source: the next poll clears the error.
    responses['/error.xml'] = xml(fixture('rss.xml').replaceAll('gazette-', 'mirror-').replaceAll('news.example/', 'mirror.example/'));
    await poll();
    expect((await feedRows()).map((f) => f.last_error)).toEqual([null, null, null]);
  }, 60_000);

  test('when a feed is paused, then polls skip it until it is resumed', async () => {
    const id = await feedId('/atom.xml');
    await editor.get('/admin/feeds');
    expect((await editor.post(`/admin/feeds/${id}/pause`)).status).toBe(303);
    expect((await editor.get('/admin/feeds')).text).toContain('is paused: it is not polled until you resume it.');
    await query(app, 'UPDATE feeds SET last_polled_at = NULL WHERE id = $1', [id]);
    await poll();
    expect((await feedRows()).find((f) => f.id === id)).toMatchObject({ paused: true, polled: false });
    expect((await editor.post(`/admin/feeds/${id}/resume`)).status).toBe(303);
    await poll();
    expect((await feedRows()).find((f) => f.id === id)).toMatchObject({ paused: false, polled: true });
  }, 60_000);

  test('when a feed\'s categories are mapped, then its items are filed under the site\'s names and its breaking categories mark them breaking', async () => {
    const id = await feedId('/rss.xml');
    await editor.get(`/admin/feeds/${id}`);
    const bad = await editor.post(`/admin/feeds/${id}`, { categoryMap: 'Transport = Travel\nno equals sign here', breakingCategories: 'x'.repeat(51) });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Rename categories: line 2: write it as Feed category = Site category');
    expect(bad.text).toContain('Breaking news categories:');
    expect(bad.text).toContain('no equals sign here</textarea>');

    const res = await editor.post(`/admin/feeds/${id}`, { categoryMap: 'transport = Travel\n\nCULTURE = Arts', breakingCategories: 'harbour' });
    expect([res.status, res.headers.location]).toEqual([303, `/admin/feeds/${id}`]);
    const page = (await editor.get(`/admin/feeds/${id}`)).text;
    expect(page).toContain('transport = Travel\nCULTURE = Arts</textarea>');
    expect(page).toContain('value="harbour"');

    await poll();
    const articles = await query(app, "SELECT source_id, categories, breaking FROM articles WHERE source_id IN ('gazette-1001', 'https://news.example/culture/library-hours') ORDER BY source_id");
    expect(articles).toEqual([
      { source_id: 'gazette-1001', categories: ['Travel', 'Harbour'], breaking: true },
      { source_id: 'https://news.example/culture/library-hours', categories: ['Arts'], breaking: false },
    ]);
  }, 60_000);

  test('when a feed is removed, then its articles stay; one from FEED_URLS is said to come back at the next start', async () => {
    await editor.get('/admin/feeds');
    const configured = await feedId('/rss.xml');
    const added = await feedId('/error.xml');
    expect((await editor.post(`/admin/feeds/${added}/remove`)).status).toBe(303);
    expect((await editor.get('/admin/feeds')).text).toContain('is removed; its articles stay.');
    expect((await editor.post(`/admin/feeds/${configured}/remove`)).status).toBe(303);
    expect((await editor.get('/admin/feeds')).text).toContain('it is in FEED_URLS: it comes back at the next start');
    expect((await feedRows()).map((f) => f.url)).toEqual([feeds.url('/atom.xml')]);
    expect(await query(app, "SELECT feed_id FROM articles WHERE source_id = 'gazette-1001'")).toEqual([{ feed_id: null }]);
    expect((await editor.post(`/admin/feeds/${added}/remove`)).status).toBe(404);
  });

  test('when feeds change, then the audit log names who added, paused, resumed, mapped and removed them', async () => {
    const rows = await query<{ actor_label: string; action: string }>(app, "SELECT actor_label, action FROM audit_log WHERE subject_type = 'feed' ORDER BY id");
    expect(rows.map((r) => r.action)).toEqual(['feed_added', 'feed_paused', 'feed_resumed', 'feed_mapping_changed', 'feed_removed', 'feed_removed']);
    expect(new Set(rows.map((r) => r.actor_label))).toEqual(new Set(['desk@news.example']));
    const [mapping] = await query(app, "SELECT details FROM audit_log WHERE action = 'feed_mapping_changed'");
    expect(mapping).toEqual({ details: { url: feeds.url('/rss.xml'), categoryMap: ['transport = Travel', 'CULTURE = Arts'], breakingCategories: ['harbour'] } });
  });

  test('when a feeds form has a stale, foreign or missing token, then it answers 403 and nothing changes', async () => {
    const id = await feedId('/atom.xml');
    await admin.get('/admin/feeds');
    const before = await query(app, 'SELECT * FROM feeds ORDER BY id');
    for (const token of [undefined, '', admin.csrf, 'x'.repeat(43)]) {
      for (const [path, fields] of [['/admin/feeds', { url: 'https://evil.example/rss' }], [`/admin/feeds/${id}/pause`, {}], [`/admin/feeds/${id}/remove`, {}], [`/admin/feeds/${id}`, { categoryMap: 'a = b' }]] as const) {
        const res = await editor.agent.post(path).type('form').set('Accept', 'text/html').send({ ...fields, ...(token === undefined ? {} : { _csrf: token }) });
        expect([path, res.status]).toEqual([path, 403]);
      }
    }
    expect(await query(app, 'SELECT * FROM feeds ORDER BY id')).toEqual(before);
    // GET changes nothing either.
    await editor.get(`/admin/feeds/${id}/remove`);
    expect(await query(app, 'SELECT * FROM feeds ORDER BY id')).toEqual(before);
  });
});
