import { ConsoleClient, type Newsroom, openNewsroom } from '../helpers/console-client';
import type { DigestFixtures } from '../helpers/digest-fixtures';
import type { TestBulletin } from '../helpers/test-bulletin';
import { query, queryOne } from './subscription-test-kit';

const SPORTS = {
  slug: 'sports',
  kind: 'digest',
  name: 'Sports',
  description: 'Results and reports, every evening.',
  cron: '0 18 * * *',
  timeZone: 'Europe/Berlin',
  maxArticles: '12',
  categories: 'Sport, Football',
  fromName: 'Courier Sports',
  replyTo: 'sports@courier.example',
  position: '',
  offered: 'on',
  publicArchive: 'on',
};

describe('the console\'s newsletters', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  let admin: ConsoleClient;
  let editor: ConsoleClient;
  let newsroom: Newsroom;

  beforeAll(async () => {
    ({ app, fx, admin, editor } = newsroom = await openNewsroom());
  }, 60_000);
  afterAll(() => newsroom?.stop());

  const newsletterRow = (slug: string) =>
    queryOne(app, 'SELECT name, cron, time_zone, max_articles, categories, from_name, reply_to, offered, public_archive, archived_at IS NOT NULL AS archived FROM newsletters WHERE slug = $1', [slug]);

  test('when an admin creates a newsletter with bad input, then it answers 400 naming the fields, keeps the values and creates nothing', async () => {
    await admin.get('/admin/newsletters/new');
    const res = await admin.post('/admin/newsletters', { ...SPORTS, slug: 'Sports!', cron: 'every evening', maxArticles: 'lots', replyTo: 'not an address' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/id="nl-slug-error">A slug has lower-case letters/);
    expect(res.text).toMatch(/id="nl-maxArticles-error">must be a whole number/);
    expect(res.text).toMatch(/id="nl-replyTo-error">must be an email address/);
    expect(res.text).toContain('>Results and reports, every evening.</textarea>');
    expect(res.text).toContain('value="every evening"');
    expect(res.text).toContain('value="Sport, Football"');
    // The schedule is judged once the fields are well-formed, as in the admin API.
    const cron = await admin.post('/admin/newsletters', { ...SPORTS, cron: 'every evening' });
    expect(cron.status).toBe(400);
    expect(cron.text).toMatch(/id="nl-cron-error">must have five fields/);
    expect(await query(app, "SELECT 1 FROM newsletters WHERE name = 'Sports'")).toEqual([]);
  });

  test('when an admin creates a newsletter, then it is stored with the API\'s rules, listed, scheduled and audited', async () => {
    await admin.get('/admin/newsletters/new');
    const res = await admin.post('/admin/newsletters', SPORTS);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/newsletters');
    expect(await newsletterRow('sports')).toEqual({
      name: 'Sports', cron: '0 18 * * *', time_zone: 'Europe/Berlin', max_articles: 12, categories: ['Sport', 'Football'],
      from_name: 'Courier Sports', reply_to: 'sports@courier.example', offered: true, public_archive: true, archived: false,
    });
    const list = await admin.get('/admin/newsletters');
    expect(list.text).toContain('Sports (sports) is created.');
    expect(list.text).toContain('Digest: 0 18 * * * (Europe/Berlin), up to 12 articles');
    expect(await query(app, "SELECT key FROM pgboss.schedule WHERE name = 'newsletter-editions' AND key = 'sports'")).toHaveLength(1);
    expect(await queryOne(app, "SELECT actor_label, subject_id FROM audit_log WHERE action = 'newsletter_created'")).toEqual({ actor_label: 'chief@news.example', subject_id: 'sports' });
    // The same slug again: refused, named.
    const taken = await admin.post('/admin/newsletters', SPORTS);
    expect(taken.status).toBe(400);
    expect(taken.text).toMatch(/id="nl-slug-error">&quot;sports&quot; is taken/);
  });

  test('when an admin edits a newsletter with bad input, then nothing changes; with good input it is saved', async () => {
    const form = await admin.get('/admin/newsletters/sports/edit');
    expect(form.status).toBe(200);
    expect(form.text).toContain('value="Courier Sports"');
    const bad = await admin.post('/admin/newsletters/sports', { ...SPORTS, name: '', timeZone: 'Mars/Olympus' });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="nl-name-error">is required/);
    expect(bad.text).toMatch(/id="nl-timeZone-error">/);
    expect(bad.text).toContain('value="Mars/Olympus"');
    expect(await newsletterRow('sports')).toMatchObject({ name: 'Sports', time_zone: 'Europe/Berlin' });

    const good = await admin.post('/admin/newsletters/sports', { ...SPORTS, name: 'Sport tonight', maxArticles: '8', categories: '', fromName: '', offered: undefined as unknown as string });
    expect(good.status).toBe(303);
    expect(await newsletterRow('sports')).toMatchObject({ name: 'Sport tonight', max_articles: 8, categories: [], from_name: null, offered: false });
  });

  test('when an admin archives and restores a newsletter, then it stops and starts being offered and scheduled', async () => {
    await admin.get('/admin/newsletters');
    expect((await admin.post('/admin/newsletters/sports/archive')).status).toBe(303);
    expect(await newsletterRow('sports')).toMatchObject({ archived: true });
    expect((await admin.get('/admin/newsletters')).text).toContain('Sport tonight is archived');
    expect(await query(app, "SELECT key FROM pgboss.schedule WHERE key = 'sports'")).toEqual([]);
    expect((await admin.post('/admin/newsletters/sports/send')).status).toBe(409);
    expect((await admin.post('/admin/newsletters/sports/restore')).status).toBe(303);
    expect(await newsletterRow('sports')).toMatchObject({ archived: false });
    expect(await query(app, "SELECT key FROM pgboss.schedule WHERE key = 'sports'")).toHaveLength(1);
  });

  test('when an editor tries to create, change or archive a newsletter, then it answers 403 and nothing changes', async () => {
    expect((await editor.get('/admin/newsletters/new')).status).toBe(403);
    expect((await editor.get('/admin/newsletters/sports/edit')).status).toBe(403);
    await editor.get('/admin/newsletters');
    expect((await editor.post('/admin/newsletters', { ...SPORTS, slug: 'editors-own' })).status).toBe(403);
    expect((await editor.post('/admin/newsletters/sports', { ...SPORTS, name: 'Hijacked' })).status).toBe(403);
    expect((await editor.post('/admin/newsletters/sports/archive')).status).toBe(403);
    expect(await query(app, "SELECT 1 FROM newsletters WHERE slug = 'editors-own' OR name = 'Hijacked'")).toEqual([]);
    expect(await newsletterRow('sports')).toMatchObject({ archived: false });
    // The editor's list has preview and send, not edit or archive.
    const list = await editor.get('/admin/newsletters');
    expect(list.text).toContain('action="/admin/newsletters/daily/send"');
    expect(list.text).not.toContain('/admin/newsletters/daily/edit');
    expect(list.text).not.toContain('New newsletter');
  });

  test('when a form comes without its session\'s token, then it answers 403 and creates nothing', async () => {
    const res = await admin.post('/admin/newsletters', { ...SPORTS, slug: 'forged', _csrf: editor.csrf });
    expect(res.status).toBe(403);
    expect(await query(app, "SELECT 1 FROM newsletters WHERE slug = 'forged'")).toEqual([]);
  });

  test('when an editor previews the next edition, then it is shown in a sandboxed frame and nothing is stored or sent', async () => {
    await fx.subscribers(1);
    const empty = await editor.get('/admin/newsletters/daily/preview');
    expect(empty.status).toBe(200);
    expect(empty.text).toContain('No articles since the previous edition');
    await fx.article({ title: 'Preview headline' });
    const page = await editor.get('/admin/newsletters/daily/preview');
    expect(page.text).toMatch(/<iframe class="email" sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox" srcdoc="[^"]*Preview headline/);
    expect(page.text).not.toContain('%%');
    expect(await query(app, 'SELECT id FROM digests')).toEqual([]);
    expect(app.smtp.messages).toHaveLength(0);
  });
});
