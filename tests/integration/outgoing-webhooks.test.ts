import crypto from 'node:crypto';
import request from 'supertest';
import { withTransaction } from '../../src/db/transaction';
import { EventRecorder } from '../../src/events/event-recorder';
import { systemClock } from '../../src/shared/clock';
import { SignedLinks } from '../../src/shared/signed-links';
import { BOUNCE_SECRET, postGeneric } from '../helpers/bounce-webhooks';
import { DigestFixtures } from '../helpers/digest-fixtures';
import { adminAuth, QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { WebhookReceiver, type ReceivedWebhook } from '../helpers/webhook-receiver';
import { confirmThroughLink, linkIn, query, relative, submitSignup, uniqueEmail, waitForMail } from './subscription-test-kit';

/** The receiver's check exactly as docs/webhooks.md shows it (node:crypto only, not our code). */
function verifiesAsDocumented(secret: string, r: ReceivedWebhook): boolean {
  const id = r.headers['webhook-id'] as string;
  const timestamp = r.headers['webhook-timestamp'] as string;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = crypto.createHmac('sha256', key).update(`${id}.${timestamp}.${r.body}`).digest('base64');
  return (r.headers['webhook-signature'] as string).split(' ').some((s) => {
    const [version, sig] = s.split(',');
    return version === 'v1' && sig !== undefined && sig.length === expected.length && crypto.timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
  });
}

describe('outgoing webhooks', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  let receiver: WebhookReceiver;
  let secret: string;
  let webhookId: number;

  beforeAll(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES, WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_SECONDS: '1', RATE_LIMIT_PER_IP: '10000', BOUNCE_WEBHOOK_SECRET: BOUNCE_SECRET });
    fx = new DigestFixtures(app.db.url);
    receiver = await new WebhookReceiver().start();
    const created = await request(app.url).post('/api/admin/webhooks').set(adminAuth).send({ url: receiver.url, events: ['subscriber.confirmed', 'subscriber.unsubscribed', 'edition.sent', 'delivery.bounced', 'delivery.complained'] });
    expect(created.status).toBe(201);
    ({ secret } = created.body);
    webhookId = created.body.webhook.id;
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
    await receiver?.stop();
    await app?.stop();
  });
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.answers = [];
    receiver.delayMs = 0;
  });

  async function signUp(email: string): Promise<string> {
    await submitSignup(app, { email }).expect(200);
    return linkIn(await waitForMail(app, email, /confirm/i), '/confirm');
  }

  test('when a reader confirms, then the webhook gets subscriber.confirmed, signed as documented, without any token', async () => {
    const email = uniqueEmail();
    const link = await signUp(email);
    expect((await confirmThroughLink(app, link)).status).toBe(200);
    const [hook] = await receiver.waitFor(1, 'subscriber.confirmed');
    expect(verifiesAsDocumented(secret, hook!)).toBe(true);
    expect(verifiesAsDocumented(secret, { ...hook!, body: hook!.body.replace(email, 'someone@else.test') })).toBe(false);
    const body = JSON.parse(hook!.body);
    expect(body).toEqual({ type: 'subscriber.confirmed', timestamp: expect.any(String), data: { subscriber: { id: expect.any(Number), email }, newsletters: ['daily'] } });
    expect(hook!.headers['webhook-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(hook!.body).not.toContain(new URL(link).searchParams.get('token')!);
  });

  test('when the receiver answers 500 twice, then it gets the event three times with one id, and the confirmation did not wait', async () => {
    receiver.answers = [500, 500];
    receiver.delayMs = 1500;
    const link = await signUp(uniqueEmail());
    const started = Date.now();
    expect((await confirmThroughLink(app, link)).status).toBe(200);
    const confirmedAt = Date.now();
    expect(confirmedAt - started).toBeLessThan(1000);
    // Nothing had been answered by then: the POST happens after the reader's request, not in it.
    expect(receiver.of('subscriber.confirmed').every((r) => r.at + receiver.delayMs > confirmedAt)).toBe(true);

    const hooks = await receiver.waitFor(3, 'subscriber.confirmed', 30_000);
    expect(new Set(hooks.map((h) => h.headers['webhook-id'])).size).toBe(1);
    expect(hooks.every((h) => verifiesAsDocumented(secret, h))).toBe(true);
    await waitForDelivery(hooks[0]!.headers['webhook-id'] as string, 'delivered');
    const [row] = await query<{ attempts: number; last_status: number }>(app, 'SELECT attempts, last_status FROM webhook_deliveries WHERE event_id = $1', [hooks[0]!.headers['webhook-id']]);
    expect(row).toEqual({ attempts: 3, last_status: 200 });
    const listed = await request(app.url).get(`/api/admin/webhooks/${webhookId}/deliveries`).set(adminAuth);
    expect(listed.body.deliveries[0]).toMatchObject({ eventId: hooks[0]!.headers['webhook-id'], status: 'delivered', attempts: 3 });
  }, 45_000);

  test('when the reader leaves a newsletter and then everything, then each is subscriber.unsubscribed, naming the newsletter or null', async () => {
    const [reader] = await fx.subscribers(1, { newsletters: ['daily', 'weekly'] });
    const weekly = (await query<{ id: number }>(app, 'SELECT id FROM newsletters WHERE slug = $1', ['weekly']))[0]!;
    // The same keys as the service: the links an edition's footer carries.
    const links = new SignedLinks(app.config.SECRET_KEY!, app.config.PUBLIC_URL);
    expect((await request(app.url).post(relative(links.url('unsubscribe', reader!.id, weekly.id))).type('form').send({})).status).toBeLessThan(400);
    expect((await request(app.url).post(relative(links.url('unsubscribe', reader!.id))).type('form').send({})).status).toBeLessThan(400);
    const hooks = await receiver.waitFor(2, 'subscriber.unsubscribed');
    const data = hooks.map((h) => JSON.parse(h.body).data).sort((a, b) => String(a.newsletter).localeCompare(String(b.newsletter)));
    expect(data).toEqual([
      { subscriber: { id: reader!.id, email: reader!.email }, newsletter: null },
      { subscriber: { id: reader!.id, email: reader!.email }, newsletter: 'weekly' },
    ]);
    // Erased, the reader's events (their address is in them) go too.
    await request(app.url).delete(`/api/admin/subscribers/${reader!.id}`).set(adminAuth).expect(200);
    expect(await query(app, 'SELECT id FROM webhook_events WHERE subscriber_id = $1', [reader!.id])).toEqual([]);
  });

  test('when an edition completes, then edition.sent is sent once, with its counts', async () => {
    await fx.subscribers(2);
    await fx.article({ title: 'Webhook edition story' });
    const sent = await request(app.url).post('/api/admin/digests').set(adminAuth).send({ newsletter: 'daily' });
    await fx.waitUntilSettled(sent.body.digest.id);
    const [hook] = await receiver.waitFor(1, 'edition.sent');
    expect(JSON.parse(hook!.body).data).toMatchObject({ edition: { id: sent.body.digest.id, newsletter: 'daily', kind: 'digest' }, deliveries: { failed: 0, skipped: 0 } });
    // Completed again (as after Retry failed), it is not announced again.
    await query(app, `UPDATE digests SET status = 'sending', completed_at = NULL WHERE id = $1`, [sent.body.digest.id]);
    await fx.waitUntilSettled(sent.body.digest.id);
    await new Promise((r) => setTimeout(r, 2500));
    expect(receiver.of('edition.sent')).toHaveLength(1);
  }, 30_000);

  test('when a change rolls back, then its event is not recorded; when it commits, the one-line call delivers it', async () => {
    const recorder = new EventRecorder({ clock: systemClock });
    const event = { type: 'delivery.bounced' as const, data: { subscriber: { id: 1, email: 'gone@example.test' }, bounce: 'hard' } };
    await expect(withTransaction(fx.pool, async (tx) => {
      await recorder.record(tx, event);
      throw new Error('the change failed');
    })).rejects.toThrow('the change failed');
    expect(await query(app, `SELECT id FROM webhook_events WHERE type = 'delivery.bounced'`)).toEqual([]);

    await withTransaction(fx.pool, (tx) => recorder.record(tx, event));
    const [hook] = await receiver.waitFor(1, 'delivery.bounced');
    expect(JSON.parse(hook!.body).data).toEqual(event.data);
  });

  test('when the relay reports a hard bounce and a complaint, then delivery.bounced and delivery.complained name the reader and the edition', async () => {
    const [bounced, complainer] = await fx.subscribers(2, { prefix: 'relay-' });
    await fx.article({ title: 'Relay story', publishedAt: app.clock.now() });
    app.clock.skip(60_000);
    const sent = await request(app.url).post('/api/admin/digests').set(adminAuth).send({ newsletter: 'daily' });
    await fx.waitUntilSettled(sent.body.digest.id);
    const messageId = app.smtp.to(bounced!.email)[0]!.parsed.messageId!;
    expect((await postGeneric(app.url, { email: bounced!.email, type: 'hard', messageId, reason: '550 5.1.1' })).status).toBe(200);
    expect((await postGeneric(app.url, { email: complainer!.email, type: 'complaint' })).status).toBe(200);

    const [bounce] = await receiver.waitFor(1, 'delivery.bounced');
    expect(JSON.parse(bounce!.body).data).toEqual({
      subscriber: { id: bounced!.id, email: bounced!.email },
      bounce: 'hard',
      provider: 'generic',
      edition: { id: sent.body.digest.id, newsletter: 'daily' },
      suppressed: true,
    });
    const [complaint] = await receiver.waitFor(1, 'delivery.complained');
    expect(JSON.parse(complaint!.body).data).toEqual({ subscriber: { id: complainer!.id, email: complainer!.email }, provider: 'generic', edition: null, suppressed: true });
    expect(verifiesAsDocumented(secret, complaint!)).toBe(true);
  }, 30_000);

  async function waitForDelivery(eventId: string, status: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const [row] = await query<{ status: string }>(app, 'SELECT status FROM webhook_deliveries WHERE event_id = $1', [eventId]);
      if (row?.status === status) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`delivery ${eventId} never became ${status}`);
  }
});
