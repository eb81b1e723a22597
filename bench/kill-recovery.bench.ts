/**
 * Issue 14.4: time from kill -9 of a sender to the last of its claimed rows sent, with a second
 * sender already running, both with the 120 s lease. Twice in one run: "lease" (no beat, claims
 * wait for their lease: the behaviour before) and "beat" (the senders table). Each run: an edition
 * of N readers to the test SMTP capture, sender A then B started, A killed once 20% are sent.
 * A Jest file, for the test helpers' per-run databases, kept out of the suite (roots: tests):
 * `npx jest --roots bench --testMatch '**\/kill-recovery.bench.ts'` (BENCH_READERS, default 3000).
 */
import type { ChildProcess } from 'node:child_process';
import request from 'supertest';
import { startTestBulletin, adminAuth, type TestBulletin } from '../tests/helpers/test-bulletin';
import { DigestFixtures, duplicates } from '../tests/helpers/digest-fixtures';
import { spawnDigestSender } from '../tests/helpers/spawn-digest-sender';

const N = Number(process.env.BENCH_READERS ?? 3000);
const CONCURRENCY = 20;

function startSender(app: TestBulletin, beat: boolean): Promise<ChildProcess> {
  return spawnDigestSender(app, {
    SEND_CONCURRENCY: String(CONCURRENCY),
    SMTP_MAX_CONNECTIONS: String(CONCURRENCY),
    SENDER_LEASE_SECONDS: '120',
    SENDER_BEAT: beat ? 'on' : 'off',
  }).ready;
}

async function once(beat: boolean): Promise<string> {
  const app = await startTestBulletin({ RUN_JOBS: 'false' });
  const fx = new DigestFixtures(app.db.url);
  const children: ChildProcess[] = [];
  try {
    await fx.subscribers(N);
    await fx.article({ title: 'Recovery' });
    const res = await request(app.url).post('/api/admin/digests').set(adminAuth).send({ frequency: 'daily' });
    const digestId: number = res.body.digest.id;
    const a = await startSender(app, beat);
    children.push(a);
    children.push(await startSender(app, beat));
    await app.smtp.waitFor(() => app.smtp.messages.length >= N / 5, 120_000);
    // A's rows: with the beat, those naming the first sender; without, all rows claimed at the
    // kill minus B's (B's are the ones B settles on its own; told apart below by timing alone).
    const killedAt = Date.now();
    a.kill('SIGKILL');
    await new Promise((r) => a.once('exit', r));
    const { rows: held } = await fx.pool.query<{ subscriber_id: number }>(
      beat
        ? `SELECT subscriber_id FROM deliveries WHERE digest_id = $1 AND status = 'sending' AND claimed_by = (SELECT min(id) FROM senders)`
        : `SELECT subscriber_id FROM deliveries WHERE digest_id = $1 AND status = 'sending'`,
      [digestId],
    );
    const ids = held.map((r) => r.subscriber_id);
    for (;;) {
      const { rows } = await fx.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM deliveries WHERE digest_id = $1 AND subscriber_id = ANY($2) AND status <> 'sent'`,
        [digestId, ids],
      );
      if (rows[0]!.n === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (Date.now() - killedAt) / 1000;
    await fx.waitUntilSettled(digestId, 300_000);
    const counts = await fx.deliveryCounts(digestId);
    return `${beat ? 'beat ' : 'lease'}: rows held at the kill ${ids.length}, kill -9 -> all sent ${seconds.toFixed(1)} s; edition ${JSON.stringify(counts)}, extra copies ${duplicates(app.smtp).extra}`;
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await fx.close();
    await app.stop();
  }
}

test('kill -9 to the dead sender\'s rows all sent: lease vs beat', async () => {
  const lines: string[] = [];
  for (const beat of [false, true]) lines.push(await once(beat));
  process.stdout.write(`\n${lines.join('\n')}\n`);
}, 900_000);
