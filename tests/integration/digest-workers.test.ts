import { CLAIM_AHEAD_PER_LANE } from '../../src/digests/digest-sender';
import type { ChildProcess } from 'node:child_process';
import request from 'supertest';
import { startTestBulletin, type TestBulletin, adminAuth } from '../helpers/test-bulletin';
import { DigestFixtures, duplicates } from '../helpers/digest-fixtures';
import { spawnDigestSender } from '../helpers/spawn-digest-sender';

const CONCURRENCY = 5;
// Child processes start under tsx (a second or two each); generous under a loaded CI machine.
jest.setTimeout(60_000);

/** Sender processes only: the app itself runs no jobs here, so these are the only senders. */
describe('digest senders in separate processes', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    app = await startTestBulletin({ RUN_JOBS: 'false' });
    fx = new DigestFixtures(app.db.url);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    await fx.close();
    await app.stop();
  });

  function startSender(leaseSeconds = 2): Promise<ChildProcess> {
    const { child, ready } = spawnDigestSender(app, {
      SEND_CONCURRENCY: String(CONCURRENCY),
      SMTP_MAX_CONNECTIONS: String(CONCURRENCY),
      SEND_BATCH_SIZE: '20',
      // No spares: a lane whose message stalls (a slow peer under load) moves on to another row,
      // which would add up to SMTP_SPARE_CONNECTIONS rows held beyond the claim bound tested here.
      SMTP_SPARE_CONNECTIONS: '0',
      SENDER_LEASE_SECONDS: String(leaseSeconds),
    });
    children.push(child);
    return ready;
  }

  async function composeFor(count: number): Promise<{ digestId: number; emails: string[] }> {
    const readers = await fx.subscribers(count);
    await fx.article({ title: 'Sent by many hands' });
    const res = await request(app.url).post('/api/admin/digests').set(adminAuth).send({ frequency: 'daily' });
    expect(res.status).toBe(201);
    return { digestId: res.body.digest.id, emails: readers.map((r) => r.email) };
  }

  function stopGracefully(child: ChildProcess): Promise<void> {
    return new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  test('when a sender is killed mid-send and started again, then everyone is mailed once (bar messages in flight)', async () => {
    const { digestId, emails } = await composeFor(300);
    const first = await startSender();
    await app.smtp.waitFor(() => app.smtp.messages.length >= 60, 20_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const before = app.smtp.messages.length;
    expect(before).toBeLessThan(300);

    const second = await startSender();
    const counts = await fx.waitUntilSettled(digestId, 30_000);
    await stopGracefully(second);

    expect(counts).toEqual({ sent: 300 });
    const received = new Set(app.smtp.messages.flatMap((m) => m.to));
    expect(received).toEqual(new Set(emails));
    const { extra } = duplicates(app.smtp);
    expect(extra).toBeLessThanOrEqual(CONCURRENCY);
    expect(app.smtp.messages.length).toBe(300 + extra);
  });

  /** The id a just-started sender registered under in `senders` (the only one so far). */
  async function registeredSender(): Promise<number> {
    for (;;) {
      const { rows } = await fx.pool.query<{ id: number | null }>(`SELECT max(id) AS id FROM senders`);
      if (rows[0]!.id !== null) return rows[0]!.id;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The dead sender's claims, as left by the kill: the rows it held, with their 120 s leases. */
  async function claimsOf(senderId: number): Promise<Array<{ subscriber_id: number; lease_until: string }>> {
    const { rows } = await fx.pool.query(
      `SELECT subscriber_id, lease_until::text FROM deliveries WHERE status = 'sending' AND claimed_by = $1`,
      [senderId],
    );
    return rows;
  }

  /** True when the database's clock is still before every one of those leases (the column holds UTC). */
  async function beforeAllLeasesEnd(claims: Array<{ lease_until: string }>): Promise<boolean> {
    const { rows } = await fx.pool.query<{ before: boolean }>(
      `SELECT (now() AT TIME ZONE 'UTC') < min(l) AS before FROM unnest($1::timestamp[]) AS l`,
      [
        claims.map((c) => c.lease_until),
      ],
    );
    return rows[0]!.before;
  }

  /** Enough readers that the edition is still sending when the first sender is killed, however fast the machine. */
  const READERS_KILLED = 1200;
  test.each([
    ['a sender started after the kill', 'restarted'],
    ['a second sender already running', 'running'],
  ])(
    'when a sender is killed mid-send, then %s resumes its claims well before their 120 s lease, everyone mailed once',
    async (_what, mode) => {
      const { digestId, emails } = await composeFor(READERS_KILLED);
      const first = await startSender(120);
      const firstId = await registeredSender();
      const second = mode === 'running' ? await startSender(120) : undefined;
      await app.smtp.waitFor(() => app.smtp.messages.length >= 60, 20_000);
      // The server stops answering for a moment, so the first sender surely has messages in flight.
      let answer!: () => void;
      app.smtp.answerAfter = new Promise((resolve) => (answer = resolve));
      // Killed while it holds rows: the other sender may have claimed the ones at hand first.
      for (let i = 0; i < 100 && (await claimsOf(firstId)).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      answer();
      app.smtp.answerAfter = undefined;
      const stranded = await claimsOf(firstId);
      expect(stranded.length).toBeGreaterThan(0);
      // Claims only what its lanes are about to send: the rows in flight and one claim ahead.
      expect(stranded.length).toBeLessThanOrEqual((CLAIM_AHEAD_PER_LANE + 1) * CONCURRENCY);

      const other = second ?? (await startSender(120));
      const counts = await fx.waitUntilSettled(digestId, 30_000);
      expect(await beforeAllLeasesEnd(stranded)).toBe(true);
      await stopGracefully(other);

      expect(counts).toEqual({ sent: READERS_KILLED });
      expect(new Set(app.smtp.messages.flatMap((m) => m.to))).toEqual(new Set(emails));
      const { extra } = duplicates(app.smtp);
      expect(extra).toBeLessThanOrEqual(CONCURRENCY);
      expect(app.smtp.messages.length).toBe(READERS_KILLED + extra);
    },
  );

  test('when two senders share one digest, then every subscriber is mailed exactly once', async () => {
    const { digestId, emails } = await composeFor(300);
    const [a, b] = await Promise.all([startSender(), startSender()]);
    const counts = await fx.waitUntilSettled(digestId, 30_000);
    await Promise.all([stopGracefully(a), stopGracefully(b)]);
    expect(counts).toEqual({ sent: 300 });
    expect(app.smtp.messages).toHaveLength(300);
    expect(new Set(app.smtp.messages.flatMap((m) => m.to))).toEqual(new Set(emails));
  });

  test('when a sender stops gracefully mid-send, then its claims go back and another finishes without duplicates', async () => {
    const { digestId } = await composeFor(200);
    const first = await startSender();
    await app.smtp.waitFor(() => app.smtp.messages.length >= 30, 20_000);
    await stopGracefully(first);
    const counts = await fx.deliveryCounts(digestId);
    expect(counts.sending ?? 0).toBe(0);
    const second = await startSender();
    expect(await fx.waitUntilSettled(digestId, 30_000)).toEqual({ sent: 200 });
    await stopGracefully(second);
    expect(duplicates(app.smtp).extra).toBe(0);
  });
});
