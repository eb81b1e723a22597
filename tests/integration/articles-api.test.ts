import request from 'supertest';
import { startTestBulletin, TEST_ADMIN_TOKEN, type TestBulletin } from '../helpers/test-bulletin';

const auth = { Authorization: `Bearer ${TEST_ADMIN_TOKEN}`, Accept: 'application/json' };

function article(overrides: Record<string, unknown> = {}) {
  return {
    title: 'Council approves the new harbour bridge',
    url: `https://news.example/politics/bridge-${Math.random().toString(36).slice(2)}`,
    summary: '<p>The vote passed <strong>7–2</strong> after a long debate.</p>',
    author: 'Maria Lindqvist',
    imageUrl: 'https://news.example/img/bridge.jpg',
    publishedAt: '2024-06-03T08:00:00Z',
    categories: ['Politics', 'Harbour'],
    ...overrides,
  };
}

describe('admin articles API', () => {
  let app: TestBulletin;
  beforeAll(async () => {
    app = await startTestBulletin();
  });
  afterAll(async () => {
    await app.stop();
  });

  test('when no token is sent, then every route answers 401', async () => {
    for (const res of [
      await request(app.url).get('/api/admin/articles').set('Accept', 'application/json'),
      await request(app.url).post('/api/admin/articles').set('Accept', 'application/json').send(article()),
      await request(app.url).delete('/api/admin/articles/1').set('Accept', 'application/json'),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body.error).toMatch(/admin token/);
    }
  });

  test('when a wrong token is sent, then the answer is 401 and nothing is created', async () => {
    const body = article();
    const res = await request(app.url)
      .post('/api/admin/articles')
      .set({ ...auth, Authorization: 'Bearer not-the-admin-token-at-all-000' })
      .send(body);
    expect(res.status).toBe(401);
    const list = await request(app.url).get('/api/admin/articles?limit=200').set(auth);
    expect(list.body.articles.map((a: { url: string }) => a.url)).not.toContain(body.url);
  });

  test('when an article is created, read, updated and deleted, then each step answers as expected', async () => {
    const body = article();
    const created = await request(app.url).post('/api/admin/articles').set(auth).send({ ...body, unknownField: 'ignored' });
    expect(created.status).toBe(201);
    expect(created.body.outcome).toBe('created');
    const a = created.body.article;
    expect(a).toMatchObject({
      sourceId: body.url,
      title: body.title,
      url: body.url,
      summary: 'The vote passed 7–2 after a long debate.',
      author: 'Maria Lindqvist',
      imageUrl: 'https://news.example/img/bridge.jpg',
      publishedAt: '2024-06-03T08:00:00.000Z',
      categories: ['Politics', 'Harbour'],
    });
    expect(a).not.toHaveProperty('unknownField');

    const got = await request(app.url).get(`/api/admin/articles/${a.id}`).set(auth);
    expect(got.status).toBe(200);
    expect(got.body.article).toEqual(a);

    const put = await request(app.url)
      .put(`/api/admin/articles/${a.id}`)
      .set(auth)
      .send({ ...body, title: 'Council approves the bridge, with conditions', author: undefined });
    expect(put.status).toBe(200);
    expect(put.body.article).toMatchObject({ id: a.id, sourceId: body.url, title: 'Council approves the bridge, with conditions', author: null });

    const patched = await request(app.url).patch(`/api/admin/articles/${a.id}`).set(auth).send({ categories: ['Politics'], imageUrl: null });
    expect(patched.status).toBe(200);
    expect(patched.body.article).toMatchObject({
      title: 'Council approves the bridge, with conditions',
      categories: ['Politics'],
      imageUrl: null,
      summary: 'The vote passed 7–2 after a long debate.',
    });

    const deleted = await request(app.url).delete(`/api/admin/articles/${a.id}`).set(auth);
    expect(deleted.status).toBe(204);
    const gone = await request(app.url).get(`/api/admin/articles/${a.id}`).set(auth);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ error: 'No such article' });
  });

  test('when the same sourceId is posted twice, then one article exists and the second post updates it', async () => {
    const body = article({ sourceId: `cms-${Date.now()}-${Math.random()}` });
    const first = await request(app.url).post('/api/admin/articles').set(auth).send(body);
    const again = await request(app.url).post('/api/admin/articles').set(auth).send(body);
    const changed = await request(app.url).post('/api/admin/articles').set(auth).send({ ...body, title: 'New headline' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.outcome).toBe('unchanged');
    expect(changed.status).toBe(200);
    expect(changed.body.outcome).toBe('updated');
    expect(again.body.article.id).toBe(first.body.article.id);
    expect(changed.body.article).toMatchObject({ id: first.body.article.id, title: 'New headline' });
  });

  test('when the url is posted twice without a sourceId, then the url de-duplicates', async () => {
    const body = article();
    const first = await request(app.url).post('/api/admin/articles').set(auth).send(body);
    const second = await request(app.url).post('/api/admin/articles').set(auth).send(body);
    expect(second.body.article.id).toBe(first.body.article.id);
  });

  test('when fields are invalid, then the answer is 400 with a message per field', async () => {
    const res = await request(app.url)
      .post('/api/admin/articles')
      .set(auth)
      .send({
        title: 'x'.repeat(501),
        url: 'javascript:alert(1)',
        publishedAt: 'last tuesday',
        imageUrl: 'ftp://news.example/a.jpg',
        categories: ['ok', 'y'.repeat(51), 3],
      });
    expect(res.status).toBe(400);
    expect(res.body.error).toBeTruthy();
    expect(res.body.fields).toEqual({
      title: expect.stringMatching(/500/),
      url: expect.stringMatching(/http/),
      publishedAt: expect.stringMatching(/ISO/),
      imageUrl: expect.stringMatching(/http/),
      'categories.1': expect.stringMatching(/50/),
      'categories.2': expect.any(String),
    });
  });

  test('when the title is missing, then the 400 says it is required', async () => {
    const res = await request(app.url).post('/api/admin/articles').set(auth).send({ url: 'https://news.example/x' });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({ title: 'is required' });
  });

  test('when a missing or malformed id is asked, then the answer is 404', async () => {
    for (const res of [
      await request(app.url).get('/api/admin/articles/999999').set(auth),
      await request(app.url).put('/api/admin/articles/999999').set(auth).send(article()),
      await request(app.url).patch('/api/admin/articles/999999').set(auth).send({ title: 'x' }),
      await request(app.url).delete('/api/admin/articles/999999').set(auth),
      await request(app.url).get('/api/admin/articles/abc').set(auth),
    ]) {
      expect(res.status).toBe(404);
    }
  });

  test('when an update gives another article\'s sourceId, then the answer is 409', async () => {
    const a = (await request(app.url).post('/api/admin/articles').set(auth).send(article())).body.article;
    const b = (await request(app.url).post('/api/admin/articles').set(auth).send(article())).body.article;
    const res = await request(app.url).patch(`/api/admin/articles/${b.id}`).set(auth).send({ sourceId: a.sourceId });
    expect(res.status).toBe(409);
  });

  test('when articles are listed page by page, then every article appears once, newest first', async () => {
    const tag = `page-${Math.random().toString(36).slice(2)}`;
    for (let i = 0; i < 5; i++) {
      await request(app.url)
        .post('/api/admin/articles')
        .set(auth)
        // Two share a time, so the cursor's id tie-break is exercised.
        .send(article({ sourceId: `${tag}-${i}`, publishedAt: `2030-01-0${Math.min(i, 3) + 1}T00:00:00Z` }));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(app.url)
        .get('/api/admin/articles')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(auth);
      expect(res.status).toBe(200);
      seen.push(...res.body.articles.map((a: { sourceId: string }) => a.sourceId));
      cursor = res.body.nextCursor;
    } while (cursor && seen.filter((s) => s.startsWith(tag)).length < 5);
    const ours = seen.filter((s) => s.startsWith(tag));
    expect(ours).toEqual([`${tag}-4`, `${tag}-3`, `${tag}-2`, `${tag}-1`, `${tag}-0`]);
  });

  test('when articles are listed by id, then the pages follow insertion order', async () => {
    const first = await request(app.url).get('/api/admin/articles').query({ order: 'id', limit: 3 }).set(auth);
    expect(first.status).toBe(200);
    const ids = first.body.articles.map((a: { id: number }) => a.id);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    const next = await request(app.url).get('/api/admin/articles').query({ order: 'id', limit: 3, cursor: first.body.nextCursor }).set(auth);
    expect(next.body.articles.every((a: { id: number }) => a.id > ids[ids.length - 1])).toBe(true);
  });

  test('when the list query is invalid, then the answer is 400', async () => {
    const res = await request(app.url).get('/api/admin/articles').query({ limit: 0, order: 'random' }).set(auth);
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.fields).sort()).toEqual(['limit', 'order']);
  });
});
