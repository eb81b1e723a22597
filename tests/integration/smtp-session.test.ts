import net, { type AddressInfo } from 'node:net';
import { AnswerPace } from '../../src/mail/answer-pace';
import { RawSmtpPool } from '../../src/mail/raw-smtp-pool';
import { createLogger } from '../../src/shared/logger';

const from = 'news@bulletin.test';

function message(to: string): Buffer {
  return Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: Session\r\nMessage-ID: <${to}>\r\n\r\nHello\r\n`);
}

type AtDataEnd = 'answer' | 'drop' | 'close with 421';

/**
 * A raw SMTP peer offering PIPELINING that reads whatever the client writes, in any grouping, and
 * logs each connection's commands. `atDataEnd` decides per recipient what happens at the final
 * dot. While `holdAnswers` is on, the answer to a message's data waits until the next MAIL FROM
 * arrives on that connection (counted in `pipelined`) or 300 ms pass: a client that pipelines gets
 * its answers at once, one that waits for each answer gets them late and the count stays 0.
 */
async function rawPeer(atDataEnd: (to: string) => AtDataEnd = () => 'answer') {
  const accepted: string[] = [];
  const logs: string[][] = [];
  const sockets = new Set<net.Socket>();
  const state = { holdAnswers: false, pipelined: 0 };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const log: string[] = [];
    logs.push(log);
    let buffered = '';
    let to: string | undefined;
    let inData = false;
    let held: { answer: () => void; timer: NodeJS.Timeout } | undefined;
    const answerHeld = (byNextMail: boolean) => {
      if (!held) return;
      clearTimeout(held.timer);
      if (byNextMail) state.pipelined++;
      const { answer } = held;
      held = undefined;
      answer();
    };
    socket.write('220 peer ready\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffered.indexOf('\r\n.\r\n');
          if (end < 0) return;
          buffered = buffered.slice(end + 5);
          inData = false;
          const rcpt = to as string;
          log.push(`END ${rcpt}`);
          const fate = atDataEnd(rcpt);
          if (fate === 'drop') {
            // What had already come behind the data is logged, unanswered.
            log.push(...buffered.split('\r\n').filter(Boolean).map((l) => l.split(':')[0] as string));
            return void socket.destroy();
          }
          if (fate === 'close with 421') return void socket.end('421 closing now\r\n');
          const answer = () => {
            accepted.push(rcpt);
            socket.write('250 taken\r\n');
          };
          if (state.holdAnswers) held = { answer, timer: setTimeout(() => answerHeld(false), 300) };
          else answer();
          continue;
        }
        const eol = buffered.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffered.slice(0, eol);
        buffered = buffered.slice(eol + 2);
        log.push(line.split(':')[0] as string);
        if (/^MAIL/i.test(line)) answerHeld(true);
        const reply = answer(line);
        socket.write(reply);
        if (reply.startsWith('221')) socket.end();
      }
    });
    function answer(line: string): string {
      switch (line.slice(0, 4).toUpperCase()) {
        case 'EHLO':
          return '250-peer\r\n250 PIPELINING\r\n';
        case 'MAIL':
          to = undefined;
          return '250 sender ok\r\n';
        case 'RCPT': {
          const rcpt = /<([^>]*)>/.exec(line)?.[1] ?? '';
          if (rcpt.startsWith('refused@')) return '550 no such user\r\n';
          to = rcpt;
          return '250 recipient ok\r\n';
        }
        case 'DATA':
          inData = to !== undefined;
          return inData ? '354 go ahead\r\n' : '554 no valid recipients\r\n';
        case 'RSET':
          to = undefined;
          return '250 reset\r\n';
        case 'QUIT':
          return '221 bye\r\n';
        default:
          return '502 not here\r\n';
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `smtp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    accepted,
    logs,
    state,
    stop: () => {
      sockets.forEach((s) => s.destroy());
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Enough answered messages for the pool to know the server's pace, which pipelining waits for. */
async function warmUp(pool: RawSmtpPool): Promise<void> {
  for (let i = 0; i < AnswerPace.WARM_UP; i++) await pool.send({ from, to: `warm${i}@example.com` }, message(`warm${i}@example.com`));
}

const pools: RawSmtpPool[] = [];
function onePool(url: string): RawSmtpPool {
  const pool = new RawSmtpPool({ url, maxConnections: 1, ratePerSecond: 0, messageTimeout: 3000, logger: createLogger('silent') });
  pools.push(pool);
  return pool;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

describe('the pipelined SMTP session', () => {
  test("when messages queue for one connection, then each next envelope goes out behind the current message's data, before its answer", async () => {
    const peer = await rawPeer();
    try {
      const pool = onePool(peer.url);
      await warmUp(pool);
      peer.state.holdAnswers = true;
      const to = Array.from({ length: 10 }, (_, i) => `reader${i}@example.com`);
      await Promise.all(to.map((rcpt) => pool.send({ from, to: rcpt }, message(rcpt))));
      // Every message but the last had the next one's MAIL FROM behind its data.
      expect(peer.state.pipelined).toBe(9);
      expect(peer.accepted.filter((a) => a.startsWith('reader')).sort()).toEqual([...to].sort());
      expect(pool.fastDataWrites).toBe(AnswerPace.WARM_UP + 10);
    } finally {
      await peer.stop();
    }
  });

  test('when the connection drops after a message\'s data while the next envelope is behind it, then that message fails as sent-maybe and the next goes out once on a fresh connection', async () => {
    const peer = await rawPeer((to) => (to === 'dropped@example.com' ? 'drop' : 'answer'));
    try {
      const pool = onePool(peer.url);
      await warmUp(pool);
      const dropped = pool.send({ from, to: 'dropped@example.com' }, message('dropped@example.com'));
      const next = pool.send({ from, to: 'next@example.com' }, message('next@example.com'));
      await expect(dropped).rejects.toMatchObject({ kind: 'unreachable', dataSent: true });
      await expect(next).resolves.toMatch(/^250/);
      expect(peer.accepted.filter((a) => !a.startsWith('warm'))).toEqual(['next@example.com']);
      // next's envelope had reached the first connection (pipelined) before it was dropped.
      expect(peer.logs[0]!.slice(-4)).toEqual(['END dropped@example.com', 'MAIL FROM', 'RCPT TO', 'DATA']);
      expect(peer.logs).toHaveLength(2);
    } finally {
      await peer.stop();
    }
  });

  test('when the server closes with 421 at the final dot, then that message and the one behind it each go out once on a fresh connection', async () => {
    let closings = 0;
    const peer = await rawPeer((to) => {
      if (to !== 'closing@example.com' || closings++ > 0) return 'answer';
      return 'close with 421';
    });
    try {
      const pool = onePool(peer.url);
      await warmUp(pool);
      const sends = ['closing@example.com', 'next@example.com'].map((to) => pool.send({ from, to }, message(to)));
      await expect(Promise.all(sends)).resolves.toHaveLength(2);
      expect(peer.accepted.filter((a) => !a.startsWith('warm')).sort()).toEqual(['closing@example.com', 'next@example.com']);
    } finally {
      await peer.stop();
    }
  });

  test('when a recipient is refused while the next message waits, then the next goes out after a reset on the same connection', async () => {
    const peer = await rawPeer();
    try {
      const pool = onePool(peer.url);
      await warmUp(pool);
      const refused = pool.send({ from, to: 'refused@example.com' }, message('refused@example.com'));
      const next = pool.send({ from, to: 'next@example.com' }, message('next@example.com'));
      await expect(refused).rejects.toMatchObject({ kind: 'permanent', responseCode: 550 });
      await expect(next).resolves.toMatch(/^250/);
      expect(peer.accepted.filter((a) => !a.startsWith('warm'))).toEqual(['next@example.com']);
      expect(peer.logs).toHaveLength(1);
      expect(peer.logs[0]!.slice(-8)).toEqual(['MAIL FROM', 'RCPT TO', 'DATA', 'RSET', 'MAIL FROM', 'RCPT TO', 'DATA', 'END next@example.com']);
    } finally {
      await peer.stop();
    }
  });
});
