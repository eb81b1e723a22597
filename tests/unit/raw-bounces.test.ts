import type { WebhookRequest } from '../../src/bounces/bounce-report';
import { readArf, readDsn } from '../../src/bounces/providers/dsn-arf';
import { addressIn, findReport, readEntity } from '../../src/bounces/providers/mime-report';
import { parseRaw, rawSignature, verifyRaw } from '../../src/bounces/providers/raw';
import { DeliveryMessageIds } from '../../src/digests/delivery-message-ids';
import { verpAddress } from '../../src/mail/nodemailer-mailer';
import { bounceFixture, type FixtureValues } from '../helpers/raw-bounces';

const ids = new DeliveryMessageIds('unit-secret-key-0123456789abcdef0123456789');
const delivery = { digestId: 42, subscriberId: 7 };
const messageId = `<${ids.localPart(delivery)}@news.example>`;
const verp = `bounces+${ids.bounceTag(delivery)}@news.example`;
const recipient = 'gone@example.org';

const report = (name: string, v: FixtureValues = {}) => findReport(readEntity(bounceFixture(name, { recipient, originalMessageId: messageId, ...v })))!;
const raw = (text: string, headers: Record<string, string> = {}): WebhookRequest => ({ headers, body: Buffer.from(text, 'latin1') });

describe('DSN reading (RFC 3464)', () => {
  test.each([
    ['postfix-user-unknown.eml', 'hard', '550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown in virtual mailbox table'],
    ['exchange-recipient-not-found.eml', 'hard', '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'],
    ['exchange-access-denied.eml', 'hard', expect.stringMatching(/^550 5\.4\.1 Recipient address rejected: Access denied\. AS\(201806281\)/)],
    ['gmail-no-such-user.eml', 'hard', expect.stringMatching(/^550-5\.1\.1 The email account that you tried to reach does not exist/)],
  ])('when %s is read, then its failed recipient is a %s bounce with its diagnostic and the original Message-ID', (name, type, reason) => {
    const read = readDsn(report(name));
    expect(read.recipients).toEqual([{ email: recipient, type, reason }]);
    expect(read.originalMessageId).toBe(messageId);
  });

  test('when Action is delayed, then no recipient is reported (the MTA still tries)', () => {
    const read = readDsn(report('postfix-delayed.eml'));
    expect(read.recipients).toEqual([]);
    expect(read.skipped).toBe('no failed recipient (Action: delayed)');
  });

  test('when a failed Status is 4.x.x, then it is a soft bounce; without a Status a 5xx diagnostic is hard', () => {
    const soft = bounceFixture('postfix-user-unknown.eml', { recipient }).replace('Status: 5.1.1', 'Status: 4.4.7');
    expect(readDsn(findReport(readEntity(soft))!).recipients[0]!.type).toBe('soft');
    const noStatus = bounceFixture('postfix-user-unknown.eml', { recipient }).replace(/^Status: 5\.1\.1\n/m, '');
    expect(readDsn(findReport(readEntity(noStatus))!).recipients[0]!.type).toBe('hard');
  });

  test('when the message has CRLF line ends, then it reads the same', () => {
    const crlf = bounceFixture('exchange-recipient-not-found.eml', { recipient, originalMessageId: messageId }).replace(/\n/g, '\r\n');
    const read = readDsn(findReport(readEntity(crlf))!);
    expect(read.recipients.map((r) => r.type)).toEqual(['hard']);
    expect(read.originalMessageId).toBe(messageId);
  });
});

describe('ARF reading (RFC 5965)', () => {
  test('when a feedback loop reports abuse, then it is a complaint about Original-Rcpt-To, with the original and its envelope sender', () => {
    const read = readArf(report('arf-yahoo-abuse.eml', { verp }));
    expect(read.recipients).toEqual([{ email: recipient, type: 'complaint', reason: 'Feedback-Type: abuse' }]);
    expect(read.originalMessageId).toBe(messageId);
    expect(read.originalMailFrom).toBe(verp);
  });

  test('when the feedback type is not-spam or virus, then it is no complaint', () => {
    for (const type of ['not-spam', 'virus']) {
      const text = bounceFixture('arf-yahoo-abuse.eml', { recipient }).replace('Feedback-Type: abuse', `Feedback-Type: ${type}`);
      expect(readArf(findReport(readEntity(text))!)).toMatchObject({ recipients: [], skipped: `feedback type "${type}" is no complaint` });
    }
  });
});

