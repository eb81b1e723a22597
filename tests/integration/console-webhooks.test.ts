import { type ConsoleClient, type Newsroom, openNewsroom } from '../helpers/console-client';
import type { TestBulletin } from '../helpers/test-bulletin';
import { WebhookReceiver } from '../helpers/webhook-receiver';
import { confirmThroughLink, linkIn, query, submitSignup, uniqueEmail, waitForMail } from './subscription-test-kit';

describe('the console\'s webhooks', () => {
  let app: TestBulletin;
  let admin: ConsoleClient;
  let newsroom: Newsroom;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    ({ app, admin } = newsroom = await openNewsroom({ env: { WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_SECONDS: '1' } }));
    receiver = await new WebhookReceiver().start();
  }, 60_000);
  afterAll(async () => {
    await receiver?.stop();
    await newsroom?.stop();
  });

  const webhookIds = async () => (await query<{ id: number }>(app, 'SELECT id FROM webhooks ORDER BY id')).map((r) => r.id);

  test('when an admin adds a webhook, then its secret is shown once, a confirmation reaches it, and its page lists the delivery', async () => {
    await admin.get('/admin/webhooks');
    const added = await admin.post('/admin/webhooks', { url: receiver.url, events: 'subscriber.confirmed' });
    expect(added.status).toBe(200);
    const secret = /id="new-secret" type="text" readonly value="(whsec_[A-Za-z0-9+/=]+)"/.exec(added.text)?.[1];
    expect(secret).toBeDefined();
    const list = await admin.get('/admin/webhooks');
    expect(list.text).toContain(receiver.url);
    expect(list.text).not.toContain(secret!);

    const email = uniqueEmail();
    await submitSignup(app, { email }).expect(200);
    expect((await confirmThroughLink(app, linkIn(await waitForMail(app, email, /confirm/i), '/confirm'))).status).toBe(200);
    const [hook] = await receiver.waitFor(1, 'subscriber.confirmed');
    expect(JSON.parse(hook!.body).data.subscriber.email).toBe(email);

    const [id] = await webhookIds();
    let page = await admin.get(`/admin/webhooks/${id}`);
    for (let i = 0; i < 50 && !page.text.includes('>delivered<'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      page = await admin.get(`/admin/webhooks/${id}`);
    }
    expect(page.text).toContain('<code>subscriber.confirmed</code>');
    expect(page.text).toContain('>delivered<');
  });

  test('when the URL or the events are missing or wrong, then 400 names the field, keeps the values and adds nothing', async () => {
    const before = await webhookIds();
    await admin.get('/admin/webhooks');
    const noEvents = await admin.post('/admin/webhooks', { url: 'https://crm.example/hooks' });
    expect(noEvents.status).toBe(400);
    expect(noEvents.text).toContain('id="webhook-events-error"');
    expect(noEvents.text).toContain('value="https://crm.example/hooks"');
    const badUrl = await admin.post('/admin/webhooks', { url: 'ftp://crm.example/hooks', events: 'edition.sent' });
    expect(badUrl.status).toBe(400);
    expect(badUrl.text).toContain('id="webhook-url-error"');
    expect(badUrl.text).toMatch(/value="edition\.sent" checked/);
    const unknownEvent = await admin.post('/admin/webhooks', { url: 'https://crm.example/hooks', events: 'reader.teleported' });
    expect([unknownEvent.status, unknownEvent.text.includes('id="webhook-events-error"')]).toEqual([400, true]);
    expect(await webhookIds()).toEqual(before);
  });

  test('when an admin deletes a webhook, then it is gone and the audit log says who', async () => {
    const [id] = await webhookIds();
    await admin.get(`/admin/webhooks/${id}`);
    const res = await admin.post(`/admin/webhooks/${id}/delete`);
    expect([res.status, res.headers.location]).toEqual([303, '/admin/webhooks']);
    expect((await admin.get('/admin/webhooks')).text).toContain('The webhook is deleted');
    expect(await webhookIds()).not.toContain(id);
    expect(await query(app, `SELECT actor_label FROM audit_log WHERE action = 'webhook_deleted'`)).toEqual([{ actor_label: 'chief@news.example' }]);
    expect((await admin.get(`/admin/webhooks/${id}`)).status).toBe(404);
  });
});
