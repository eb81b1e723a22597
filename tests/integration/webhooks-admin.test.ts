import request from 'supertest';
import { withTransaction } from '../../src/db/transaction';
import { EventRecorder } from '../../src/events/event-recorder';
import { SecretBox } from '../../src/events/secret-box';
import { systemClock } from '../../src/shared/clock';
import { apiTokenOf, firstAdmin, invited } from '../helpers/console-client';
import { DigestFixtures } from '../helpers/digest-fixtures';
import { adminAuth, QUIET_SCHEDULES, startInstanceBeside, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { WebhookReceiver } from '../helpers/webhook-receiver';
import { confirmThroughLink, linkIn, query, submitSignup, uniqueEmail, waitForMail } from './subscription-test-kit';
import type { RunningBulletin } from '../../src/main';

const recorder = new EventRecorder({ clock: systemClock });
const bounce = (n: number) => ({ type: 'delivery.bounced' as const, data: { subscriber: { id: n, email: `b${n}@example.test` } } });

describe('webhooks: the admin API and the SSRF rules (private targets refused, the default)', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES, RATE_LIMIT_PER_IP: '10000' });
    fx = new DigestFixtures(app.db.url);
    receiver = await new WebhookReceiver().start();
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
    await receiver?.stop();
    await app?.stop();
  });

  test('when no token, or an editor\'s, is given, then every webhook route answers 401, or 403', async () => {
    const admin = await firstAdmin(app, 'chief@news.example');
    const editorToken = await apiTokenOf(await invited(admin, 'editor@news.example', 'editor'), 'Editor script');
    const routes = (auth: Record<string, string>) => [
      request(app.url).get('/api/admin/webhooks').set(auth),
      request(app.url).post('/api/admin/webhooks').set(auth).send({ url: 'https://crm.example/hooks', events: ['edition.sent'] }),
      request(app.url).delete('/api/admin/webhooks/1').set(auth),
      request(app.url).get('/api/admin/webhooks/1/deliveries').set(auth),
    ];
    for (const res of await Promise.all(routes({}))) expect(res.status).toBe(401);
    for (const res of await Promise.all(routes({ Authorization: `Bearer ${editorToken}` }))) expect(res.status).toBe(403);
    expect(await query(app, 'SELECT id FROM webhooks')).toEqual([]);
  });

  test('when the input is not valid, then 400 names the field and nothing is stored', async () => {
    const post = (body: unknown) => request(app.url).post('/api/admin/webhooks').set(adminAuth).send(body as object);
    expect((await post({ events: ['edition.sent'] })).body.fields).toEqual({ url: expect.any(String) });
    expect((await post({ url: 'ftp://crm.example/x', events: ['edition.sent'] })).body.fields).toEqual({ url: 'Only http and https URLs can receive webhooks' });
    expect((await post({ url: 'https://crm.example/x', events: ['edition.mailed'] })).body.fields).toEqual({ 'events.0': expect.stringContaining('edition.sent') });
    expect((await post({ url: 'https://crm.example/x', events: [] })).body.fields).toEqual({ events: 'Choose at least one event type' });
    expect((await post({ url: 'https://crm.example/x', events: ['edition.sent'] }).then((r) => r.status))).not.toBe(500);
    expect((await request(app.url).delete('/api/admin/webhooks/999999').set(adminAuth)).status).toBe(404);
  });

  test.each(['http://127.0.0.1:9/hooks', 'http://localhost:9/hooks', 'http://[::1]:9/', 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.7/'])(
    'when %s is registered, then it is refused (400, url) as a private target',
    async (url) => {
      const res = await request(app.url).post('/api/admin/webhooks').set(adminAuth).send({ url, events: ['edition.sent'] });
      expect(res.status).toBe(400);
      expect(res.body.fields.url).toMatch(/private, loopback or link-local/);
    },
  );

  test('when a registered name turns private by delivery time, then the POST is refused and recorded, and the receiver hears nothing', async () => {
    // As if DNS changed after registration: the row is written as a registration that passed would be.
    const sealed = new SecretBox(app.config.SECRET_KEY!).seal('whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    const url = receiver.url.replace('127.0.0.1', 'localhost');
    const [{ id }] = await query<{ id: number }>(app, `INSERT INTO webhooks (url, events, secret) VALUES ($1, '{delivery.bounced}', $2) RETURNING id`, [url, sealed]) as [{ id: number }];
    await withTransaction(fx.pool, (tx) => recorder.record(tx, bounce(1)));
    const deadline = Date.now() + 10_000;
    let row: { attempts: number; last_error: string | null } | undefined;
    while (Date.now() < deadline && !row?.attempts) {
      [row] = await query<{ attempts: number; last_error: string | null }>(app, 'SELECT attempts, last_error FROM webhook_deliveries WHERE webhook_id = $1', [id]);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(row?.last_error).toMatch(/refused: localhost resolves to .*not a public address/);
    expect(receiver.received).toHaveLength(0);
    await request(app.url).delete(`/api/admin/webhooks/${id}`).set(adminAuth).expect(200);
  });
});

describe('webhooks: a receiver down, and two instances', () => {
  let app: TestBulletin;
  let beside: RunningBulletin | undefined;
  let fx: DigestFixtures;
  let receiver: WebhookReceiver;
  const env = { ...QUIET_SCHEDULES, WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_SECONDS: '1', RATE_LIMIT_PER_IP: '10000' };
  beforeAll(async () => {
    app = await startTestBulletin(env);
    fx = new DigestFixtures(app.db.url);
    receiver = await new WebhookReceiver().start();
  }, 60_000);
  afterAll(async () => {
    await beside?.stop();
    await fx?.close();
    await receiver?.stop();
    await app?.stop();
  });

  test('when the receiver is down, then confirmations answer at once and the delivery waits for its retry', async () => {
    const created = await request(app.url).post('/api/admin/webhooks').set(adminAuth).send({ url: 'http://127.0.0.1:9/nobody-listens', events: ['subscriber.confirmed'] });
    expect(created.status).toBe(201);
    const emails = [uniqueEmail(), uniqueEmail(), uniqueEmail()];
    for (const email of emails) await submitSignup(app, { email }).expect(200);
    for (const email of emails) {
      const link = linkIn(await waitForMail(app, email, /confirm/i), '/confirm');
      const started = Date.now();
      expect((await confirmThroughLink(app, link)).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1000);
    }
    const deadline = Date.now() + 10_000;
    let failed: Array<{ status: string; attempts: number }> = [];
    while (Date.now() < deadline && failed.length < 3) {
      failed = await query(app, `SELECT status, attempts FROM webhook_deliveries WHERE webhook_id = $1 AND attempts > 0`, [created.body.webhook.id]);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(failed).toHaveLength(3);
    expect(failed.every((d) => d.status === 'queued')).toBe(true);
    const [hook] = (await request(app.url).get('/api/admin/webhooks').set(adminAuth)).body.webhooks;
    expect(hook).toMatchObject({ lastFailureAt: expect.any(String), lastError: expect.stringMatching(/ECONNREFUSED/) });
    expect(hook).not.toHaveProperty('secret');
    await request(app.url).delete(`/api/admin/webhooks/${created.body.webhook.id}`).set(adminAuth).expect(200);
  }, 30_000);

  test('when two instances relay and deliver, then each event reaches the receiver once', async () => {
    beside = await startInstanceBeside(app, env);
    await request(app.url).post('/api/admin/webhooks').set(adminAuth).send({ url: receiver.url, events: ['delivery.bounced'] }).expect(201);
    for (let n = 0; n < 40; n++) await withTransaction(fx.pool, (tx) => recorder.record(tx, bounce(n)));
    const got = await receiver.waitFor(40, 'delivery.bounced');
    await new Promise((r) => setTimeout(r, 2000));
    expect(receiver.of('delivery.bounced')).toHaveLength(40);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(40);
    const rows = await query<{ status: string; attempts: number; n: number }>(
      app,
      `SELECT d.status, d.attempts, count(*)::int AS n FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
        WHERE e.type = 'delivery.bounced' AND d.webhook_id = (SELECT max(id) FROM webhooks) GROUP BY 1, 2`,
    );
    expect(rows).toEqual([{ status: 'delivered', attempts: 1, n: 40 }]);
  }, 45_000);
});
