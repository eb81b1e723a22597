import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/http/app';
import { SmtpFailure, type Mailer } from '../../src/mail/mailer';
import { createOutboxMailer, createSmtpMailer } from '../../src/mail/nodemailer-mailer';
import { Pages } from '../../src/http/pages';
import { createLogger } from '../../src/shared/logger';
import { SmtpCapture } from '../helpers/smtp-capture';
import { DkimTestKey } from '../helpers/dkim-verifier';

const settings = { from: 'News <news@bulletin.test>', listId: 'news.bulletin.test', unsubscribeMailto: 'leave@bulletin.test' };
const message = {
  to: 'reader@example.com',
  subject: 'Hello',
  html: '<p>Hello <b>reader</b></p>',
  text: 'Hello reader',
  unsubscribeUrl: 'https://news.example/unsubscribe?s=1.abc',
};

describe('the SMTP mailer', () => {
  let smtp: SmtpCapture;
  let mailer: Mailer;
  beforeAll(async () => {
    smtp = await new SmtpCapture().start();
    mailer = createSmtpMailer({ url: smtp.url, maxConnections: 2, ratePerSecond: 0 }, settings, createLogger('silent'));
  });
  afterAll(async () => {
    await mailer.close();
    await smtp.stop();
  });

  test('when a message is sent, then it arrives with one-click unsubscribe headers (RFC 2369, RFC 8058) and List-Id', async () => {
    await mailer.send(message);
    const mail = await smtp.waitFor((m) => m.to.includes('reader@example.com'));
    expect(mail.header('List-Unsubscribe')).toEqual([
      '<https://news.example/unsubscribe?s=1.abc>, <mailto:leave@bulletin.test?subject=unsubscribe>',
    ]);
    expect(mail.header('List-Unsubscribe-Post')).toEqual(['List-Unsubscribe=One-Click']);
    expect(mail.header('List-Id')[0]).toContain('news.bulletin.test');
    expect(mail.header('Message-ID')[0]).toMatch(/^<[\w-]+@news\.bulletin\.test>$/);
    expect(mail.parsed.text?.trim()).toBe('Hello reader');
    expect(mail.parsed.html).toContain('<b>reader</b>');
  });

  test('when a raw message is sent, then it arrives byte for byte to the given recipient', async () => {
    const raw = 'From: news@bulletin.test\r\nTo: raw@example.com\r\nSubject: Raw\r\n\r\nRaw body\r\n';
    await mailer.sendRaw({ to: 'raw@example.com', raw });
    const mail = await smtp.waitFor((m) => m.to.includes('raw@example.com'));
    expect(mail.parsed.subject).toBe('Raw');
    expect(mail.parsed.text?.trim()).toBe('Raw body');
  });

  test('when the server refuses with 5xx, then the failure is permanent; with 4xx it is transient', async () => {
    smtp.reject = (rcpt) => (rcpt.startsWith('hard') ? 550 : rcpt.startsWith('soft') ? 451 : undefined);
    const hard = await mailer.send({ ...message, to: 'hard@example.com' }).catch((e: unknown) => e);
    const soft = await mailer.send({ ...message, to: 'soft@example.com' }).catch((e: unknown) => e);
    smtp.reject = () => undefined;
    expect(hard).toBeInstanceOf(SmtpFailure);
    expect(hard).toMatchObject({ kind: 'permanent', responseCode: 550 });
    expect(soft).toBeInstanceOf(SmtpFailure);
    expect(soft).toMatchObject({ kind: 'transient', responseCode: 451 });
  });

  test('when no SMTP server answers, then the failure is unreachable, not a verdict on the address', async () => {
    const down = await new SmtpCapture().start();
    const url = down.url;
    await down.stop();
    const lonely = createSmtpMailer({ url, maxConnections: 1, ratePerSecond: 0 }, settings, createLogger('silent'));
    const err = await lonely.send(message).catch((e: unknown) => e);
    await lonely.close();
    // Errors from Node's sockets come from another realm than Jest's Error: check the shape.
    expect(err).toMatchObject({ code: expect.stringMatching(/^E[A-Z]+$/) });
    expect(err).toBeInstanceOf(SmtpFailure);
    expect(err).toMatchObject({ kind: 'unreachable' });
  });
});

