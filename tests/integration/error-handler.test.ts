import { Writable } from 'node:stream';
import path from 'node:path';
import { Router } from 'express';
import request from 'supertest';
import { createApp } from '../../src/http/app';
import { Pages } from '../../src/http/pages';
import { createLogger } from '../../src/shared/logger';
import { AppError } from '../../src/shared/errors';

const templatesDir = path.resolve(__dirname, '../../templates');

function appWith(router: Router, isDatabaseReachable = async () => true, level = 'info') {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const app = createApp({
    logger: createLogger(level, sink),
    pages: new Pages(templatesDir),
    templatesDir,
    trustProxy: 'loopback',
    isDatabaseReachable,
    routers: [router],
  });
  return { app, lines };
}

describe('the error handler', () => {
  test('when a handler fails unexpectedly, then a 500 reveals nothing and the log has the request id', async () => {
    const router = Router();
    router.get('/boom', async () => {
      throw new Error('secret internal detail: password=hunter2');
    });
    const { app, lines } = appWith(router);
    const res = await request(app).get('/boom').set('Accept', 'application/json');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'Something went wrong on our side' });
    expect(res.text).not.toContain('hunter2');
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'unhandled error');
    expect(logged.req?.id ?? logged.reqId).toBe(res.headers['x-request-id']);
  });

  test('when a browser meets an unexpected failure, then it gets an HTML 500 page', async () => {
    const router = Router();
    router.get('/boom', () => {
      throw new Error('bug');
    });
    const res = await request(appWith(router).app).get('/boom').set('Accept', 'text/html');
    expect(res.status).toBe(500);
    expect(res.text).toContain('Something went wrong on our side');
    expect(res.text).not.toContain('bug');
  });

  test('when a service raises a validation error, then a 400 names each field and reason', async () => {
    const router = Router();
    router.post('/v', () => {
      throw new AppError('VALIDATION', 'Some fields are not valid', { fields: { email: 'Enter a valid email address' } });
    });
    const res = await request(appWith(router).app).post('/v').set('Accept', 'application/json');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'Some fields are not valid', fields: { email: 'Enter a valid email address' } });
  });

  test('when a service refuses for rate, then 429 comes with Retry-After', async () => {
    const router = Router();
    router.post('/r', () => {
      throw new AppError('RATE_LIMITED', 'Too many requests', { retryAfterSeconds: 42 });
    });
    const res = await request(appWith(router).app).post('/r').set('Accept', 'application/json');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('42');
  });

  test('when the database is unreachable, then /readyz answers 503 while /healthz stays 200', async () => {
    const { app } = appWith(Router(), async () => false);
    expect((await request(app).get('/readyz')).status).toBe(503);
    expect((await request(app).get('/healthz')).status).toBe(200);
  });

  test('when a request carries a token in its query, then the log shows the path only', async () => {
    const { app, lines } = appWith(Router());
    const res = await request(app).get('/confirm?token=very-secret-token');
    expect(lines.join('')).not.toContain('very-secret-token');
    const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request completed');
    expect(logged).toEqual([
      expect.objectContaining({ method: 'GET', path: '/confirm', status: 404, reqId: res.headers['x-request-id'] }),
    ]);
  });

  test('when LOG_LEVEL is above info, then requests write no line but a failure still does', async () => {
    const router = Router();
    router.get('/boom', () => {
      throw new Error('bug');
    });
    const { app, lines } = appWith(router, async () => true, 'warn');
    await request(app).get('/healthz').expect(200);
    await request(app).get('/boom').expect(500);
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['unhandled error']);
  });
});
