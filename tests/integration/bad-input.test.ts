import request from 'supertest';
import { startTestBulletin, TEST_ADMIN_TOKEN, type TestBulletin } from '../helpers/test-bulletin';
import { queryOne, subscribeAndConfirm, uniqueEmail } from './subscription-test-kit';

const auth = { Authorization: `Bearer ${TEST_ADMIN_TOKEN}`, Accept: 'application/json' };
const NUL = '\u0000';

function article(overrides: Record<string, unknown> = {}) {
  return {
    title: 'Harbour bridge opens',
    url: `https://news.example/bridge-${Math.random().toString(36).slice(2)}`,
    summary: 'The bridge opened on Monday.',
    author: 'Maria Lindqvist',
    publishedAt: '2024-06-03T08:00:00Z',
    categories: ['Harbour'],
    ...overrides,
  };
}

/** A 400 naming the field, or a 404: never a 500. */
function expectRefused(res: request.Response, field?: string): void {
  if (field) {
    expect({ status: res.status, fields: Object.keys(res.body.fields ?? {}) }).toEqual({ status: 400, fields: expect.arrayContaining([field]) });
    expect(res.body.fields[field]).toEqual(expect.any(String));
  } else {
    expect([400, 404]).toContain(res.status);
  }
}

describe('bad input answers 4xx, never 500', () => {
  let app: TestBulletin;
  let existingId: number;
  beforeAll(async () => {
    app = await startTestBulletin({ RATE_LIMIT_PER_IP: '10000' });
    existingId = (await request(app.url).post('/api/admin/articles').set(auth).send(article()).expect(201)).body.article.id;
  });
  afterAll(async () => {
    await app.stop();
  });

  test.each([
    ['title', { title: `Bridge${NUL}opens` }],
    ['url', { url: `https://news.example/a${NUL}b` }],
    ['summary', { summary: `Opened${NUL}` }],
    ['author', { author: `Maria${NUL}` }],
    ['sourceId', { sourceId: `id${NUL}1` }],
    ['categories.0', { categories: [`Harbour${NUL}`] }],
    ['imageUrl', { imageUrl: `https://news.example/i${NUL}.jpg` }],
  ])('when an article has a NUL byte in %s, then POST, PUT and PATCH answer 400 naming the field and store nothing', async (field, bad) => {
    const before = await queryOne<{ n: string }>(app, 'SELECT count(*) AS n FROM articles');
    expectRefused(await request(app.url).post('/api/admin/articles').set(auth).send(article(bad)), field);
    expectRefused(await request(app.url).put(`/api/admin/articles/${existingId}`).set(auth).send(article(bad)), field);
    expectRefused(await request(app.url).patch(`/api/admin/articles/${existingId}`).set(auth).send(bad), field);
    expect(await queryOne(app, 'SELECT count(*) AS n FROM articles')).toEqual(before);
    expect((await request(app.url).get(`/api/admin/articles/${existingId}`).set(auth)).body.article.title).toBe('Harbour bridge opens');
  });

  test.each([
    '99999999999999999999~x',
    '99999999999999999999~1',
    '8640000000000001~1',
    '1~99999999999999999999',
    '1~2147483648',
  ])('when the articles list gets the cursor %s, then it answers 400 naming cursor', async (cursor) => {
    expectRefused(await request(app.url).get('/api/admin/articles').query({ cursor }).set(auth), 'cursor');
  });

  test.each(['99999999999999999999', '2147483648', '9999999999999999'])('when the id-ordered list gets the cursor %s, then it answers 400 naming cursor', async (cursor) => {
    expectRefused(await request(app.url).get('/api/admin/articles').query({ cursor, order: 'id' }).set(auth), 'cursor');
  });

  test.each(['99999999999999999999', '2147483648', '-1', '1.5', '0', '1e3', 'abc'])('when an article id is %s, then every route answers 404', async (id) => {
    for (const res of [
      await request(app.url).get(`/api/admin/articles/${id}`).set(auth),
      await request(app.url).put(`/api/admin/articles/${id}`).set(auth).send(article()),
      await request(app.url).patch(`/api/admin/articles/${id}`).set(auth).send({ title: 'x' }),
      await request(app.url).delete(`/api/admin/articles/${id}`).set(auth),
    ]) {
      expect(res.status).toBe(404);
    }
  });

  test.each(['99999999999999999999', '2147483648', '-1', '1.5', '0', '1e3', 'abc'])('when a digest id is %s, then retry-failed answers 404', async (id) => {
    expect((await request(app.url).post(`/api/admin/digests/${id}/retry-failed`).set(auth)).status).toBe(404);
  });

  test.each([`abc${NUL}`, 'x'.repeat(500), '%00', '99999999999999999999'])('when a digest page is asked for %j, then it answers 404', async (publicId) => {
    expect((await request(app.url).get(`/digests/${encodeURIComponent(publicId)}`)).status).toBe(404);
  });

  test('when a signed link carries an id beyond a database integer, then unsubscribe and preferences answer 404', async () => {
    const { subscriberId } = await subscribeAndConfirm(app, uniqueEmail());
    expect(subscriberId).toBeGreaterThan(0);
    for (const s of ['99999999999.abc', `2147483648.${'a'.repeat(43)}`, `9999999999.${'a'.repeat(43)}`, `1${NUL}.${'a'.repeat(43)}`]) {
      for (const res of [
        await request(app.url).get('/unsubscribe').query({ s }),
        await request(app.url).post('/unsubscribe').query({ s }).type('form').send('List-Unsubscribe=One-Click'),
        await request(app.url).get('/preferences').query({ s }),
        await request(app.url).post('/preferences').query({ s }).type('form').send({ frequency: 'weekly' }),
      ]) {
        expect(res.status).toBe(404);
      }
    }
  });

  test('when a JSON body is not an object, then every API answers 400 in the one shape {error, fields: {body}}', async () => {
    const json = { ...auth, 'Content-Type': 'application/json' };
    const answers = [
      await request(app.url).post('/subscribe').set(json).send('[]'),
      await request(app.url).post('/manage').set(json).send('[]'),
      await request(app.url).post('/api/admin/articles').set(json).send('[]'),
      await request(app.url).post('/api/admin/digests').set(json).send('[]'),
      await request(app.url).post('/api/admin/digests').set(json).send('{"frequency": '),
    ];
    for (const res of answers) {
      expect({ status: res.status, keys: Object.keys(res.body).sort(), fields: Object.keys(res.body.fields ?? {}) }).toEqual({
        status: 400,
        keys: ['error', 'fields'],
        fields: ['body'],
      });
    }
  });

  test('when a form or JSON field carries a NUL byte, then signup, confirm and manage answer 4xx', async () => {
    const email = `a${NUL}b@example.org`;
    expect((await request(app.url).post('/subscribe').set('Accept', 'application/json').send({ email })).status).toBe(400);
    expect((await request(app.url).post('/subscribe').set('Accept', 'application/json').send({ email: uniqueEmail(), name: `Ann${NUL}` })).status).toBe(400);
    expect((await request(app.url).post('/manage').type('form').send({ email })).status).toBe(400);
    expect((await request(app.url).post('/confirm/resend').type('form').send({ email })).status).toBe(400);
    expect((await request(app.url).post('/confirm').type('form').send({ token: `${'a'.repeat(42)}${NUL}` })).status).toBe(404);
    expect((await request(app.url).get('/confirm').query({ token: NUL })).status).toBe(404);
    expect((await request(app.url).get('/manage/open').query({ token: NUL })).status).toBe(410);
  });
});
