import { ALERT_QUEUE } from '../../src/digests/alert-jobs';
import { AlertFixtures } from '../helpers/alert-fixtures';
import { ConsoleClient, firstAdmin, invited } from '../helpers/console-client';
import { QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { query } from './subscription-test-kit';

/** Titles on an Articles page, in order. */
const titlesIn = (html: string) => [...html.matchAll(/<a href="\/admin\/articles\/\d+">([^<]*)<\/a>/g)].map((m) => m[1]!);
const nextIn = (html: string) => /href="(\/admin\/articles\?[^"]*before=[^"]+)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');

describe('the console: articles', () => {
  let app: TestBulletin;
  let admin: ConsoleClient;
  let editor: ConsoleClient;
  let fx: AlertFixtures;

  beforeAll(async () => {
    app = await startTestBulletin(QUIET_SCHEDULES);
    fx = new AlertFixtures(app.db.url);
    admin = await firstAdmin(app, 'chief@news.example');
    editor = await invited(admin, 'desk@news.example', 'editor');
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
    await app?.stop();
  });

  const articleId = async (title: string) => (await query<{ id: number }>(app, 'SELECT id FROM articles WHERE title = $1', [title]))[0]!.id;
  const row = async (id: number) => (await query(app, 'SELECT title, url, summary, author, image_url, published_at, categories, breaking FROM articles WHERE id = $1', [id]))[0];

  test('when there are no articles, then the page says where they come from', async () => {
    const page = await editor.get('/admin/articles');
    expect(page.status).toBe(200);
    expect(page.text).toContain('No articles yet');
    expect(page.text).toContain('href="/admin/feeds"');
  });

  test('when there are more than a page, then they come newest first by cursor, without repeats or gaps, ties included', async () => {
    // 60 stories an hour apart, and three more sharing one time (the cursor's tie-break is the id).
    await query(
      app,
      `INSERT INTO articles (source_id, title, url, published_at, categories, updated_at)
       SELECT 'story-' || g, 'Story ' || g, 'https://news.example/story/' || g, timestamp '2026-11-01 00:00' + g * interval '1 hour', '{Local}', now()
         FROM generate_series(1, 60) g`,
    );
    await query(
      app,
      `INSERT INTO articles (source_id, title, url, published_at, categories, breaking, updated_at) VALUES
         ('tie-1', 'Harbour 100% reopened', 'https://news.example/tie-1', '2026-11-02 05:30', '{Harbour}', false, now()),
         ('tie-2', 'Harbour 100 percent calm', 'https://news.example/tie-2', '2026-11-02 05:30', '{Harbour}', true, now()),
         ('tie-3', 'snake_case in the harbour', 'https://news.example/tie-3', '2026-11-02 05:30', '{Harbour}', false, now())`,
    );
    const first = (await editor.get('/admin/articles')).text;
    const second = (await editor.get(nextIn(first)!)).text;
    const shown = [...titlesIn(first), ...titlesIn(second)];
    expect(titlesIn(first)).toHaveLength(50);
    expect(titlesIn(first).slice(0, 2)).toEqual(['Story 60', 'Story 59']);
    const all = await query<{ title: string }>(app, 'SELECT title FROM articles ORDER BY published_at DESC, id DESC');
    expect(shown).toEqual(all.map((a) => a.title));
    expect(nextIn(second)).toBeUndefined();
    expect(second).toContain('href="/admin/articles">Newest</a>');
    expect((await editor.get('/admin/articles?before=not-a-cursor')).status).toBe(404);
  });

  test('when searching titles, then any case matches anywhere in the title, % and _ mean themselves, and the filter keeps to breaking', async () => {
    // One publishing time: the newest id first.
    expect(titlesIn((await editor.get('/admin/articles?q=HARBOUR')).text)).toEqual(['snake_case in the harbour', 'Harbour 100 percent calm', 'Harbour 100% reopened']);
    expect(titlesIn((await editor.get(`/admin/articles?q=${encodeURIComponent('100%')}`)).text)).toEqual(['Harbour 100% reopened']);
    expect(titlesIn((await editor.get('/admin/articles?q=e_c')).text)).toEqual(['snake_case in the harbour']);
    expect(titlesIn((await editor.get('/admin/articles?q=harbour&breaking=1')).text)).toEqual(['Harbour 100 percent calm']);
    const none = await editor.get('/admin/articles?q=volcano');
    expect(titlesIn(none.text)).toEqual([]);
    expect(none.text).toContain('No article has a title containing &quot;volcano&quot;');
    // The search box keeps what was typed.
    expect(none.text).toContain('value="volcano"');
  });

  test('when an edit has bad fields, then it answers 400 naming each, keeps what was typed, and changes nothing', async () => {
    const id = await articleId('Story 7');
    const before = await row(id);
    await editor.get(`/admin/articles/${id}`);
    const res = await editor.post(`/admin/articles/${id}`, {
      title: '',
      url: 'ftp://news.example/story/7',
      summary: 'A new summary',
      imageUrl: 'not a url',
      publishedAt: 'yesterday',
      categories: `Local, ${'x'.repeat(51)}`,
    });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Title is required');
    expect(res.text).toContain('URL must be an http(s) URL');
    expect(res.text).toContain('Image URL must be an http(s) URL');
    expect(res.text).toContain('Published must be an ISO 8601 date');
    expect(res.text).toContain('Categories must be at most 50 characters');
    expect(res.text).toContain('value="ftp://news.example/story/7"');
    expect(res.text).toContain('A new summary</textarea>');
    expect(await row(id)).toEqual(before);
    expect(await query(app, "SELECT 1 FROM audit_log WHERE action = 'article_edited'")).toEqual([]);
  });

  test('when an editor saves an edit, then the article changes, the audit log names them, and the page says so', async () => {
    const id = await articleId('Story 7');
    await editor.get(`/admin/articles/${id}`);
    const res = await editor.post(`/admin/articles/${id}`, {
      title: 'Story 7, corrected',
      url: 'https://news.example/story/7-corrected',
      summary: '<p>The <b>ferry</b> runs late.</p>',
      author: 'Maria Lindqvist',
      imageUrl: 'https://news.example/img/7.jpg',
      publishedAt: '2026-11-01T07:00:05',
      categories: 'Local, Transport, Local',
    });
    expect([res.status, res.headers.location]).toEqual([303, `/admin/articles/${id}`]);
    expect(await row(id)).toEqual({
      title: 'Story 7, corrected',
      url: 'https://news.example/story/7-corrected',
      summary: 'The ferry runs late.',
      author: 'Maria Lindqvist',
      image_url: 'https://news.example/img/7.jpg',
      published_at: new Date('2026-11-01T07:00:05Z'),
      categories: ['Local', 'Transport'],
      breaking: false,
    });
    const page = await editor.get(`/admin/articles/${id}`);
    expect(page.text).toContain('&quot;Story 7, corrected&quot; is saved.');
    expect(page.text).toContain('value="2026-11-01T07:00:05"');
    expect(await query(app, "SELECT actor_label, subject_type, subject_id, details FROM audit_log WHERE action = 'article_edited'")).toEqual([
      { actor_label: 'desk@news.example', subject_type: 'article', subject_id: String(id), details: { title: 'Story 7, corrected', breaking: false } },
    ]);
  });

  test('when an editor marks an article breaking, then exactly one alert is queued and sent to the alert newsletter, and the audit log says who', async () => {
    await fx.newsletter('alerts');
    const [reader] = await fx.readers(1, ['alerts']);
    const id = await articleId('Story 12');
    const page = await editor.get(`/admin/articles/${id}`);
    expect(page.text).toContain('Mark breaking and send the alert');
    const res = await editor.post(`/admin/articles/${id}/breaking`);
    expect([res.status, res.headers.location]).toEqual([303, `/admin/articles/${id}`]);
    await app.smtp.waitFor((m) => m.to.includes(reader!.email) && (m.parsed.text ?? '').includes('Story 12'));
    const after = await editor.get(`/admin/articles/${id}`);
    expect(after.text).toContain('Marked breaking');
    expect(after.text).not.toContain('Mark breaking and send the alert');
    expect((await row(id))!.breaking).toBe(true);
    const jobs = await query(app, `SELECT 1 FROM pgboss.job WHERE name = $1 AND data->>'articleId' = $2`, [ALERT_QUEUE, String(id)]);
    expect(jobs).toHaveLength(1);
    expect(await fx.alertsOf(id)).toEqual([{ id: expect.any(Number), slug: 'alerts', recipients: 1 }]);
    expect(await query(app, "SELECT actor_label, subject_id FROM audit_log WHERE action = 'article_marked_breaking'")).toEqual([
      { actor_label: 'desk@news.example', subject_id: String(id) },
    ]);
  });

  test('when an article is deleted, then a confirmation page comes first; the POST deletes it and the audit log keeps its title', async () => {
    const id = await articleId('Story 3');
    const confirm = await editor.get(`/admin/articles/${id}/delete`);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('Delete “Story 3”?');
    expect(await row(id)).toBeDefined();
    const res = await editor.post(`/admin/articles/${id}/delete`);
    expect([res.status, res.headers.location]).toEqual([303, '/admin/articles']);
    expect(await row(id)).toBeUndefined();
    expect((await editor.get('/admin/articles')).text).toContain('&quot;Story 3&quot; is deleted.');
    expect(await query(app, "SELECT actor_label, details FROM audit_log WHERE action = 'article_deleted'")).toEqual([
      { actor_label: 'desk@news.example', details: { title: 'Story 3', url: 'https://news.example/story/3' } },
    ]);
    expect((await editor.get(`/admin/articles/${id}`)).status).toBe(404);
    expect((await editor.post(`/admin/articles/${id}/delete`)).status).toBe(404);
    expect((await editor.get('/admin/articles/99999999999')).status).toBe(404);
  });

  test('when a form has a stale, foreign or missing token, or comes without a session, then nothing changes', async () => {
    const id = await articleId('Story 20');
    const before = await row(id);
    const stranger = new ConsoleClient(app);
    await admin.get('/admin/articles');
    for (const token of [undefined, '', admin.csrf, 'x'.repeat(43)]) {
      for (const path of [`/admin/articles/${id}`, `/admin/articles/${id}/breaking`, `/admin/articles/${id}/delete`]) {
        const res = await editor.agent.post(path).type('form').set('Accept', 'text/html').send({ title: 'Hijacked', url: 'https://evil.example/', ...(token === undefined ? {} : { _csrf: token }) });
        expect([path, res.status]).toEqual([path, 403]);
      }
    }
    const anonymous = await stranger.agent.post(`/admin/articles/${id}/delete`).type('form').send({});
    expect([anonymous.status, anonymous.headers.location]).toEqual([303, '/admin/login']);
    expect((await stranger.get('/admin/articles')).headers.location).toBe('/admin/login?next=%2Fadmin%2Farticles');
    expect(await row(id)).toEqual(before);
  });
});
