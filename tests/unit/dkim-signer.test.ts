import crypto from 'node:crypto';
import DKIM from 'nodemailer/lib/dkim';
import { DkimSigner, SIGNED_HEADER_FIELDS, relaxedBodyHash } from '../../src/mail/dkim-signer';
import { PreparedDigestMime, newsletterMimeSettings } from '../../src/mail/digest-mime';
import { DkimTestKey } from '../helpers/dkim-verifier';

/**
 * Bulletin's own DKIM signer, checked by an independent verifier (mailauth, strict) and, for the
 * body's canonical form, against nodemailer's signer, which it replaces for editions.
 */

const key = new DkimTestKey('example.test', 'bulletin');
const signer = new DkimSigner({ domainName: key.domain, keySelector: key.selector, privateKey: key.privateKeyPem });

function digestCopy(to = 'reader@example.test'): Buffer {
  const settings = newsletterMimeSettings(
    {
      from: 'The Courier <news@example.test>',
      listId: 'courier.example.test',
      replyTo: 'Letters desk <letters@example.test>',
      unsubscribeMailto: 'unsubscribe@example.test',
      feedbackSenderId: 'courier',
    },
    { slug: 'daily', name: 'Daily Brief – the morning’s news', fromName: 'The Courier, Daily', replyTo: null },
    42,
  );
  const mime = new PreparedDigestMime(settings, {
    subject: 'Council approves the riverside tram line – and what it means for the east bank, the traders and you',
    html: '<p>Story one</p><p><a href="%%unsubscribeUrl%%">Unsubscribe</a></p>',
    text: 'Story one\n\nUnsubscribe: %%unsubscribeUrl%%\n',
  });
  const unsubscribe = `http://127.0.0.1:3000/unsubscribe?s=7.${'A'.repeat(43)}`;
  return mime.fill({ to, values: { unsubscribeUrl: unsubscribe }, listUnsubscribe: unsubscribe, messageIdLocalPart: 'd42.7' }).raw;
}

