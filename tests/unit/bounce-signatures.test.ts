import crypto from 'node:crypto';
import { sendGridPublicKey } from '../../src/config';
import type { WebhookRequest } from '../../src/bounces/bounce-report';
import { genericSignature, verifyGeneric } from '../../src/bounces/providers/generic';
import { verifyMailgun } from '../../src/bounces/providers/mailgun';
import { verifyPostmark } from '../../src/bounces/providers/postmark';
import { verifySendGrid } from '../../src/bounces/providers/sendgrid';
import { SnsVerifier } from '../../src/bounces/providers/sns-signature';
import { DeliveryMessageIds } from '../../src/digests/delivery-message-ids';
import { CERT_URL, signSns, snsKeys, snsNotification, TOPIC_ARN } from '../helpers/sns-fixtures';

const request = (body: string | object, headers: Record<string, string> = {}): WebhookRequest => ({
  headers,
  body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
});
const refusal = { code: 'UNAUTHORIZED' };

describe('generic webhook signature', () => {
  const secret = 'generic-secret-0123456789abcdef0123456789';
  const now = new Date('2026-11-30T10:00:00Z');
  const ts = String(now.getTime() / 1000);
  const body = '{"email":"a@b.test","type":"hard"}';
  const signed = (b = body, t = ts, key = secret) =>
    request(b, { 'x-bulletin-timestamp': t, 'x-bulletin-signature': genericSignature(key, t, body) });

  test('when the body is signed with the secret and a current timestamp, then it passes', () => {
    expect(() => verifyGeneric(signed(), secret, now)).not.toThrow();
  });
  test('when the body, the timestamp or the key differ from what was signed, then 401', () => {
    expect(() => verifyGeneric(signed('{"email":"a@b.test","type":"soft"}'), secret, now)).toThrow(expect.objectContaining(refusal));
    expect(() => verifyGeneric(request(body, { 'x-bulletin-timestamp': String(Number(ts) + 1), 'x-bulletin-signature': genericSignature(secret, ts, body) }), secret, now)).toThrow(expect.objectContaining(refusal));
    expect(() => verifyGeneric(signed(body, ts, 'another-secret-0123456789abcdef01234567'), secret, now)).toThrow(expect.objectContaining(refusal));
    expect(() => verifyGeneric(request(body), secret, now)).toThrow(expect.objectContaining(refusal));
  });
  test('when a correctly signed request is more than five minutes old, then it is refused as a replay', () => {
    const old = String(Number(ts) - 301);
    const req = request(body, { 'x-bulletin-timestamp': old, 'x-bulletin-signature': genericSignature(secret, old, body) });
    expect(() => verifyGeneric(req, secret, now)).toThrow(/replay/);
  });
});

describe('SendGrid signed event webhook', () => {
  // The test vector of SendGrid's own library (sendgrid-nodejs, packages/eventwebhook).
  const PUBLIC_KEY = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==';
  const SIGNATURE = 'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=';
  const TIMESTAMP = '1588788367';
  const PAYLOAD = JSON.stringify({ category: 'example_payload', event: 'test_event', message_id: 'message_id' });
  const then = new Date(Number(TIMESTAMP) * 1000 + 60_000);
  const headers = (signature = SIGNATURE, timestamp = TIMESTAMP) => ({
    'x-twilio-email-event-webhook-signature': signature,
    'x-twilio-email-event-webhook-timestamp': timestamp,
  });

  test("when SendGrid's documented example is checked with its key, then it passes", () => {
    expect(() => verifySendGrid(request(PAYLOAD, headers()), sendGridPublicKey(PUBLIC_KEY), then)).not.toThrow();
  });
  test('when the payload, the signature, the timestamp or the key differ, then 401', () => {
    const key = sendGridPublicKey(PUBLIC_KEY);
    const otherKey = sendGridPublicKey('MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==');
    const badSignature = 'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0=';
    expect(() => verifySendGrid(request('payload', headers()), key, then)).toThrow(expect.objectContaining(refusal));
    expect(() => verifySendGrid(request(PAYLOAD, headers(badSignature)), key, then)).toThrow(expect.objectContaining(refusal));
    expect(() => verifySendGrid(request(PAYLOAD, headers(SIGNATURE, '1588788368')), key, then)).toThrow(expect.objectContaining(refusal));
    expect(() => verifySendGrid(request(PAYLOAD, headers('not base64 DER')), key, then)).toThrow(expect.objectContaining(refusal));
    expect(() => verifySendGrid(request(PAYLOAD, headers()), otherKey, then)).toThrow(expect.objectContaining(refusal));
  });
  test('when the signed timestamp is more than a day old, then it is refused as a replay', () => {
    const later = new Date(Number(TIMESTAMP) * 1000 + 25 * 3600_000);
    expect(() => verifySendGrid(request(PAYLOAD, headers()), sendGridPublicKey(PUBLIC_KEY), later)).toThrow(/replay/);
  });
});

