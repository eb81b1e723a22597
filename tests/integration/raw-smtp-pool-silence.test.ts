import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { SmtpFailure } from '../../src/mail/mailer';
import { RawSmtpPool } from '../../src/mail/raw-smtp-pool';
import { createLogger } from '../../src/shared/logger';

const from = 'news@bulletin.test';

function message(to: string): Buffer {
  return Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: Pool\r\nMessage-ID: <${to}>\r\n\r\nHello\r\n`);
}

/** A real SMTP peer that takes every message's data but never answers the final dot for `silent` ones. */
async function silentServer(silent: (to: string) => boolean) {
  const accepted: string[] = [];
  let held = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 100,
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        const to = session.envelope.rcptTo[0]!.address;
        if (silent(to)) {
          held++;
          return; // the callback is never called: the server stays silent on this message
        }
        accepted.push(to);
        callback();
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return { url, accepted, held: () => held, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('the raw SMTP pool and a server silent on one message', () => {
  test('when the server never answers one message, then the others go out on the other connections meanwhile and that one fails transiently after the message timeout', async () => {
    const server = await silentServer((to) => to === 'silent@example.com');
    const pool = new RawSmtpPool({ url: server.url, maxConnections: 3, ratePerSecond: 0, messageTimeout: 1500, logger: createLogger('silent') });
    try {
      let silentSettled = false;
      const silent = pool.send({ from, to: 'silent@example.com' }, message('silent@example.com')).finally(() => (silentSettled = true));
      silent.catch(() => {});
      const others = Array.from({ length: 30 }, (_, i) => `other${i}@example.com`);
      await Promise.all(others.map((to) => pool.send({ from, to }, message(to))));
      // Everyone else was answered while the silent message still waited for its answer.
      expect(silentSettled).toBe(false);
      expect(server.held()).toBe(1);
      expect(server.accepted.sort()).toEqual([...others].sort());

      const failure = await silent.then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(SmtpFailure);
      expect(failure).toMatchObject({ kind: 'transient', code: 'ETIMEDOUT', dataSent: true });
      expect(String((failure as Error).message)).toMatch(/no answer to the message within 1500 ms/);

      // The silent connection was dropped; the pool goes on sending on fresh ones.
      await pool.send({ from, to: 'after@example.com' }, message('after@example.com'));
      expect(server.accepted).toContain('after@example.com');
    } finally {
      await pool.close();
      await server.stop();
    }
  });

  test('when the server accepts the connection but never answers MAIL FROM, then it is no verdict on the message: unreachable, nothing sent', async () => {
    const server = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS'], logger: false, closeTimeout: 100, onMailFrom() {} });
    server.on('error', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    const pool = new RawSmtpPool({ url, maxConnections: 1, ratePerSecond: 0, messageTimeout: 1000, logger: createLogger('silent') });
    try {
      const failure = await pool.send({ from, to: 'a@example.com' }, message('a@example.com')).catch((err: unknown) => err);
      expect(failure).toMatchObject({ kind: 'unreachable', code: 'ETIMEDOUT', dataSent: false });
    } finally {
      await pool.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
