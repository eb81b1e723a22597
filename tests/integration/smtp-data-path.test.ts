import path from 'node:path';
import { PreparedDigestMime } from '../../src/mail/digest-mime';
import { RawSmtpPool } from '../../src/mail/raw-smtp-pool';
import { PATCHED_NODEMAILER } from '../../src/mail/smtp-takeover';
import { createLogger } from '../../src/shared/logger';
import { SmtpCapture } from '../helpers/smtp-capture';

const from = 'news@bulletin.test';

/** Bodies a digest could carry that DATA must escape, each behind the same headers. */
const bodies: Record<string, string> = {
  dots: '.starts with a dot\r\n..two dots\r\n.\r\nmiddle . dot\r\n',
  terminator: 'x\r\n\r\n.\r\n\r\n.\r\ny\r\n',
  bareBreaks: 'bare\nline\n.feeds\rand\r.returns\r\n',
  eightBit: 'Grüße — naïve ünïcødé 日本語\r\n.ßtarts with a dot\r\n',
  longLine: `${'x'.repeat(100_000)}\r\n.${'y'.repeat(2000)}\r\n`,
};

function message(to: string, body: string): Buffer {
  return Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: Data\r\nMessage-ID: <${to}>\r\n\r\n${body}`);
}

/** What a receiver must get: the message with every line break as CRLF, nothing else changed. */
function received(raw: Buffer): string {
  return raw.toString('utf8').replace(/\r\n|\r|\n/g, '\r\n');
}

/** A pool whose error lines are kept, to see what it says about its DATA step. */
function poolLogging(url: string) {
  const lines: Array<{ level: number; msg: string; nodemailer?: string }> = [];
  const logger = createLogger('warn', { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { pool: new RawSmtpPool({ url, maxConnections: 2, ratePerSecond: 0, logger }), lines };
}

async function sendAll(pool: RawSmtpPool, smtp: SmtpCapture, prefix: string): Promise<void> {
  const names = Object.keys(bodies);
  await Promise.all(names.map((name) => pool.send({ from, to: `${prefix}-${name}@example.com` }, message(`${prefix}-${name}@example.com`, bodies[name] as string))));
  for (const name of names) {
    const to = `${prefix}-${name}@example.com`;
    const mail = await smtp.waitFor((m) => m.to.includes(to));
    expect({ name, raw: mail.raw }).toEqual({ name, raw: received(message(to, bodies[name] as string)) });
  }
}

describe('the DATA step of the raw SMTP pool', () => {
  let smtp: SmtpCapture;
  beforeAll(async () => {
    smtp = await new SmtpCapture().start();
  });
  afterAll(() => smtp.stop());

  test('when messages that need escaping are sent, then the pipelined session carries every one and the server receives them unchanged', async () => {
    const { pool, lines } = poolLogging(smtp.url);
    try {
      expect(pool.dataPath).toBe('fast');
      await sendAll(pool, smtp, 'fast');
      expect(pool.fastDataWrites).toBe(Object.keys(bodies).length);
      expect(pool.dataPath).toBe('fast');
      expect(lines).toEqual([]);
    } finally {
      await pool.close();
    }
  });

  test('when filled digest copies are sent, then the pipelined session carries them and they arrive byte for byte', async () => {
    const prepared = new PreparedDigestMime(
      { from: 'News <news@bulletin.test>', listId: 'news.bulletin.test', unsubscribeMailto: 'leave@bulletin.test' },
      { subject: 'Grüße', html: '<p>\n.dot ü</p>\r\n.\r\n<a href="%%unsubscribeUrl%%">leave</a>', text: '.\n.\r\n%%preferencesUrl%%\r' },
    );
    const { pool, lines } = poolLogging(smtp.url);
    try {
      const to = ['digest-1@example.com', 'digest-2@example.com'];
      const copies = to.map((rcpt) => prepared.fill({ to: rcpt, values: { unsubscribeUrl: `https://x.test/u/${rcpt}`, preferencesUrl: `https://x.test/p/${rcpt}` }, listUnsubscribe: `https://x.test/u/${rcpt}` }).raw);
      await Promise.all(to.map((rcpt, i) => pool.send({ from, to: rcpt }, copies[i] as Buffer)));
      for (const [i, rcpt] of to.entries()) {
        const mail = await smtp.waitFor((m) => m.to.includes(rcpt));
        expect(mail.raw).toBe((copies[i] as Buffer).toString('utf8'));
      }
      expect(pool.fastDataWrites).toBe(2);
      expect(lines).toEqual([]);
    } finally {
      await pool.close();
    }
  });

  test('when the server does not offer PIPELINING, then the pool says so once and sends the same bytes (and takes refusals) through nodemailer', async () => {
    const plain = new SmtpCapture();
    plain.offerPipelining = false;
    await plain.start();
    const { pool, lines } = poolLogging(plain.url);
    plain.reject = (to) => (to.startsWith('refused') ? 550 : undefined);
    try {
      // A refused message leaves the connection usable (nodemailer's client resets it).
      await expect(pool.send({ from, to: 'refused@example.com' }, message('refused@example.com', 'x\r\n'))).rejects.toMatchObject({ kind: 'permanent', responseCode: 550 });
      await sendAll(pool, plain, 'fallback');
      expect(pool.dataPath).toBe('nodemailer');
      expect(pool.fastDataWrites).toBe(0);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 50, nodemailer: PATCHED_NODEMAILER });
      expect(lines[0]?.msg).toMatch(/digests fall back to nodemailer's slower client/);
      expect(lines[0]?.msg).toContain('PIPELINING');
      // The server's doing: nothing to pin on Bulletin's side.
      expect(lines[0]?.msg).not.toContain('pin nodemailer');
    } finally {
      await pool.close();
      await plain.stop();
    }
  });

  test('when the installed nodemailer is another release, then the pool says so once, asks for the pin, and sends the same bytes through nodemailer', async () => {
    // What an upgrade would change first: the version nodemailer reports (read from its package-info).
    const packageInfo = require(path.join(path.dirname(require.resolve('nodemailer/lib/smtp-connection')), '../package-info.js')) as { version: string };
    const proven = packageInfo.version;
    packageInfo.version = '10.7.0';
    const { pool, lines } = poolLogging(smtp.url);
    try {
      expect(pool.dataPath).toBe('nodemailer');
      await sendAll(pool, smtp, 'upgraded');
      expect(pool.fastDataWrites).toBe(0);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 50, nodemailer: '10.7.0' });
      expect(lines[0]?.msg).toContain(`pin nodemailer to ${PATCHED_NODEMAILER}`);
    } finally {
      packageInfo.version = proven;
      await pool.close();
    }
  });
});
