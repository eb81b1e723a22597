import { AnswerPace } from '../../src/mail/answer-pace';
import { RawSmtpPool } from '../../src/mail/raw-smtp-pool';
import { createLogger } from '../../src/shared/logger';
import { rawSmtpPeer, type DataEnd } from '../helpers/raw-smtp-peer';

const from = 'news@bulletin.test';

function message(to: string): Buffer {
  return Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: Session\r\nMessage-ID: <${to}>\r\n\r\nHello\r\n`);
}

/**
 * A raw peer (tests/helpers/raw-smtp-peer.ts) whose answer to a message's data, while
 * `holdAnswers` is on, waits until the next MAIL FROM arrives on any connection (counted in
 * `pipelined`) or 300 ms pass: a client that pipelines gets its answers at once, one that waits
 * for each answer gets them late and the count stays 0. `fate` decides per recipient otherwise.
 */
async function holdingPeer(fate: (to: string, end: DataEnd) => void = (_, end) => end.answer()) {
  const state = { holdAnswers: false, pipelined: 0 };
  let held: { answer: () => void; timer: NodeJS.Timeout } | undefined;
  const answerHeld = (byNextMail: boolean) => {
    if (!held) return;
    clearTimeout(held.timer);
    if (byNextMail) state.pipelined++;
    const { answer } = held;
    held = undefined;
    answer();
  };
  const peer = await rawSmtpPeer({
    atDataEnd: (to, end) => {
      if (!state.holdAnswers) return fate(to, end);
      held = { answer: end.answer, timer: setTimeout(() => answerHeld(false), 300) };
    },
    onCommand: (line) => {
      if (/^MAIL/i.test(line)) answerHeld(true);
    },
  });
  return { ...peer, state };
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
    const peer = await holdingPeer();
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
    const peer = await holdingPeer((to, end) => (to === 'dropped@example.com' ? end.drop() : end.answer()));
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
    const peer = await holdingPeer((to, end) => {
      if (to !== 'closing@example.com' || closings++ > 0) return end.answer();
      end.closeWith421();
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
    const peer = await holdingPeer();
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
