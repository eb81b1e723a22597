import { isPublicAddress } from '../../src/events/public-address';
import { MAX_ATTEMPTS, retryDelaySeconds } from '../../src/events/retry-schedule';
import { SecretBox } from '../../src/events/secret-box';
import { newWebhookSecret, signature, signedHeaders, verifySignature } from '../../src/events/webhook-signing';

describe('webhook signatures (Standard Webhooks)', () => {
  // The reference vector of the Standard Webhooks libraries (and Svix's), so a receiver using them verifies ours.
  const vector = {
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    timestamp: 1614265330,
    body: '{"test": 2432232314}',
    signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  };

  test('when the reference vector is signed, then the signature is the reference one', () => {
    expect(signature(vector.secret, vector.id, vector.timestamp, vector.body)).toBe(vector.signature);
  });

  test('when a signed request is verified, then it passes; tampered, late or under another secret, it fails', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const h = signedHeaders(secret, 'evt-1', 1_000_000, '{"a":1}');
    const headers = { id: h['webhook-id']!, timestamp: h['webhook-timestamp']!, signature: h['webhook-signature']! };
    expect(verifySignature(secret, headers, '{"a":1}', 1_000_010)).toBe(true);
    expect(verifySignature(secret, headers, '{"a":2}', 1_000_010)).toBe(false);
    expect(verifySignature(secret, { ...headers, id: 'evt-2' }, '{"a":1}', 1_000_010)).toBe(false);
    expect(verifySignature(secret, headers, '{"a":1}', 1_000_000 + 301)).toBe(false);
    expect(verifySignature(newWebhookSecret(), headers, '{"a":1}', 1_000_010)).toBe(false);
    // One of several signatures (a rotated secret) is enough.
    expect(verifySignature(secret, { ...headers, signature: `v1,AAAA ${headers.signature}` }, '{"a":1}', 1_000_010)).toBe(true);
  });
});

describe('webhook retry schedule', () => {
  test('when attempts fail, then the wait doubles from the base up to 6 hours, and the 12th failure gives up', () => {
    const none = () => 0;
    const waits = Array.from({ length: MAX_ATTEMPTS }, (_, i) => retryDelaySeconds(i + 1, 60, none));
    expect(waits).toEqual([60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600, undefined]);
    const total = (waits as number[]).slice(0, -1).reduce((a, b) => a + b, 0);
    expect(total / 3600).toBeGreaterThan(18);
    expect(total / 3600).toBeLessThan(24);
  });

  test('when the spread is drawn, then a wait grows by at most 10%', () => {
    expect(retryDelaySeconds(1, 60, () => 0.999)).toBe(66);
    expect(retryDelaySeconds(10, 60, () => 0.999)).toBe(Math.round(21600 * 1.0999));
  });
});

describe('public addresses (SSRF)', () => {
  test.each(['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '224.0.0.1', 'not-an-ip'])(
    'when %s is checked, then it is not public',
    (address) => expect(isPublicAddress(address)).toBe(false),
  );

  test.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('when %s is checked, then it is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('sealed webhook secrets', () => {
  test('when a secret is sealed, then only SECRET_KEY (or a previous one) opens it', () => {
    const box = new SecretBox('key-one-0123456789abcdef0123456789');
    const sealed = box.seal('whsec_abc');
    expect(sealed).not.toContain('whsec_abc');
    expect(box.open(sealed)).toBe('whsec_abc');
    expect(new SecretBox('key-two-0123456789abcdef0123456789', ['key-one-0123456789abcdef0123456789']).open(sealed)).toBe('whsec_abc');
    expect(() => new SecretBox('key-two-0123456789abcdef0123456789').open(sealed)).toThrow(/no SECRET_KEY opens/);
  });
});
