import request from 'supertest';
import { loadConfig } from '../../src/config';
import { startBulletin, type RunningBulletin } from '../../src/main';
import { createLogger } from '../../src/shared/logger';
import { SmtpCapture } from '../helpers/smtp-capture';
import { StallingProxy } from '../helpers/stalling-proxy';
import { freePort, TEST_POSTAL_ADDRESS } from '../helpers/test-bulletin';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { query, uniqueEmail } from './subscription-test-kit';

/**
 * PostgreSQL that stops answering (paused, a dead network path), simulated by a proxy that holds
 * every byte. The default DATABASE_CONNECT_TIMEOUT_MS and DATABASE_QUERY_TIMEOUT_MS are in force:
 * without them these requests would hang and the test would time out.
 */
describe('when the database stalls', () => {
  let db: TestDatabase;
  let smtp: SmtpCapture;
  let proxy: StallingProxy;
  let app: RunningBulletin;
  /** The subscription kit's query() reads `app.db.url`: a direct connection, not the proxy. */
  const direct = () => ({ db }) as Parameters<typeof query>[0];

  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = await new SmtpCapture().start();
    const target = new URL(db.url);
    proxy = await new StallingProxy({ host: target.hostname, port: Number(target.port) }).start();
    const port = await freePort();
    const config = loadConfig({
      DATABASE_URL: proxy.urlFor(db.url),
      SMTP_URL: smtp.url,
      MAIL_POSTAL_ADDRESS: TEST_POSTAL_ADDRESS,
      SECRET_KEY: 'test-secret-key-0123456789abcdef0123456789',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      DATABASE_POOL_SIZE: '4',
      RATE_LIMIT_PER_IP: '10000',
    });
    app = await startBulletin(config, createLogger(config.LOG_LEVEL));
  }, 60_000);

  afterAll(async () => {
    proxy?.resume();
    await app?.stop();
    await proxy?.stop();
    await smtp?.stop();
    await db?.drop();
  }, 60_000);

  /** /readyz's status once it is 200, or its last status after `ms`. */
  async function readyWithin(ms: number): Promise<number> {
    const deadline = Date.now() + ms;
    for (;;) {
      const { status } = await request(app.url).get('/readyz');
      if (status === 200 || Date.now() > deadline) return status;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  const signup = (email: string) =>
    request(app.url).post('/subscribe').set('Accept', 'application/json').send({ email });

  test('then signups answer 503 with Retry-After, /readyz answers 503, and every accepted signup is kept after it resumes', async () => {
    expect((await request(app.url).get('/readyz')).status).toBe(200);
    const emails = Array.from({ length: 25 }, () => uniqueEmail('stall'));
    // Signups in flight as the database stalls (once the first is answered): each is either
    // accepted (202) or refused (503).
    const inFlight = emails.map((email) => signup(email).then((res) => res));
    await Promise.race(inFlight);
    proxy.stall();
    const answers = await Promise.all(inFlight);
    const late = await signup(uniqueEmail('late'));
    const ready = await request(app.url).get('/readyz');
    const page = await request(app.url).post('/subscribe').type('form').set('Accept', 'text/html').send({ email: uniqueEmail('form') });
    proxy.resume();

    for (const res of [late, page]) {
      expect(res.status).toBe(503);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(late.body).toEqual({ error: expect.any(String) });
    expect(page.text).toContain('try again');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'unavailable', database: false });
    for (const res of answers) {
      expect([202, 503]).toContain(res.status);
      if (res.status === 503) expect(res.headers['retry-after']).toBeDefined();
    }

    const accepted = emails.filter((_, i) => answers[i]!.status === 202);
    const kept = await query<{ email: string }>(direct(), 'SELECT email FROM subscribers WHERE email = ANY($1)', [accepted]);
    expect(kept.map((r) => r.email).sort()).toEqual([...accepted].sort());
    // Once the database answers again, so does the service: within seconds (a connection the
    // stall held may still be timing out when the first check comes, on a busy machine).
    expect(await readyWithin(5000)).toBe(200);
    expect((await signup(uniqueEmail('after'))).status).toBe(202);
  }, 60_000);
});