describe('a raw message to its reports', () => {
  test('when a DSN quotes our signed Message-ID, then its report names that delivery, keyed by the DSN own Message-ID', () => {
    const result = parseRaw(raw(bounceFixture('postfix-user-unknown.eml', { recipient, originalMessageId: messageId, dsnId: 'dsn-1' })), ids);
    expect(result.reports).toEqual([
      expect.objectContaining({ provider: 'raw', eventId: 'dsn:<dsn-1@mx1.news.example>', type: 'hard', email: recipient, delivery }),
    ]);
  });

  test('when only the VERP address names the delivery (envelope, or To: in any case), then it is found', () => {
    const bare = bounceFixture('postfix-verp-only.eml', { recipient });
    expect(parseRaw(raw(bare, { 'x-bulletin-envelope-to': verp }), ids).reports[0]).toMatchObject({ delivery, email: `forwarded-${recipient}` });
    const toHeader = bounceFixture('postfix-verp-only.eml', { recipient, verp: verp.toUpperCase() });
    expect(parseRaw(raw(toHeader), ids).reports[0]).toMatchObject({ delivery });
  });

  test('when nothing signed names a delivery, then it is ignored, whatever address it names', () => {
    const forged = bounceFixture('postfix-user-unknown.eml', { recipient, verp: `bounces+42.7.${'a'.repeat(20)}@news.example`, originalMessageId: '<42.7.AAAAAAAAAAAAAAAAAAAAAA@news.example>' });
    expect(parseRaw(raw(forged), ids)).toEqual({ reports: [], ignored: 'names no delivery of Bulletin (no signed VERP address or Message-ID)' });
  });

  test('when the message is an auto-reply or a delay, then it is ignored with the reason', () => {
    expect(parseRaw(raw(bounceFixture('auto-reply.eml', { verp })), ids)).toEqual({ reports: [], ignored: NOT_A_BOUNCE });
    expect(parseRaw(raw(bounceFixture('postfix-delayed.eml', { verp, originalMessageId: messageId })), ids).ignored).toBe('no failed recipient (Action: delayed)');
  });
});

const NOT_A_BOUNCE = "not a DSN, an ARF or a mail system's plain-text bounce";

describe('plain-text bounces (no DSN)', () => {
  const parsed = (name: string, v: FixtureValues = {}) => parseRaw(raw(bounceFixture(name, { recipient, verp, originalMessageId: messageId, ...v })), ids);

  test.each([
    ['qmail-no-mailbox.eml', 'hard', 'Sorry, no mailbox here by that name. (#5.1.1)'],
    ['qmail-mailbox-full.eml', 'soft', 'Remote host said: 452 4.2.2 Mailbox full'],
    ['exim-plain-user-unknown.eml', 'hard', `550 5.1.1 <${recipient}>: Recipient address rejected: User unknown`],
  ])('when %s arrives, then its recipient is a %s bounce of the delivery its VERP address names, with the line that says why', (name, type, reason) => {
    const { reports } = parsed(name);
    expect(reports).toEqual([expect.objectContaining({ provider: 'raw', type, email: recipient, delivery, reason, messageId })]);
    expect(reports[0]!.eventId).toMatch(/^plain:/);
  });

  test('when a notice has CRLF line ends (a mailbox fetcher), then it reads the same', () => {
    for (const name of ['qmail-no-mailbox.eml', 'exim-plain-user-unknown.eml']) {
      const crlf = bounceFixture(name, { recipient, verp, originalMessageId: messageId }).replace(/\n/g, '\r\n');
      expect(parseRaw(raw(crlf), ids).reports).toEqual([expect.objectContaining({ type: 'hard', email: recipient, delivery, messageId })]);
    }
  });

  test('when a qmail notice comes to another address, then the signed Message-ID in its returned copy names the delivery', () => {
    expect(parsed('qmail-no-mailbox.eml', { verp: 'newsletter@news.example' }).reports).toEqual([expect.objectContaining({ type: 'hard', delivery })]);
  });

  test('when the notice states no code and no permanent error, then the returned copy\'s words (a line opening with 550) do not make it one', () => {
    const vague = bounceFixture('qmail-no-mailbox.eml', { recipient, verp }).replace('This is a permanent error; ', '').replace(' (#5.1.1)', '');
    expect(parseRaw(raw(vague), ids)).toEqual({ reports: [], ignored: 'a plain-text notice that states no failure' });
  });

  test('when a mail system sends a plain delay warning, then it is ignored: it still tries', () => {
    expect(parsed('plain-delayed.eml')).toEqual({ reports: [], ignored: 'a delay notice, no failure' });
  });

  test('when the same text comes from a person (an auto-reply quoting an error), then it is no bounce', () => {
    const fromPerson = bounceFixture('qmail-no-mailbox.eml', { recipient, verp }).replace('From: MAILER-DAEMON@mx.example.org', `From: Reader <${recipient}>`);
    expect(parseRaw(raw(fromPerson), ids)).toEqual({ reports: [], ignored: NOT_A_BOUNCE });
  });

  test('when an IP address in the notice starts like a status (5.9.12.4), then it is not read as one', () => {
    const ip = bounceFixture('qmail-mailbox-full.eml', { recipient, verp }).replace('Remote host said: 452 4.2.2 Mailbox full', 'Connected to 5.9.12.4 but the connection died.');
    expect(parsed('qmail-mailbox-full.eml').reports[0]!.type).toBe('soft');
    // Left: qmail's own "permanent error" sentence: hard, with that sentence as the reason.
    expect(parseRaw(raw(ip), ids).reports).toEqual([expect.objectContaining({ type: 'hard', reason: 'This is a permanent error' })]);
  });
});

