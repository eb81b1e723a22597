import crypto from 'node:crypto';

/**
 * Signing as the Standard Webhooks specification (1.0) says, so a receiver can verify with its
 * official libraries (`standardwebhooks` on npm, PyPI...) or the dozen lines in docs/webhooks.md:
 * - the secret is `whsec_` + base64 of 32 random bytes; the HMAC key is those bytes;
 * - the signed content is `<webhook-id>.<webhook-timestamp>.<body>`, HMAC-SHA256, base64;
 * - `webhook-signature` is `v1,<signature>` (a space-separated list, room for a rotated secret).
 */

const PREFIX = 'whsec_';

export function newWebhookSecret(): string {
  return PREFIX + crypto.randomBytes(32).toString('base64');
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
}

export function signature(secret: string, id: string, timestamp: number, body: string): string {
  return 'v1,' + crypto.createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
}

/** The three headers of one attempt; the timestamp is the attempt's, so a retry is signed anew. */
export function signedHeaders(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature(secret, id, timestamp, body),
  };
}

/**
 * The receiver's check (docs/webhooks.md shows the same in a receiver): one of the listed v1
 * signatures matches, compared in constant time, and the timestamp is within `toleranceSeconds`
 * of `nowSeconds`, so a captured request cannot be replayed later.
 */
export function verifySignature(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!/^\d+$/.test(headers.timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signature(secret, headers.id, timestamp, body));
  return headers.signature.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
}
