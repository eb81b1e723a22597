import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { SmtpFailure } from '../../src/mail/mailer';
import { RawSmtpPool } from '../../src/mail/raw-smtp-pool';
import { AnswerPace } from '../../src/mail/answer-pace';
import { createLogger } from '../../src/shared/logger';
import { rawSmtpPeer } from '../helpers/raw-smtp-peer';
import { until } from '../helpers/until';

const from = 'news@bulletin.test';

function message(to: string): Buffer {
  return Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: Pool\r\nMessage-ID: <${to}>\r\n\r\nHello\r\n`);
}

/**
 * A real SMTP peer that takes every message's data but never answers the final dot for `silent`
 * ones, or answers them only after `answerAfter` (ms, or once the promise resolves). It counts its
 * open connections. `afterAnswer` runs right after each answer has gone to the socket.
 */
async function silentServer(silent: (to: string) => boolean, answerAfter?: number | Promise<void>, afterAnswer: () => void = () => {}) {
  const accepted: string[] = [];
  let held = 0;
  let open = 0;
  let mostOpen = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 100,
    onConnect(_session, callback) {
      open++;
      mostOpen = Math.max(mostOpen, open);
      callback();
    },
    onClose() {
      open--;
    },
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        const to = session.envelope.rcptTo[0]!.address;
        if (silent(to)) {
          held++;
          // Without answerAfter the callback is never called: the server stays silent on it.
          const answer = () => {
            accepted.push(to);
            callback();
          };
          if (typeof answerAfter === 'number') setTimeout(answer, answerAfter);
          else void answerAfter?.then(answer);
          return;
        }
        accepted.push(to);
        callback();
        afterAnswer();
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return {
    url,
    accepted,
    held: () => held,
    open: () => open,
    mostOpen: () => mostOpen,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Enough answered messages for the pool to learn the server's pace (AnswerPace.WARM_UP). */
async function warmUp(pool: RawSmtpPool): Promise<void> {
  for (let i = 0; i < AnswerPace.WARM_UP; i++) await pool.send({ from, to: `warm${i}@example.com` }, message(`warm${i}@example.com`));
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

  test.each([
    [1, 0, 'the one connection waits out the whole 3 s timeout (no later message could be answered: it may be slow for all) before anyone else is sent', 3000],
    [1, 1, 'a spare connection sends everyone else while the silent message waits out its whole timeout', 3000],
  ])('when a pool of %i connection(s) and %i spare has one message never answered, then %s', async (maxConnections, spareConnections, _, waitedMs) => {
    const server = await silentServer((to) => to === 'silent@example.com');
    const pool = new RawSmtpPool({ url: server.url, maxConnections, spareConnections, ratePerSecond: 0, messageTimeout: 3000, logger: createLogger('silent') });
    try {
      await warmUp(pool);
      let silentSettled = false;
      const silent = pool.send({ from, to: 'silent@example.com' }, message('silent@example.com')).finally(() => (silentSettled = true));
      silent.catch(() => {});
      const others = Array.from({ length: 10 }, (_, i) => `other${i}@example.com`);
      const settledBeforeOthers = await Promise.all(others.map((to) => pool.send({ from, to }, message(to)))).then(() => silentSettled);
      expect(settledBeforeOthers).toBe(maxConnections + spareConnections === 1);
      await expect(silent).rejects.toMatchObject({ kind: 'transient', code: 'ETIMEDOUT', message: `no answer to the message within ${waitedMs} ms` });
      expect(server.accepted.filter((to) => to.startsWith('other')).sort()).toEqual([...others].sort());
      expect(server.mostOpen()).toBe(maxConnections + spareConnections);
      expect(pool.spareConnectionsInUse).toBe(0);
    } finally {
      await pool.close();
      await server.stop();
    }
  });

  test('when no spare is free and the server keeps answering later messages, then the silent one is given up at the give-up point (1 s), not the 3 s timeout', async () => {
    const server = await silentServer((to) => to === 'silent@example.com');
    const pool = new RawSmtpPool({ url: server.url, maxConnections: 2, spareConnections: 0, ratePerSecond: 0, messageTimeout: 3000, logger: createLogger('silent') });
    try {
      await warmUp(pool);
      let silentSettled = false;
      const silent = pool.send({ from, to: 'silent@example.com' }, message('silent@example.com')).finally(() => (silentSettled = true));
      silent.catch(() => {});
      // The other connection goes on sending, one message after another, while the silent one waits.
      for (let i = 0; !silentSettled && i < 5000; i++) await pool.send({ from, to: `other${i}@example.com` }, message(`other${i}@example.com`));
      await expect(silent).rejects.toMatchObject({ kind: 'transient', code: 'ETIMEDOUT', message: 'no answer to the message within 1000 ms' });
    } finally {
      await pool.close();
      await server.stop();
    }
  });

  test('when three messages stall at once with two spares, then the pool opens exactly maxConnections + spares, each stalled message is sent once when answered late, and the spares end with them', async () => {
    const slow = new Set(['slow1@example.com', 'slow2@example.com', 'slow3@example.com']);
    let answerSlow = () => {};
    const server = await silentServer((to) => slow.has(to), new Promise<void>((resolve) => (answerSlow = resolve)));
    const pool = new RawSmtpPool({ url: server.url, maxConnections: 2, spareConnections: 2, ratePerSecond: 0, messageTimeout: 5000, logger: createLogger('silent') });
    try {
      await warmUp(pool);
      const sentAt = Date.now();
      let firstStallAt = 0;
      let stalls = 0;
      const onStall = () => {
        firstStallAt ||= Date.now();
        stalls++;
      };
      const sends = [...slow, ...Array.from({ length: 20 }, (_, i) => `other${i}@example.com`)].map((to) => pool.send({ from, to }, message(to), onStall));
      // The slow messages are answered only once all three wait at the server, both spares are in
      // use and the server has seen them connect, and then once the third has waited past its own
      // stall point (the first stall shows how long that is). All of that depends on the pace
      // learned in the warm-up and on the server's reverse lookup of each new client: no fixed delay.
      await until(() => server.held() === 3 && pool.spareConnectionsInUse === 2 && server.open() === 4, { timeoutMs: 4000, everyMs: 5 });
      await new Promise((resolve) => setTimeout(resolve, firstStallAt - sentAt + 200));
      // No spare was left for the third: it kept its place in the pool.
      expect(stalls).toBe(2);
      answerSlow();
      await expect(Promise.all(sends)).resolves.toHaveLength(23);
      expect(server.mostOpen()).toBe(4);
      for (const to of slow) expect(server.accepted.filter((a) => a === to)).toHaveLength(1);
      expect(pool.spareConnectionsInUse).toBe(0);
    } finally {
      await pool.close();
      await server.stop();
    }
  });

  test('when the server turns slow for every message (past the give-up point), then no message is given up: each waits for its answer and is sent once', async () => {
    let slow = false;
    const server = await silentServer(() => slow, 1500);
    const pool = new RawSmtpPool({ url: server.url, maxConnections: 3, spareConnections: 0, ratePerSecond: 0, messageTimeout: 5000, logger: createLogger('silent') });
    try {
      await warmUp(pool);
      slow = true;
      const tos = Array.from({ length: 9 }, (_, i) => `slow${i}@example.com`);
      await expect(Promise.all(tos.map((to) => pool.send({ from, to }, message(to))))).resolves.toHaveLength(9);
      expect(server.accepted.filter((to) => tos.includes(to)).sort()).toEqual(tos);
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

  test('when the process is blocked past the message timeout just after the server answered, then the answer counts: sent, not timed out (no second copy)', async () => {
    // The event loop runs due timers before it reads sockets: without care, the timeout would
    // fire first and the accepted message would be sent again.
    const blockEventLoop = () => {
      const blockedUntil = Date.now() + 800;
      while (Date.now() < blockedUntil);
    };
    const server = await silentServer(() => false, undefined, blockEventLoop);
    const pool = new RawSmtpPool({ url: server.url, maxConnections: 1, ratePerSecond: 0, messageTimeout: 300, logger: createLogger('silent') });
    try {
      await expect(pool.send({ from, to: 'blocked@example.com' }, message('blocked@example.com'))).resolves.toMatch(/^250/);
      expect(server.accepted).toEqual(['blocked@example.com']);
    } finally {
      await pool.close();
      await server.stop();
    }
  });
});

describe('the raw SMTP pool and a server silent after refusing a message', () => {
  test('when the server never answers the reset after a refused recipient, then that connection is dropped at the message timeout and the next message goes out on a fresh one', async () => {
    // A raw peer (smtp-server has no hook on RSET) that never answers a reset after a refusal.
    const peer = await rawSmtpPeer({ answerReset: false });
    // One connection: a slot left waiting on the reset would hold every later message forever.
    const pool = new RawSmtpPool({ url: peer.url, maxConnections: 1, ratePerSecond: 0, messageTimeout: 500, logger: createLogger('silent') });
    try {
      await expect(pool.send({ from, to: 'refused@example.com' }, message('refused@example.com'))).rejects.toMatchObject({ kind: 'permanent', responseCode: 550 });
      await expect(pool.send({ from, to: 'reader@example.com' }, message('reader@example.com'))).resolves.toMatch(/^250/);
      expect(peer.accepted).toEqual(['reader@example.com']);
      expect(peer.connections()).toBe(2);
    } finally {
      await pool.close();
      await peer.stop();
    }
  }, 10_000);
});
