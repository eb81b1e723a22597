import request from 'supertest';
import { startTestBulletin, type TestBulletin, adminAuth, QUIET_SCHEDULES } from '../helpers/test-bulletin';
import { DigestFixtures, duplicates } from '../helpers/digest-fixtures';

/**
 * A server that takes a message's data and never answers (5% of an edition) must cost those
 * messages a retry each, not the whole send an outage pause. The same edition with 5% answered
 * 451 is the baseline; docs/benchmarks.md has the time each took (no timed assertion here).
 */
/** Short, for a quick test, but well past a hold-up of the loaded test machine (1 s once gave 5 extra copies). */
const MESSAGE_TIMEOUT_MS = 2000;

const env = {
  ...QUIET_SCHEDULES,
  SEND_RETRY_DELAY_SECONDS: '1',
  SEND_MAX_ATTEMPTS: '3',
  SMTP_MESSAGE_TIMEOUT_MS: String(MESSAGE_TIMEOUT_MS),
};

const READERS = 400;

describe('an edition sent to a server silent on some messages', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  beforeEach(async () => {
    app = await startTestBulletin(env);
    fx = new DigestFixtures(app.db.url);
  });
  afterEach(async () => {
    await fx.close();
    await app.stop();
  });

  const skipAhead = () => app.clock.skip(1000);

  async function sendNow(): Promise<number> {
    const res = await request(app.url).post('/api/admin/digests').set(adminAuth).send({ frequency: 'daily' });
    expect(res.status).toBe(201);
    return res.body.digest.id;
  }

  /** Every 20th reader (5%) meets the fault on a first attempt; `stubborn` meets it every time. */
  async function edition(fault: 'silent' | '451') {
    const readers = await fx.subscribers(READERS);
    const faulty = new Set(readers.filter((_, i) => i % 20 === 0).map((r) => r.email));
    const stubborn = readers[1]!.email;
    const tries = new Map<string, number>();
    const faultFor = (to: string) => {
      const n = (tries.get(to) ?? 0) + 1;
      tries.set(to, n);
      return to === stubborn || (faulty.has(to) && n === 1);
    };
    // Accepted messages while a silent one was still unanswered (not timed out yet).
    let sentWhileSilent = 0;
    if (fault === 'silent') {
      const waiting = new Set<number>();
      app.smtp.silent = (to) => {
        if (!faultFor(to)) {
          if (waiting.size) sentWhileSilent++;
          return false;
        }
        const id = app.smtp.held;
        waiting.add(id);
        setTimeout(() => waiting.delete(id), MESSAGE_TIMEOUT_MS); // what the client's SMTP_MESSAGE_TIMEOUT_MS gives it
        return true;
      };
    } else {
      app.smtp.reject = (to) => (faultFor(to) ? 451 : undefined);
    }
    await fx.article({ title: `Edition with ${fault} faults` });
    const started = Date.now();
    const digestId = await sendNow();
    const counts = await fx.waitUntilSettled(digestId, 90_000, skipAhead);
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`${fault}: ${READERS} readers settled in ${seconds.toFixed(1)} s\n`);
    return { readers, faulty, stubborn, digestId, counts, sentWhileSilent };
  }

  test.each(['silent', '451'] as const)(
    'when 5%% of the messages meet %s once and one reader every time, then everyone else gets exactly one copy and that one fails after the last attempt',
    async (fault) => {
      const { readers, faulty, stubborn, digestId, counts, sentWhileSilent } = await edition(fault);
      expect(counts).toEqual({ sent: READERS - 1, failed: 1 });
      expect(duplicates(app.smtp).extra).toBe(0);
      for (const r of readers) expect(app.smtp.to(r.email)).toHaveLength(r.email === stubborn ? 0 : 1);
      const { rows } = await fx.pool.query(
        `SELECT s.email, d.attempts, d.last_error FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE d.digest_id = $1`,
        [digestId],
      );
      const attempts = new Map(rows.map((r) => [r.email as string, r]));
      expect(attempts.get(stubborn)).toMatchObject({ attempts: 3 });
      expect(attempts.get(stubborn).last_error).toMatch(fault === 'silent' ? new RegExp(`no answer to the message within ${MESSAGE_TIMEOUT_MS} ms`) : /^451/);
      // Each faulty reader's first attempt was counted, like a 4xx: sent on the second.
      for (const email of faulty) if (email !== stubborn) expect(attempts.get(email)).toMatchObject({ attempts: 2 });
      if (fault === 'silent') {
        expect(app.smtp.held).toBe(faulty.size + 3);
        // The other connections kept sending while silent messages waited for their answer.
        expect(sentWhileSilent).toBeGreaterThan(READERS / 4);
      }
    },
    120_000,
  );
});
