import request from 'supertest';
import { startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';

describe('HTTP basics', () => {
  let app: TestBulletin;
  beforeAll(async () => {
    app = await startTestBulletin();
  });
  afterAll(async () => {
    await app.stop();
  });

  test('when /healthz is asked, then the process answers ok', async () => {
    const res = await request(app.url).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  test('when the database is reachable, then /readyz answers 200', async () => {
    const res = await request(app.url).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', database: true });
  });

  test('when an unknown route is asked by a browser, then a 404 HTML page is shown', async () => {
    const res = await request(app.url).get('/no/such/page').set('Accept', 'text/html');
    expect(res.status).toBe(404);
    expect(res.type).toBe('text/html');
    expect(res.text).toContain('Page not found');
  });

  test('when an unknown route is asked by an API client, then a 404 JSON error is returned', async () => {
    const res = await request(app.url).get('/no/such/page').set('Accept', 'application/json');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'Page not found' });
  });

  test('when a JSON body is malformed, then the answer is 400, not 500', async () => {
    const res = await request(app.url)
      .post('/anything')
      .set('Content-Type', 'application/json')
      .set('Accept', 'application/json')
      .send('{"email": ');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'Malformed JSON body', fields: { body: 'is not valid JSON' } });
  });

  test('when a body is larger than the limit, then the answer is 413', async () => {
    const res = await request(app.url)
      .post('/anything')
      .set('Content-Type', 'application/json')
      .set('Accept', 'application/json')
      .send(JSON.stringify({ padding: 'x'.repeat(64 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: 'Request body too large' });
  });

  test('when any page is served, then security headers and a request id are set', async () => {
    const res = await request(app.url).get('/healthz');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-request-id']).toMatch(/^[\w-]+$/);
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  test('when an SMTP server is configured, then the outbox viewer is not served', async () => {
    const res = await request(app.url).get('/outbox').set('Accept', 'application/json');
    expect(res.status).toBe(404);
  });
});
