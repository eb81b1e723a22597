import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { SmtpFailure } from '../../src/mail/mailer';
import { PreparedDigestMime } from '../../src/mail/digest-mime';
import { RawSmtpPool } from '../../src/mail/raw-smtp-pool';
import { isSmtpClean, smtpData as smtpDataPieces } from '../../src/mail/smtp-data';

const smtpData = (message: Buffer) => Buffer.concat(smtpDataPieces(message));
import { createLogger } from '../../src/shared/logger';
import { SmtpCapture } from '../helpers/smtp-capture';

const logger = createLogger('silent');

const from = 'news@bulletin.test';

function message(to: string, body: string): Buffer {
  return Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: Pool\r\nMessage-ID: <${to}>\r\n\r\n${body}`);
}

/** A real SMTP peer that remembers which connection (client port) carried each message. */
async function recordingServer(holdUntilConcurrent = 0) {
  return startRecordingServer({ holdUntilConcurrent });
}

async function startRecordingServer({ holdUntilConcurrent = 0, closeTimeout }: { holdUntilConcurrent?: number; closeTimeout?: number }) {
  const ports: number[] = [];
  let held: Array<() => void> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    ...(closeTimeout ? { closeTimeout } : {}),
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        ports.push(session.remotePort);
        if (!holdUntilConcurrent) return callback();
        // Answers only once this many messages are in DATA at the same time, on different sessions.
        held.push(() => callback());
        if (held.length >= holdUntilConcurrent) held.splice(0).forEach((release) => release());
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return { url, ports, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('the raw SMTP pool', () => {
  let smtp: SmtpCapture;
  let pool: RawSmtpPool;
  beforeAll(async () => {
    smtp = await new SmtpCapture().start();
    pool = new RawSmtpPool({ url: smtp.url, maxConnections: 3, ratePerSecond: 0, logger });
  });
  afterAll(async () => {
    await pool.close();
    await smtp.stop();
  });
  afterEach(() => {
    smtp.reject = () => undefined;
  });

  test('when messages are sent, then they arrive intact, lines starting with a dot included', async () => {
    const body = '.a line that starts with a dot\r\n..two dots\r\nmiddle . dot\r\n.\r\nlast line\r\n';
    const raw = message('dots@example.com', body);
    const response = await pool.send({ from, to: 'dots@example.com' }, raw);
    expect(response).toMatch(/^250/);
    const mail = await smtp.waitFor((m) => m.to.includes('dots@example.com'));
    expect(mail.raw).toBe(raw.toString('utf8'));
  });

  test('when many messages are sent at once, then every one arrives to its own recipient', async () => {
    const to = Array.from({ length: 30 }, (_, i) => `many${i}@example.com`);
    await Promise.all(to.map((rcpt) => pool.send({ from, to: rcpt }, message(rcpt, `Hello ${rcpt}\r\n`))));
    for (const rcpt of to) {
      const mail = await smtp.waitFor((m) => m.to.includes(rcpt));
      expect(mail.to).toEqual([rcpt]);
      expect(mail.parsed.text?.trim()).toBe(`Hello ${rcpt}`);
    }
  });

  test('when the server answers 451, then the error is transient and carries the responseCode', async () => {
    smtp.reject = (rcpt) => (rcpt === 'soft@example.com' ? 451 : undefined);
    const err = await pool.send({ from, to: 'soft@example.com' }, message('soft@example.com', 'x\r\n')).catch((e: unknown) => e);
    expect(err).toMatchObject({ responseCode: 451 });
    expect(err).toBeInstanceOf(SmtpFailure);
    expect(err).toMatchObject({ kind: 'transient' });
  });

  test('when the server answers 550, then the error is permanent and the connection goes on sending', async () => {
    smtp.reject = (rcpt) => (rcpt === 'hard@example.com' ? 550 : undefined);
    const err = await pool.send({ from, to: 'hard@example.com' }, message('hard@example.com', 'x\r\n')).catch((e: unknown) => e);
    expect(err).toMatchObject({ responseCode: 550 });
    expect(err).toBeInstanceOf(SmtpFailure);
    expect(err).toMatchObject({ kind: 'permanent' });
    await pool.send({ from, to: 'after-hard@example.com' }, message('after-hard@example.com', 'still here\r\n'));
    await smtp.waitFor((m) => m.to.includes('after-hard@example.com'));
  });
});

describe('the raw SMTP pool and its connections', () => {
  test('when the server is down, then the error has no responseCode; when it is back, then sends resume', async () => {
    // Hangs up on idle clients soon after closing (with a 421), as a server going down would.
    const first = await startRecordingServer({ closeTimeout: 50 });
    const port = Number(new URL(first.url).port);
    const pool = new RawSmtpPool({ url: first.url, maxConnections: 2, ratePerSecond: 0, logger });
    let back: SmtpCapture | undefined;
    try {
      await pool.send({ from, to: 'before@example.com' }, message('before@example.com', 'before\r\n'));
      await first.stop();
      const err = await pool.send({ from, to: 'down@example.com' }, message('down@example.com', 'down\r\n')).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: expect.stringMatching(/^E[A-Z]+$/) });
      expect((err as { responseCode?: unknown }).responseCode).toBeUndefined();
      expect(err).toBeInstanceOf(SmtpFailure);
      expect(err).toMatchObject({ kind: 'unreachable' });

      back = await new SmtpCapture().start(port);
      await pool.send({ from, to: 'back@example.com' }, message('back@example.com', 'back\r\n'));
      const mail = await back.waitFor((m) => m.to.includes('back@example.com'));
      expect(mail.parsed.text?.trim()).toBe('back');
    } finally {
      await pool.close();
      await back?.stop();
    }
  });

  test('when several messages are in flight, then they go over several connections at the same time', async () => {
    // The server holds every reply until 3 messages are in DATA at once: only concurrent
    // connections can get any of them accepted.
    const server = await recordingServer(3);
    const pool = new RawSmtpPool({ url: server.url, maxConnections: 3, ratePerSecond: 0, logger });
    try {
      const to = ['c1@example.com', 'c2@example.com', 'c3@example.com'];
      await Promise.all(to.map((rcpt) => pool.send({ from, to: rcpt }, message(rcpt, 'concurrent\r\n'))));
      expect(new Set(server.ports).size).toBe(3);
    } finally {
      await pool.close();
      await server.stop();
    }
  });

  test('when more messages wait than connections are allowed, then no more connections are opened', async () => {
    const server = await recordingServer();
    const pool = new RawSmtpPool({ url: server.url, maxConnections: 2, ratePerSecond: 0, logger });
    try {
      const to = Array.from({ length: 12 }, (_, i) => `limit${i}@example.com`);
      await Promise.all(to.map((rcpt) => pool.send({ from, to: rcpt }, message(rcpt, 'limit\r\n'))));
      expect(server.ports).toHaveLength(12);
      expect(new Set(server.ports).size).toBeLessThanOrEqual(2);
    } finally {
      await pool.close();
      await server.stop();
    }
  });

  test('when a connection has sent its share of messages, then a new one takes over', async () => {
    const server = await recordingServer();
    const pool = new RawSmtpPool({ url: server.url, maxConnections: 1, ratePerSecond: 0, maxMessagesPerConnection: 2, logger });
    try {
      for (let i = 0; i < 5; i++) await pool.send({ from, to: `r${i}@example.com` }, message(`r${i}@example.com`, 'rotate\r\n'));
      expect(new Set(server.ports).size).toBe(3);
    } finally {
      await pool.close();
      await server.stop();
    }
  });

  test('when the pool closes, then sends already started finish first', async () => {
    const server = await recordingServer();
    const pool = new RawSmtpPool({ url: server.url, maxConnections: 2, ratePerSecond: 0, logger });
    const settled: string[] = [];
    const sends = ['a', 'b', 'c'].map((name) =>
      pool.send({ from, to: `${name}@example.com` }, message(`${name}@example.com`, 'closing\r\n')).then(() => settled.push(name)),
    );
    await pool.close();
    expect(settled.sort()).toEqual(['a', 'b', 'c']);
    await Promise.all(sends);
    await server.stop();
  });
});

describe('the DATA payload', () => {
  test('when a message has dots at line starts and bare line breaks, then it is escaped like nodemailer does', () => {
    expect(smtpData(Buffer.from('.a\r\nb\r\n')).toString()).toBe('..a\r\nb\r\n.\r\n');
    expect(smtpData(Buffer.from('a\nb\r.c')).toString()).toBe('a\r\nb\r\n..c\r\n.\r\n');
    expect(smtpData(Buffer.from('a\r\n.\r\nb')).toString()).toBe('a\r\n..\r\nb\r\n.\r\n');
    expect(smtpData(Buffer.from('ends with cr\r')).toString()).toBe('ends with cr\r\n.\r\n');
  });

  test('when a digest copy is filled, then it needs no escaping, however its content looks', () => {
    const prepared = new PreparedDigestMime(
      { from: 'News\r\n.Bcc: x <news@bulletin.test>', listId: 'news.bulletin.test', unsubscribeMailto: 'leave@bulletin.test' },
      { subject: 'Dots\r\n.and\nbreaks', html: '<p>\n.dot</p>\r\n.\r\n%%unsubscribeUrl%%', text: '.\n.\r\n%%preferencesUrl%%\r' },
    );
    const { raw } = prepared.fill({ to: 'a@example.com\r\n.', values: { unsubscribeUrl: 'https://x.test/u\r\n.', preferencesUrl: '\n.' }, listUnsubscribe: 'https://x.test/u\r\n.' });
    expect(isSmtpClean(raw)).toBe(true);
  });
});