describe('hostile input at the raw door (anyone can mail a bounce address)', () => {
  test('when a From or To value is 100,000 characters with no address in it, then it reads as no address (the pattern once backtracked over all of it: 22 s)', () => {
    const long = 'x'.repeat(100_000);
    expect(addressIn(long)).toBeUndefined();
    const message = bounceFixture('qmail-no-mailbox.eml', { recipient, verp }).replace('From: MAILER-DAEMON@mx.example.org', `From: ${long}`).replace(`To: ${verp}`, `To: ${long}`);
    expect(parseRaw(raw(message), ids)).toEqual({ reports: [], ignored: NOT_A_BOUNCE });
  });
});

describe('VERP tags', () => {
  test('when a tag is lower-cased or upper-cased by an MTA, then it still names its delivery; another key or id does not', () => {
    expect(ids.bounceTag(delivery)).toMatch(/^42\.7\.[a-z2-7]{20}$/);
    expect(ids.parseBounceAddress(verp.toUpperCase())).toEqual(delivery);
    expect(ids.parseBounceAddress(`<${verp}>`)).toEqual(delivery);
    expect(ids.parseBounceAddress(verp.replace('+42.7.', '+42.8.'))).toBeUndefined();
    expect(new DeliveryMessageIds('another-secret-0123456789abcdef0123456789').parseBounceAddress(verp)).toBeUndefined();
    expect(new DeliveryMessageIds('new-secret-0123456789abcdef0123456789ab', ['unit-secret-key-0123456789abcdef0123456789']).parseBounceAddress(verp)).toEqual(delivery);
  });
});

describe('VERP addresses', () => {
  test('when the envelope sender already has a +tag, then the delivery tag replaces it (one recipient delimiter, one mailbox)', () => {
    expect(verpAddress('bounces@news.example', '42.7.abc')).toBe('bounces+42.7.abc@news.example');
    expect(verpAddress('bounces+list@news.example', '42.7.abc')).toBe('bounces+42.7.abc@news.example');
  });
});

describe('raw door signature', () => {
  const secret = 'raw-secret-0123456789abcdef0123456789ab';
  const now = new Date('2026-11-30T10:00:00Z');
  const ts = String(now.getTime() / 1000);
  const body = 'From: x\n\nhello';
  test('when the envelope recipient was changed after signing, then 401', () => {
    const headers = { 'x-bulletin-timestamp': ts, 'x-bulletin-signature': rawSignature(secret, ts, verp, body), 'x-bulletin-envelope-to': verp };
    expect(() => verifyRaw(raw(body, headers), secret, now)).not.toThrow();
    expect(() => verifyRaw(raw(body, { ...headers, 'x-bulletin-envelope-to': 'bounces+1.2.x@news.example' }), secret, now)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
    expect(() => verifyRaw(raw(`${body}!`, headers), secret, now)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
  });
});
