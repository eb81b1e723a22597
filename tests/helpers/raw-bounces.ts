import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import request from 'supertest';
import { rawSignature } from '../../src/bounces/providers/raw';

export const RAW_SECRET = 'raw-bounce-secret-0123456789abcdef0123';

export interface FixtureValues {
  /** The reader's address, as the receiving MTA names it. */
  recipient?: string;
  /** The envelope sender the original went out with (VERP or plain), to which the report came. */
  verp?: string;
  /** The original's Message-ID, with angle brackets. */
  originalMessageId?: string;
  /** The report's own Message-ID (local part); a fresh one per call unless given. */
  dsnId?: string;
}

/** A message from tests/fixtures/bounces, its placeholders filled. */
export function bounceFixture(name: string, v: FixtureValues = {}): string {
  const text = fs.readFileSync(path.join(__dirname, '../fixtures/bounces', name), 'utf8');
  const recipient = v.recipient ?? 'reader@example.org';
  return text
    .replaceAll('{{RECIPIENT_LOCAL}}', recipient.split('@')[0]!)
    .replaceAll('{{RECIPIENT}}', recipient)
    .replaceAll('{{VERP}}', v.verp ?? 'newsletter@news.example')
    .replaceAll('{{ORIGINAL_MESSAGE_ID}}', v.originalMessageId ?? '<f3c1d2e0-unrelated@news.example>')
    .replaceAll('{{DSN_ID}}', v.dsnId ?? crypto.randomUUID());
}

/** POSTs a whole message to the raw door, signed as scripts/bounce-pipe.sh signs it. */
export function postRaw(url: string, message: string, opts: { secret?: string; timestamp?: number; envelopeTo?: string } = {}) {
  const ts = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const envelopeTo = opts.envelopeTo ?? '';
  const req = request(url)
    .post('/webhooks/bounces/raw')
    .set('Content-Type', 'message/rfc822')
    .set('X-Bulletin-Timestamp', ts)
    .set('X-Bulletin-Signature', rawSignature(opts.secret ?? RAW_SECRET, ts, envelopeTo, message));
  if (envelopeTo) req.set('X-Bulletin-Envelope-To', envelopeTo);
  return req.send(message);
}
