import request from 'supertest';
import { startTestBulletin, type TestBulletin, adminAuth, QUIET_SCHEDULES } from '../helpers/test-bulletin';
import { query, queryOne } from './subscription-test-kit';

const sports = {
  slug: 'sports',
  name: 'Sports',
  description: 'Results and reports, every evening.',
  kind: 'digest',
  cron: '0 18 * * *',
  timeZone: 'Europe/Berlin',
  maxArticles: 12,
  categories: ['Sport', 'Football'],
  offered: true,
  position: 3,
  publicArchive: true,
  fromName: 'Courier Sports',
  replyTo: 'sports@courier.example',
};

describe('newsletters admin API', () => {
  let app: TestBulletin;
  beforeAll(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const api = () => request(app.url);
  const create = (body: object) => api().post('/api/admin/newsletters').set(adminAuth).send(body);
  const count = async () => (await queryOne<{ n: number }>(app, 'SELECT count(*)::int AS n FROM newsletters'))!.n;

  /** A subscriber in `status` holding subscriptions to these newsletters, written directly (not this area's rules). */
  async function subscriberOf(slugs: string[], status: 'pending' | 'confirmed' | 'unsubscribed'): Promise<number> {
    const [row] = await query<{ id: number }>(
      app,
      `INSERT INTO subscribers (email, status, updated_at) VALUES ($1, $2, now()) RETURNING id`,
      [`${status}-${Math.random().toString(36).slice(2)}@readers.example`, status],
    );
    await query(app, `INSERT INTO subscriptions (subscriber_id, newsletter_id) SELECT $1, id FROM newsletters WHERE slug = ANY($2)`, [row!.id, slugs]);
    return row!.id;
  }

  test('when no admin token is given, then every newsletters endpoint answers 401 and changes nothing', async () => {
    const before = await count();
    for (const res of [
      await api().get('/api/admin/newsletters'),
      await api().post('/api/admin/newsletters').send(sports),
      await api().get('/api/admin/newsletters/daily'),
      await api().patch('/api/admin/newsletters/daily').send({ name: 'Hacked' }),
      await api().delete('/api/admin/newsletters/daily'),
      await api().get('/api/admin/newsletters').set('Authorization', 'Bearer wrong-token-0123456789abcdef'),
    ]) {
      expect(res.status).toBe(401);
    }
    expect(await count()).toBe(before);
    expect((await queryOne<{ name: string }>(app, `SELECT name FROM newsletters WHERE slug = 'daily'`))!.name).toBe('Daily');
  });

  test('when a digest newsletter is created with every field, then it answers 201 with it and GET returns the same', async () => {
    const res = await create(sports);

    expect(res.status).toBe(201);
    expect(res.body.newsletter).toMatchObject({ ...sports, archived: false, archivedAt: null });
    expect(res.body.newsletter.id).toEqual(expect.any(Number));
    const got = await api().get('/api/admin/newsletters/sports').set(adminAuth);
    expect(got.status).toBe(200);
    expect(got.body.newsletter).toEqual({ ...res.body.newsletter, confirmedSubscribers: 0 });
  });

  test('when an alert is created with only slug, name and kind, then it takes the defaults and goes after the others', async () => {
    const res = await create({ slug: 'breaking', name: 'Breaking news', kind: 'alert' });

    expect(res.status).toBe(201);
    const { position: highest } = (await queryOne<{ position: number }>(app, `SELECT max(position) AS position FROM newsletters WHERE slug <> 'breaking'`))!;
    expect(res.body.newsletter).toMatchObject({
      kind: 'alert', cron: null, timeZone: 'UTC', maxArticles: 20, categories: [], offered: true,
      publicArchive: true, fromName: null, replyTo: null, description: '', position: highest + 1,
    });
  });

  test('when the list is asked, then it gives every newsletter in order with its confirmed subscribers only', async () => {
    await create({ slug: 'culture', name: 'Culture', cron: '0 9 * * 6' }).expect(201);
    await subscriberOf(['daily', 'culture'], 'confirmed');
    await subscriberOf(['culture'], 'confirmed');
    await subscriberOf(['culture'], 'pending');
    await subscriberOf(['culture', 'daily'], 'unsubscribed');

    const res = await api().get('/api/admin/newsletters').set(adminAuth);

    expect(res.status).toBe(200);
    const bySlug = Object.fromEntries(res.body.newsletters.map((n: { slug: string; confirmedSubscribers: number }) => [n.slug, n.confirmedSubscribers]));
    expect(bySlug).toMatchObject({ daily: 1, weekly: 0, culture: 2 });
    const positions = res.body.newsletters.map((n: { position: number }) => n.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(res.body.newsletters.slice(0, 2).map((n: { slug: string }) => n.slug)).toEqual(['daily', 'weekly']);
  });

  test.each([
    ['an unknown kind', { slug: 'x1', name: 'X', kind: 'podcast', cron: '0 7 * * *' }, 'kind'],
    ['a bad cron', { slug: 'x2', name: 'X', cron: '99 7 * * *' }, 'cron'],
    ['a cron with seconds', { slug: 'x3', name: 'X', cron: '0 0 7 * * *' }, 'cron'],
    ['a digest without a cron', { slug: 'x4', name: 'X', kind: 'digest' }, 'cron'],
    ['an alert with a cron', { slug: 'x5', name: 'X', kind: 'alert', cron: '0 7 * * *' }, 'cron'],
    ['an unknown time zone', { slug: 'x6', name: 'X', cron: '0 7 * * *', timeZone: 'Mars/Olympus' }, 'timeZone'],
    ['a duplicate slug', { slug: 'daily', name: 'Another daily', cron: '0 7 * * *' }, 'slug'],
    ['a slug with capitals', { slug: 'Sports', name: 'X', cron: '0 7 * * *' }, 'slug'],
    ['no slug', { name: 'X', cron: '0 7 * * *' }, 'slug'],
    ['no name', { slug: 'x7', cron: '0 7 * * *' }, 'name'],
    ['a Reply-To that is no email', { slug: 'x8', name: 'X', cron: '0 7 * * *', replyTo: 'not an address' }, 'replyTo'],
    ['a sender name with a line break', { slug: 'x9', name: 'X', cron: '0 7 * * *', fromName: 'Courier\r\nBcc: all@example.com' }, 'fromName'],
    ['max articles of 0', { slug: 'x10', name: 'X', cron: '0 7 * * *', maxArticles: 0 }, 'maxArticles'],
    ['a category that is no text', { slug: 'x11', name: 'X', cron: '0 7 * * *', categories: ['Sport', 7] }, 'categories.1'],
    ['offered as text', { slug: 'x12', name: 'X', cron: '0 7 * * *', offered: 'yes' }, 'offered'],
    ['a misspelt field', { slug: 'x13', name: 'X', cron: '0 7 * * *', timezone: 'UTC' }, 'timezone'],
  ])('when a newsletter is created with %s, then it answers 400 naming the field and creates nothing', async (_label, body, field) => {
    const before = await count();

    const res = await create(body);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.any(String), fields: expect.objectContaining({ [field]: expect.any(String) }) });
    expect(await count()).toBe(before);
  });

  test('when the body is not an object, then it answers 400 naming the body', async () => {
    const res = await api().post('/api/admin/newsletters').set(adminAuth).set('Content-Type', 'application/json').send('["sports"]');
    expect(res.status).toBe(400);
    expect(res.body.fields).toHaveProperty('body');
  });

  test('when a newsletter is patched, then only the given fields change; null clears sender name and Reply-To', async () => {
    await create({ ...sports, slug: 'motoring', name: 'Motoring' }).expect(201);

    const res = await api().patch('/api/admin/newsletters/motoring').set(adminAuth).send({ name: 'Cars', cron: '30 6 * * 1-5', fromName: null, replyTo: '' });

    expect(res.status).toBe(200);
    expect(res.body.newsletter).toMatchObject({ ...sports, slug: 'motoring', name: 'Cars', cron: '30 6 * * 1-5', fromName: null, replyTo: null });
    const row = await queryOne<{ name: string; cron: string; from_name: string | null; time_zone: string }>(app, `SELECT name, cron, from_name, time_zone FROM newsletters WHERE slug = 'motoring'`);
    expect(row).toEqual({ name: 'Cars', cron: '30 6 * * 1-5', from_name: null, time_zone: 'Europe/Berlin' });
  });

  test.each([
    ['kind', { kind: 'alert' }, 'kind'],
    ['the slug', { slug: 'renamed' }, 'slug'],
    ['a digest\'s cron to nothing', { cron: null }, 'cron'],
    ['the time zone to an unknown one', { timeZone: 'Europe/Atlantis' }, 'timeZone'],
    ['archived to a word', { archived: 'yes' }, 'archived'],
  ])('when a patch changes %s, then it answers 400 naming the field and changes nothing', async (_label, body, field) => {
    const before = await queryOne(app, `SELECT * FROM newsletters WHERE slug = 'weekly'`);

    const res = await api().patch('/api/admin/newsletters/weekly').set(adminAuth).send({ name: 'Changed?', ...body });

    expect(res.status).toBe(400);
    expect(res.body.fields).toHaveProperty(field);
    expect(await queryOne(app, `SELECT * FROM newsletters WHERE slug = 'weekly'`)).toEqual(before);
  });

  test('when an alert is patched with a cron, then it answers 400 naming cron', async () => {
    await create({ slug: 'flash', name: 'Flash', kind: 'alert' }).expect(201);
    const res = await api().patch('/api/admin/newsletters/flash').set(adminAuth).send({ cron: '0 7 * * *' });
    expect(res.status).toBe(400);
    expect(res.body.fields).toHaveProperty('cron');
  });

  test('when a patch archives and then restores a newsletter, then archived follows and the archive time is kept while archived', async () => {
    await create({ slug: 'gardening', name: 'Gardening', cron: '0 8 * * 0' }).expect(201);

    const archived = await api().patch('/api/admin/newsletters/gardening').set(adminAuth).send({ archived: true });
    const again = await api().patch('/api/admin/newsletters/gardening').set(adminAuth).send({ archived: true });
    const restored = await api().patch('/api/admin/newsletters/gardening').set(adminAuth).send({ archived: false });

    expect(archived.body.newsletter).toMatchObject({ archived: true, archivedAt: expect.any(String) });
    expect(again.body.newsletter.archivedAt).toBe(archived.body.newsletter.archivedAt);
    expect(restored.body.newsletter).toMatchObject({ archived: false, archivedAt: null });
  });

  test('when an unknown newsletter is read, changed or deleted, then it answers 404', async () => {
    for (const res of [
      await api().get('/api/admin/newsletters/nope').set(adminAuth),
      await api().patch('/api/admin/newsletters/nope').set(adminAuth).send({ name: 'X' }),
      await api().delete('/api/admin/newsletters/nope').set(adminAuth),
      await api().get(`/api/admin/newsletters/${'x'.repeat(5000)}`).set(adminAuth),
    ]) {
      expect(res.status).toBe(404);
    }
  });

  test('when a newsletter nobody used is deleted, then it is gone', async () => {
    await create({ slug: 'unused', name: 'Unused', cron: '0 8 * * *' }).expect(201);

    const res = await api().delete('/api/admin/newsletters/unused').set(adminAuth);

    expect(res.status).toBe(200);
    expect(res.body.outcome).toBe('deleted');
    expect(await queryOne(app, `SELECT id FROM newsletters WHERE slug = 'unused'`)).toBeUndefined();
    expect((await api().get('/api/admin/newsletters/unused').set(adminAuth)).status).toBe(404);
  });

  test('when a newsletter with subscribers is deleted, then it is archived instead, says so, and keeps its subscriptions', async () => {
    await create({ slug: 'science', name: 'Science', cron: '0 8 * * 3' }).expect(201);
    const reader = await subscriberOf(['science'], 'confirmed');

    const res = await api().delete('/api/admin/newsletters/science').set(adminAuth);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'archived', message: expect.stringMatching(/archived instead of deleted.*1 subscription/i), newsletter: { slug: 'science', archived: true } });
    const kept = await query(app, `SELECT 1 FROM subscriptions s JOIN newsletters n ON n.id = s.newsletter_id WHERE n.slug = 'science' AND s.subscriber_id = $1`, [reader]);
    expect(kept).toHaveLength(1);
  });

  test('when a newsletter with editions but no subscribers is deleted, then it is archived instead', async () => {
    await create({ slug: 'history', name: 'History', cron: '0 8 * * 4' }).expect(201);
    await query(
      app,
      `INSERT INTO digests (newsletter_id, edition_key, edition_at, window_start, window_end, public_id, subject, html, text, article_ids, status)
       SELECT id, 'slot:2026-11-26T07:00:00.000Z', '2026-11-26T07:00:00Z', '2026-11-25T07:00:00Z', '2026-11-26T07:00:00Z',
              'historyedition000001', 'Old times', '<p>x</p>', 'x', '{}', 'done' FROM newsletters WHERE slug = 'history'`,
    );

    const res = await api().delete('/api/admin/newsletters/history').set(adminAuth);

    expect(res.body).toMatchObject({ outcome: 'archived', message: expect.stringMatching(/1 edition/) });
    expect(await queryOne(app, `SELECT archived_at IS NOT NULL AS archived FROM newsletters WHERE slug = 'history'`)).toEqual({ archived: true });
  });
});
