import crypto from 'node:crypto';
import request from 'supertest';
import { DigestFixtures } from '../helpers/digest-fixtures';
import { QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';

const POSTMARK = 'postmark-hooks:0123456789abcdef0123';
const MAILGUN_KEY = 'mailgun-signing-key-0123456789abcdef';
const sendgridKeys = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const SENDGRID_PUBLIC = sendgridKeys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

describe('Postmark, Mailgun and SendGrid bounce webhooks', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  beforeAll(async () => {
    app = await startTestBulletin({
      ...QUIET_SCHEDULES,
      BOUNCE_POSTMARK_CREDENTIALS: POSTMARK,
      BOUNCE_MAILGUN_SIGNING_KEY: MAILGUN_KEY,
      BOUNCE_SENDGRID_PUBLIC_KEY: SENDGRID_PUBLIC,
    });
    fx = new DigestFixtures(app.db.url);
  });
  afterAll(async () => {
    await fx.close();
    await app.stop();
  });

  const state = async (id: number) => (await fx.pool.query(`SELECT status::text, suppressed_at FROM subscribers WHERE id = $1`, [id])).rows[0];
  const reportsOf = async (id: number) => (await fx.pool.query(`SELECT type::text FROM bounce_reports WHERE subscriber_id = $1`, [id])).rows;

  describe('Postmark', () => {
    /** Postmark's documented Bounce webhook example, for `email`. */
    const bounce = (email: string, type = 'HardBounce', id = Math.floor(Math.random() * 1e12)) => ({
      RecordType: 'Bounce', MessageStream: 'outbound', ID: id, Type: type, TypeCode: 1, Name: 'Hard bounce', Tag: 'Test',
      MessageID: '883953f4-6105-42a2-a16a-77a8eac79483', Metadata: { a_key: 'a_value' }, ServerID: 23,
      Description: 'The server was unable to deliver your message (ex: unknown user, mailbox not found).',
      Details: 'Test bounce details', Email: email, From: 'sender@example.com', BouncedAt: '2019-11-05T16:33:54.9070259Z',
      DumpAvailable: true, Inactive: true, CanActivate: true, Subject: 'Test subject', Content: 'Test content',
    });
    const complaint = (email: string) => ({
      RecordType: 'SpamComplaint', MessageStream: 'outbound', ID: Math.floor(Math.random() * 1e12), Type: 'SpamComplaint', TypeCode: 512,
      Name: 'Spam complaint', Tag: 'Test', MessageID: '00000000-0000-0000-0000-000000000000', ServerID: 1234, Description: '',
      Details: 'Test spam complaint details', Email: email, From: 'sender@example.com', BouncedAt: '2019-11-05T16:33:54.9070259Z',
      DumpAvailable: true, Inactive: true, CanActivate: false, Subject: 'Test subject', Content: '<Abuse report dump>',
    });
    const post = (body: object | string, auth = POSTMARK) => {
      const [user, password] = auth.split(':');
      return request(app.url).post('/webhooks/bounces/postmark').auth(user!, password!).set('Content-Type', 'application/json')
        .send(typeof body === 'string' ? body : JSON.stringify(body));
    };

    test('when a HardBounce or a SpamComplaint arrives with the credentials, then suppressed, or unsubscribed and suppressed', async () => {
      const [hard, complainer] = await fx.subscribers(2);
      expect((await post(bounce(hard!.email))).body.outcomes).toEqual({ suppressed: 1 });
      expect((await state(hard!.id)).suppressed_at).not.toBeNull();
      expect((await post(complaint(complainer!.email))).body.outcomes).toEqual({ complained: 1 });
      expect(await state(complainer!.id)).toMatchObject({ status: 'unsubscribed' });
    });
    test('when the credentials are wrong or missing, then 401 and nothing changes', async () => {
      const [reader] = await fx.subscribers(1);
      expect((await post(bounce(reader!.email), 'postmark-hooks:wrong-password-0123456')).status).toBe(401);
      expect((await request(app.url).post('/webhooks/bounces/postmark').send(bounce(reader!.email))).status).toBe(401);
      expect(await reportsOf(reader!.id)).toEqual([]);
    });
    test('when the same bounce (same ID) is posted again, then it acts once', async () => {
      const [reader] = await fx.subscribers(1);
      const soft = bounce(reader!.email, 'SoftBounce', 4242);
      expect((await post(soft)).body.outcomes).toEqual({ counted: 1 });
      expect((await post(soft)).body.outcomes).toEqual({ duplicate: 1 });
      expect(await reportsOf(reader!.id)).toEqual([{ type: 'soft' }]);
    });
    test('when the body is not a Postmark record, then 400; a type that is no bounce brings no report', async () => {
      expect((await post('[1,2')).status).toBe(400);
      expect((await post({ RecordType: 'Bounce' })).status).toBe(400);
      const [reader] = await fx.subscribers(1);
      expect((await post(bounce(reader!.email, 'AutoResponder'))).body).toEqual({ reports: 0, outcomes: {} });
    });
  });

  describe('Mailgun', () => {
    const nowSeconds = () => String(Math.floor(app.clock.now().getTime() / 1000));
    const sign = (timestamp: string, token: string) => crypto.createHmac('sha256', MAILGUN_KEY).update(timestamp + token).digest('hex');
    /** Mailgun's documented "failed" (permanent) and "complained" event examples, for `email`. */
    const event = (email: string, eventData: object, opts: { token?: string; timestamp?: string; signature?: string } = {}) => {
      const timestamp = opts.timestamp ?? nowSeconds();
      const token = opts.token ?? crypto.randomBytes(25).toString('hex');
      return {
        signature: { timestamp, token, signature: opts.signature ?? sign(timestamp, token) },
        'event-data': {
          id: crypto.randomBytes(11).toString('base64url'), timestamp: 1521233195.375624, 'log-level': 'error', recipient: email,
          'recipient-domain': 'example.com', envelope: { sender: 'bob@sandbox.mailgun.org', transport: 'smtp', targets: email },
          message: { headers: { to: `Alice <${email}>`, 'message-id': '20130503182626.18666.16540@sandbox.mailgun.org', from: 'Bob <bob@sandbox.mailgun.org>', subject: 'Test' }, attachments: [], size: 111 },
          'user-variables': { 'my-var-1': 'Mailgun Variable #1' }, tags: ['my_tag_1'], campaigns: [],
          ...eventData,
        },
      };
    };
    const failed = (email: string, severity: string, opts = {}) =>
      event(email, { event: 'failed', severity, reason: 'bounce', 'delivery-status': { 'attempt-no': 1, code: 550, message: '', description: '550 5.1.1 No such user' } }, opts);
    const post = (body: object | string) =>
      request(app.url).post('/webhooks/bounces/mailgun').set('Content-Type', 'application/json').send(typeof body === 'string' ? body : JSON.stringify(body));

    test('when a permanent failure and a complaint arrive signed, then suppressed, and unsubscribed', async () => {
      const [hard, complainer] = await fx.subscribers(2);
      expect((await post(failed(hard!.email, 'permanent'))).body.outcomes).toEqual({ suppressed: 1 });
      expect((await post(event(complainer!.email, { event: 'complained' }))).body.outcomes).toEqual({ complained: 1 });
      expect(await state(complainer!.id)).toMatchObject({ status: 'unsubscribed' });
    });
    test('when the signature is not the HMAC of timestamp and token under the key, then 401 and nothing changes', async () => {
      const [reader] = await fx.subscribers(1);
      // The signature of Mailgun's documentation, under a key that is not ours.
      const forged = failed(reader!.email, 'permanent', { timestamp: '1529006854', token: 'a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0', signature: 'd2271d12299f6592d9d44cd9d250f0704e4674c30d79d07c47a66f95ce71cf55' });
      expect((await post(forged)).status).toBe(401);
      expect(await reportsOf(reader!.id)).toEqual([]);
    });
    test('when a token is used again, even with another event, then 401 and nothing changes', async () => {
      const [first, second] = await fx.subscribers(2);
      const token = crypto.randomBytes(25).toString('hex');
      expect((await post(failed(first!.email, 'temporary', { token }))).status).toBe(200);
      expect((await post(failed(second!.email, 'permanent', { token }))).status).toBe(401);
      expect((await state(second!.id)).suppressed_at).toBeNull();
      // An event that needs nothing spends its token too.
      const unused = crypto.randomBytes(25).toString('hex');
      expect((await post(event(first!.email, { event: 'delivered' }, { token: unused }))).body.reports).toBe(0);
      expect((await post(failed(second!.email, 'permanent', { token: unused }))).status).toBe(401);
    });
    test('when the signed timestamp is more than five minutes old, then 401', async () => {
      const [reader] = await fx.subscribers(1);
      const old = String(Math.floor(app.clock.now().getTime() / 1000) - 600);
      expect((await post(failed(reader!.email, 'permanent', { timestamp: old }))).status).toBe(401);
      expect(await reportsOf(reader!.id)).toEqual([]);
    });
    test('when Mailgun retries a message several times, then its temporary failures count as one soft bounce', async () => {
      const [reader] = await fx.subscribers(1);
      for (let i = 0; i < 3; i++) await post(failed(reader!.email, 'temporary'));
      expect(await reportsOf(reader!.id)).toEqual([{ type: 'soft' }]);
      expect((await state(reader!.id)).suppressed_at).toBeNull();
    });
    test('when the body is not a Mailgun webhook, then 400 (or 401 without a signature)', async () => {
      expect((await post('{')).status).toBe(400);
      const token = crypto.randomBytes(25).toString('hex');
      const ts = nowSeconds();
      expect((await post({ signature: { timestamp: ts, token, signature: sign(ts, token) }, 'event-data': { event: 1 } })).status).toBe(400);
      expect((await post({ signature: { timestamp: ts, token: 't', signature: 's' } })).status).toBe(401);
      expect((await post({ 'event-data': { event: 'failed' } })).status).toBe(401);
    });
  });

  describe('SendGrid', () => {
    const sign = (timestamp: string, body: string) =>
      crypto.sign('sha256', Buffer.from(timestamp + body), { key: sendgridKeys.privateKey, dsaEncoding: 'der' }).toString('base64');
    const post = (events: object[] | string, opts: { timestamp?: string; signature?: string; signedBody?: string } = {}) => {
      const body = typeof events === 'string' ? events : JSON.stringify(events);
      const timestamp = opts.timestamp ?? String(Math.floor(app.clock.now().getTime() / 1000));
      return request(app.url).post('/webhooks/bounces/sendgrid').set('Content-Type', 'application/json')
        .set('X-Twilio-Email-Event-Webhook-Timestamp', timestamp)
        .set('X-Twilio-Email-Event-Webhook-Signature', opts.signature ?? sign(timestamp, opts.signedBody ?? body))
        .send(body);
    };
    /** SendGrid's documented event examples (bounce, blocked, dropped, spamreport, delivered), for `email`. */
    const ev = (email: string, event: string, extra: object = {}) => ({
      email, timestamp: 1513299569, 'smtp-id': '<14c5d75ce93.dfd.64b469@ismtpd-555>', event, category: 'cat facts',
      sg_event_id: crypto.randomBytes(16).toString('base64'), sg_message_id: '14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0', ...extra,
    });

    test('when a signed batch arrives, then each event acts: bounce hard, blocked soft, dropped bounced address hard, spamreport complaint', async () => {
      const [bounced, blocked, dropped, complainer, delivered] = await fx.subscribers(5);
      const res = await post([
        ev(bounced!.email, 'bounce', { reason: '500 unknown recipient', status: '5.0.0', type: 'bounce' }),
        ev(blocked!.email, 'bounce', { reason: '550 blocked', status: '5.0.0', type: 'blocked' }),
        ev(dropped!.email, 'dropped', { reason: 'Bounced Address', status: '5.0.0' }),
        ev(complainer!.email, 'spamreport'),
        ev(delivered!.email, 'delivered', { response: '250 OK' }),
      ]);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ reports: 4, outcomes: { suppressed: 2, counted: 1, complained: 1 } });
      expect(await state(complainer!.id)).toMatchObject({ status: 'unsubscribed' });
      expect((await state(blocked!.id)).suppressed_at).toBeNull();
      expect(await reportsOf(delivered!.id)).toEqual([]);
    });
    test('when the body is not what was signed, or the key is another, then 401 and nothing changes', async () => {
      const [reader] = await fx.subscribers(1);
      const events = [ev(reader!.email, 'bounce', { type: 'bounce' })];
      expect((await post(events, { signedBody: JSON.stringify([ev('other@example.test', 'bounce')]) })).status).toBe(401);
      const other = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
      const ts = String(Math.floor(Date.now() / 1000));
      const foreign = crypto.sign('sha256', Buffer.from(ts + JSON.stringify(events)), { key: other, dsaEncoding: 'der' }).toString('base64');
      expect((await post(events, { timestamp: ts, signature: foreign })).status).toBe(401);
      expect(await reportsOf(reader!.id)).toEqual([]);
    });
    test('when a batch is posted again, then each event acts once; signed more than a day ago, 401', async () => {
      const [reader] = await fx.subscribers(1);
      const events = [ev(reader!.email, 'bounce', { type: 'blocked' })];
      expect((await post(events)).body.outcomes).toEqual({ counted: 1 });
      expect((await post(events)).body.outcomes).toEqual({ duplicate: 1 });
      const old = String(Math.floor(app.clock.now().getTime() / 1000) - 25 * 3600);
      expect((await post([ev(reader!.email, 'bounce', { type: 'bounce' })], { timestamp: old })).status).toBe(401);
      expect((await state(reader!.id)).suppressed_at).toBeNull();
    });
    test('when the body is not an array of events, then 400', async () => {
      expect((await post('{"event":"bounce"}')).status).toBe(400);
      expect((await post('not json')).status).toBe(400);
    });
  });

  test('when the generic door has no secret, then it answers 404', async () => {
    expect((await request(app.url).post('/webhooks/bounces').send({ email: 'a@b.test', type: 'hard' })).status).toBe(404);
  });
});