describe('Mailgun webhook signature', () => {
  const key = 'mailgun-signing-key-0123456789';
  const now = new Date('2026-11-30T10:00:00Z');
  const body = (timestamp: string, token: string, signature?: string) => ({
    signature: { timestamp, token, signature: signature ?? crypto.createHmac('sha256', key).update(timestamp + token).digest('hex') },
    'event-data': { event: 'failed', id: 'G9Bn5sl1TC6nu79C8C0bwg', severity: 'permanent', recipient: 'alice@example.com' },
  });
  const ts = String(now.getTime() / 1000);

  test('when timestamp and token are signed with the key, then it passes and the token is the nonce', () => {
    const { nonce } = verifyMailgun(request(body(ts, 'a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0')), key, now);
    expect(nonce).toMatchObject({ provider: 'mailgun', value: 'a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0' });
  });
  test('when the signature is not the HMAC of timestamp and token, or missing, then 401', () => {
    expect(() => verifyMailgun(request(body(ts, 'token-1', 'd2271d12299f6592d9d44cd9d250f0704e4674c30d79d07c47a66f95ce71cf55')), key, now)).toThrow(expect.objectContaining(refusal));
    expect(() => verifyMailgun(request({ 'event-data': {} }), key, now)).toThrow(expect.objectContaining(refusal));
  });
  test('when the signed timestamp is more than five minutes old, then it is refused as a replay', () => {
    expect(() => verifyMailgun(request(body(String(Number(ts) - 400), 'token-2')), key, now)).toThrow(/replay/);
  });
});

describe('Postmark Basic credentials', () => {
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  test('when the credentials of the webhook URL are sent, then it passes; others get 401', () => {
    expect(() => verifyPostmark(request('{}', { authorization: basic('postmark:0123456789abcdef') }), 'postmark:0123456789abcdef')).not.toThrow();
    expect(() => verifyPostmark(request('{}', { authorization: basic('postmark:0123456789abcdeX') }), 'postmark:0123456789abcdef')).toThrow(expect.objectContaining(refusal));
    expect(() => verifyPostmark(request('{}'), 'postmark:0123456789abcdef')).toThrow(expect.objectContaining(refusal));
  });
});

describe('SNS message signature', () => {
  const fetched: string[] = [];
  const verifier = new SnsVerifier({ get: async (url) => (fetched.push(url.href), snsKeys().certificatePem), topicArns: [TOPIC_ARN] });
  const check = (fields: object) => verifier.verify(request(fields));

  test('when SNS signs with SignatureVersion 1 (SHA1) or 2 (SHA256), then both pass, the certificate fetched once', async () => {
    await expect(check(snsNotification({ notificationType: 'Bounce' }, { version: '1' }))).resolves.toMatchObject({ Type: 'Notification' });
    await expect(check(snsNotification({ notificationType: 'Bounce' }, { version: '2' }))).resolves.toMatchObject({ Type: 'Notification' });
    await expect(check(signSns({ Type: 'SubscriptionConfirmation', MessageId: 'm', Token: 't', TopicArn: TOPIC_ARN, Message: 'confirm',
      SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t', Timestamp: '2026-11-30T10:00:00.000Z' }))).resolves.toMatchObject({ Type: 'SubscriptionConfirmation' });
    expect(fetched).toEqual([CERT_URL]);
  });
  test('when a signed field is changed, or the signature is of another key, then 401', async () => {
    const signed = snsNotification({ notificationType: 'Bounce' });
    await expect(check({ ...signed, Message: '{"notificationType":"Complaint"}' })).rejects.toMatchObject(refusal);
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    await expect(check(signSns({ ...signed }, '2', privateKey))).rejects.toMatchObject(refusal);
    await expect(check({ ...signed, SignatureVersion: '3' })).rejects.toMatchObject(refusal);
  });
  test('when the certificate URL is not https on sns.<region>.amazonaws.com, then 401 and nothing is fetched', async () => {
    fetched.length = 0;
    for (const certUrl of ['https://sns.us-east-1.amazonaws.com.evil.test/cert.pem', 'http://sns.us-east-1.amazonaws.com/cert.pem',
      'https://evil.test/sns.us-east-1.amazonaws.com/cert.pem', 'https://sns.us-east-1.amazonaws.com:8443/cert.pem', 'https://user@sns.us-east-1.amazonaws.com/c.pem']) {
      await expect(check(snsNotification({}, { certUrl }))).rejects.toMatchObject(refusal);
    }
    expect(fetched).toEqual([]);
  });
  test('when the topic is not one configured, then 401 before any fetch', async () => {
    fetched.length = 0;
    await expect(check(snsNotification({}, { topic: 'arn:aws:sns:us-east-1:999999999999:someone-else' }))).rejects.toMatchObject(refusal);
    expect(fetched).toEqual([]);
  });
});

describe('delivery Message-IDs', () => {
  const ids = new DeliveryMessageIds('test-secret-key-0123456789abcdef0123456789', ['old-secret-key-0123456789abcdef0123456789']);
  test('when a Message-ID was made for a delivery, then it reads back as that delivery, with or without brackets', () => {
    const local = ids.localPart({ digestId: 12, subscriberId: 345 });
    expect(ids.parse(`<${local}@sports.news.test>`)).toEqual({ digestId: 12, subscriberId: 345 });
    expect(ids.parse(`${local}@news.test`)).toEqual({ digestId: 12, subscriberId: 345 });
  });
  test('when the numbers or the signature are changed, or it is another sender\'s, then it names no delivery', () => {
    const local = ids.localPart({ digestId: 12, subscriberId: 345 });
    expect(ids.parse(`<${local.replace('.345.', '.346.')}@news.test>`)).toBeUndefined();
    expect(ids.parse('<0c1e9f0e-5e0a-4c1f-9d3a-6f1f7b1e2a3b@news.test>')).toBeUndefined();
    expect(ids.parse(undefined)).toBeUndefined();
  });
  test('when the key was rotated, then Message-IDs signed with the previous key still read', () => {
    const before = new DeliveryMessageIds('old-secret-key-0123456789abcdef0123456789');
    expect(ids.parse(`<${before.localPart({ digestId: 1, subscriberId: 2 })}@news.test>`)).toEqual({ digestId: 1, subscriberId: 2 });
  });
});