describe('the SMTP mailer with DKIM', () => {
  test('when DKIM is set, then transactional mail (nodemailer signs) and raw edition copies (DkimSigner signs) both verify', async () => {
    const key = new DkimTestKey('bulletin.test', 'mail2026');
    const smtp = await new SmtpCapture().start();
    const dkim = { domainName: key.domain, keySelector: key.selector, privateKey: key.privateKeyPem };
    const mailer = createSmtpMailer({ url: smtp.url, maxConnections: 1, ratePerSecond: 0 }, { ...settings, dkim }, createLogger('silent'));
    try {
      await mailer.send(message);
      await mailer.sendRaw({ to: 'raw@example.com', raw: 'From: news@bulletin.test\r\nTo: raw@example.com\r\nSubject: Raw\r\n\r\nRaw  body \r\n\r\n' });
      for (const to of ['reader@example.com', 'raw@example.com']) {
        const mail = await smtp.waitFor((m) => m.to.includes(to));
        expect([to, (await key.verify(mail.raw)).map((v) => v.result)]).toEqual([to, ['pass']]);
      }
    } finally {
      await mailer.close();
      await smtp.stop();
    }
  });

  test('when the DKIM key is not a key, then the mailer is not made (the process stops at start)', () => {
    const dkim = { domainName: 'bulletin.test', keySelector: 'mail2026', privateKey: 'not a key' };
    expect(() => createSmtpMailer({ url: 'smtp://127.0.0.1:1', maxConnections: 1, ratePerSecond: 0 }, { ...settings, dkim }, createLogger('silent'))).toThrow(/not a private key/);
  });
});

describe('the outbox', () => {
  const templatesDir = path.resolve(__dirname, '../../templates');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulletin-outbox-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const app = createApp({
    logger: createLogger('silent'),
    pages: new Pages(templatesDir),
    templatesDir,
    trustProxy: 'loopback',
    isDatabaseReachable: async () => true,
    outboxDir: dir,
  });

  test('when a message goes to the outbox, then it is an .eml file listed and readable in the browser', async () => {
    const outbox = createOutboxMailer(dir, settings);
    await outbox.send({ ...message, subject: 'Confirm <your> subscription' });
    const files = fs.readdirSync(dir);
    expect(files).toHaveLength(1);
    const raw = fs.readFileSync(path.join(dir, files[0]!), 'utf8');
    expect(raw).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');

    const list = await request(app).get('/outbox');
    expect(list.status).toBe(200);
    // The subject is escaped on the page.
    expect(list.text).toContain('Confirm &lt;your&gt; subscription');
    const page = await request(app).get(`/outbox/${files[0]}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('srcdoc=');
    expect(page.text).toContain('Hello reader');
    const download = await request(app).get(`/outbox/${files[0]}?raw`);
    expect(download.type).toBe('message/rfc822');
  });

  test('when a request came through a proxy on this machine, then the outbox and its emails are not found', async () => {
    const outbox = createOutboxMailer(dir, settings);
    await outbox.send({ ...message, subject: 'Proxied' });
    const name = fs.readdirSync(dir)[0]!;
    for (const header of [{ 'X-Forwarded-For': '203.0.113.7' }, { Forwarded: 'for=203.0.113.7' }]) {
      expect((await request(app).get('/outbox').set(header)).status).toBe(404);
      expect((await request(app).get(`/outbox/${name}`).set(header)).status).toBe(404);
      expect((await request(app).get(`/outbox/${name}?raw`).set(header)).status).toBe(404);
    }
    expect((await request(app).get('/outbox')).status).toBe(200);
  });

  test('when a file name tries to leave the folder or does not exist, then the answer is 404', async () => {
    expect((await request(app).get('/outbox/..%2Fpackage.json')).status).toBe(404);
    expect((await request(app).get('/outbox/missing.eml')).status).toBe(404);
  });
});