/** A hand-made message: the given header lines and body, CRLF line breaks. */
function message(headers: string[], body: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${headers.join('\r\n')}\r\n\r\n`, 'utf8'), typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
}

const basicHeaders = ['From: News <news@example.test>', 'To: reader@example.test', 'Subject: Hello', 'Date: Sun, 29 Nov 2026 10:00:00 +0000', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'];

async function results(signed: Buffer) {
  return (await key.verify(signed)).map((r) => r.result);
}

function tagOf(signed: Buffer, tag: string): string {
  const field = signed.toString('latin1').split(/\r\n(?![ \t])/)[0]!.replace(/\r\n[ \t]+/g, '');
  return new RegExp(`(?:^|;)\\s*${tag}=([^;]*)`).exec(field.slice(field.indexOf(':') + 1))?.[1]?.trim() ?? '';
}

/** nodemailer's signature of the same message (the signer editions used before). */
async function nodemailerSigned(raw: Buffer): Promise<Buffer> {
  const stream = new DKIM({ domainName: key.domain, keySelector: key.selector, privateKey: key.privateKeyPem }).sign(raw);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The same sequence every run (a failure names its body), spread over 0..n-1. */
function seededRandom(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
}

describe('DKIM signer', () => {
  test('when an edition copy is signed, then the verifier passes it with the public key from DNS', async () => {
    const signed = await signer.sign(digestCopy());
    const [verdict, ...more] = await key.verify(signed);
    expect(more).toEqual([]);
    expect(verdict!.result).toBe('pass');
    expect(key.lookups).toContain('TXT bulletin._domainkey.example.test');
    expect(tagOf(signed, 'a')).toBe('rsa-sha256');
    expect(tagOf(signed, 'c')).toBe('relaxed/relaxed');
    expect(tagOf(signed, 'd')).toBe('example.test');
    expect(tagOf(signed, 's')).toBe('bulletin');
    expect(tagOf(signed, 'h').split(':')).toEqual([
      'from', 'reply-to', 'subject', 'date', 'message-id', 'to', 'mime-version', 'content-type',
      'list-id', 'list-unsubscribe', 'list-unsubscribe-post', 'feedback-id',
    ]);
  });

  test('when nodemailer signs the same copy, then the body hash is the same and every field it signs is signed too', async () => {
    const raw = digestCopy();
    const ours = await signer.sign(raw);
    const theirs = await nodemailerSigned(raw);
    expect(tagOf(ours, 'bh')).toBe(tagOf(theirs, 'bh'));
    const theirFields = tagOf(theirs, 'h').toLowerCase().split(':');
    expect(tagOf(ours, 'h').split(':')).toEqual([...theirFields, 'feedback-id']);
    expect(await results(theirs)).toEqual(['pass']);
  });

  test('when a signed header or the body is changed on the way, then the signature no longer verifies', async () => {
    const signed = (await signer.sign(digestCopy())).toString('latin1');
    expect(await results(Buffer.from(signed, 'latin1'))).toEqual(['pass']);
    const otherReader = signed.replace('To: reader@example.test', 'To: someone@example.test');
    expect(await results(Buffer.from(otherReader, 'latin1'))).not.toContain('pass');
    const unsubscribe = signed.replace('http://127.0.0.1:3000/unsubscribe', 'https://elsewhere.test/unsubscribe');
    expect(unsubscribe).not.toBe(signed);
    expect(await results(Buffer.from(unsubscribe, 'latin1'))).not.toContain('pass');
    // One base64 character of the text part changed.
    const at = signed.indexOf('base64\r\n\r\n') + 10;
    const body = signed.slice(0, at) + (signed[at] === 'A' ? 'B' : 'A') + signed.slice(at + 1);
    expect(await results(Buffer.from(body, 'latin1'))).not.toContain('pass');
    // An unsigned field added is allowed: the verdict is still pass.
    expect(await results(Buffer.from(signed.replace('MIME-Version', 'X-Mailer: x\r\nMIME-Version'), 'latin1'))).toEqual(['pass']);
  });

  test('when the body has trailing spaces, tabs, runs of blanks and empty lines at the end, then it verifies', async () => {
    for (const body of [
      'Line with trailing spaces   \r\nTabs\tinside\t\tand  double  spaces\t \r\n \t \r\nend\r\n\r\n\r\n',
      'No final line break  ',
      '\r\n\r\n\r\n',
      '',
      ' \tleading blanks\r\n\r\nafter an empty line\r\n',
    ]) {
      expect(await results(await signer.sign(message(basicHeaders, body)))).toEqual(['pass']);
    }
  });

  test('when the body and the headers carry 8-bit text, then it verifies', async () => {
    const headers = [...basicHeaders.slice(0, 2), 'Subject: Grüße aus Köln – 8-bit, unencoded', ...basicHeaders.slice(3)];
    const body = 'Grüße,\r\nça va ? Ünïcödé   spaces\t\r\n😀 emoji line\r\n';
    expect(await results(await signer.sign(message(headers, body)))).toEqual(['pass']);
    expect(await results(await signer.sign(message(basicHeaders, Buffer.from([0x61, 0xe9, 0x20, 0x20, 0xff, 0x0d, 0x0a]))))).toEqual(['pass']);
  });

  test('when headers are long and folded, with odd whitespace and repeated fields, then it verifies', async () => {
    const headers = [
      'From: News <news@example.test>',
      `To: ${Array.from({ length: 30 }, (_, i) => `reader${i}@example.test`).join(',\r\n\t')}`,
      'Subject:   spaced\t\tout   \r\n   and folded   ',
      'subject: a second Subject (the last one is signed)',
      'Date: Sun, 29 Nov 2026 10:00:00 +0000',
      'MESSAGE-ID  : <odd-case@example.test>',
      `List-Unsubscribe: <https://news.example.test/unsubscribe?s=${'x'.repeat(200)}>,\r\n <mailto:u@example.test>`,
    ];
    const signed = await signer.sign(message(headers, 'Body\r\n'));
    expect(await results(signed)).toEqual(['pass']);
    expect(tagOf(signed, 'h')).toBe('from:subject:date:message-id:to:list-unsubscribe');
  });

  test('when bodies mix blanks, bare CR and LF at random, then the body hash is nodemailer\'s', async () => {
    const alphabet = [' ', '\t', '\r', '\n', '\r\n', 'a', 'é', '  ', '\r\n\r\n'];
    const random = seededRandom(7);
    for (let i = 0; i < 300; i++) {
      const body = Array.from({ length: random(40) }, () => alphabet[random(alphabet.length)]).join('');
      const raw = message(basicHeaders, body);
      const theirs = tagOf(await nodemailerSigned(raw), 'bh');
      expect([JSON.stringify(body), relaxedBodyHash(Buffer.from(body, 'utf8'))]).toEqual([JSON.stringify(body), theirs]);
    }
  });

  test('when the caller vouches for CRLF-only line breaks, then the quicker body check gives the same hash', async () => {
    const alphabet = [' ', '\t', '\r\n', 'a', 'é', '  ', '\r\n\r\n', ' \r\n'];
    const random = seededRandom(11);
    for (let i = 0; i < 300; i++) {
      const body = Buffer.from(Array.from({ length: random(30) }, () => alphabet[random(alphabet.length)]).join(''), 'utf8');
      expect([JSON.stringify(body.toString()), relaxedBodyHash(body, true)]).toEqual([JSON.stringify(body.toString()), relaxedBodyHash(body)]);
    }
    const raw = digestCopy();
    expect(await results(await signer.sign(raw, { crlfOnly: true }))).toEqual(['pass']);
  });

  test('when a copy is signed, then the input is left as it was and the signature field comes first', async () => {
    const raw = digestCopy();
    const before = Buffer.from(raw);
    const signed = await signer.sign(raw);
    expect(raw.equals(before)).toBe(true);
    expect(signed.subarray(signed.length - raw.length).equals(raw)).toBe(true);
    expect(signed.toString('latin1')).toMatch(/^DKIM-Signature: v=1; /);
    const field = signed.toString('latin1').split(/\r\n(?![ \t])/)[0]!;
    expect(field.split('\r\n').filter((line) => line.length > 78)).toEqual([]);
  });

  test('when the key is not a usable RSA private key, then the signer refuses to start', () => {
    const settings = { domainName: 'example.test', keySelector: 'bulletin' };
    expect(() => new DkimSigner({ ...settings, privateKey: 'not a key' })).toThrow(/not a private key in PEM/);
    const ed25519 = crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => new DkimSigner({ ...settings, privateKey: ed25519 })).toThrow(/must be an RSA key/);
    const short = crypto.generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => new DkimSigner({ ...settings, privateKey: short })).toThrow(/512 bits/);
    expect(SIGNED_HEADER_FIELDS).toContain('list-unsubscribe-post');
  });
});
