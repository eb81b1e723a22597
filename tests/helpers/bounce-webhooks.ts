import request from 'supertest';
import { genericSignature } from '../../src/bounces/providers/generic';

export const BOUNCE_SECRET = 'bounce-webhook-secret-0123456789abcdef';

/** POSTs a body to the generic door, signed now (or at `timestamp`) with `secret`. */
export function postGeneric(url: string, body: object | string, opts: { secret?: string; timestamp?: number } = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const ts = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  return request(url)
    .post('/webhooks/bounces')
    .set('Content-Type', 'application/json')
    .set('X-Bulletin-Timestamp', ts)
    .set('X-Bulletin-Signature', genericSignature(opts.secret ?? BOUNCE_SECRET, ts, raw))
    .send(raw);
}
