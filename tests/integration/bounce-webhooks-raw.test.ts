import { spawn } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { DigestFixtures } from '../helpers/digest-fixtures';
import { bounceFixture, postRaw, RAW_SECRET, type FixtureValues } from '../helpers/raw-bounces';
import { adminAuth, QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';

interface Delivered {
  id: number;
  email: string;
  messageId: string;
  /** The envelope sender the SMTP peer saw. */
  mailFrom: string;
}

describe('raw bounce door (DSN and ARF messages) with VERP', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  let digestId: number;
  const readers: Delivered[] = [];
  beforeAll(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES, BOUNCE_RAW_SECRET: RAW_SECRET, MAIL_BOUNCE_VERP: 'true', MAIL_RETURN_PATH: 'bounces@news.example' });
    fx = new DigestFixtures(app.db.url);
    const subscribers = await fx.subscribers(14, { prefix: 'raw-' });
    await fx.article({ title: 'Council approves the new tram line', publishedAt: new Date(app.clock.now().getTime()) });
    const send = await request(app.url).post('/api/admin/digests').set(adminAuth).send({ frequency: 'daily' });
    digestId = send.body.digest.id as number;
    await fx.waitUntilSettled(digestId);
    for (const s of subscribers) {
      const mail = app.smtp.to(s.email)[0]!;
      readers.push({ id: s.id, email: s.email, messageId: mail.parsed.messageId!, mailFrom: mail.mailFrom });
    }
  });
  afterAll(async () => {
    await fx.close();
    await app.stop();
  });

  let next = 0;
  /** A reader of the edition no other test has used. */
  const reader = () => readers[next++]!;
  const now = () => Math.floor(app.clock.now().getTime() / 1000);
  const post = (message: string, opts: { secret?: string; envelopeTo?: string } = {}) => postRaw(app.url, message, { timestamp: now(), ...opts });
  const fixture = (name: string, r: Delivered, v: FixtureValues = {}) =>
    bounceFixture(name, { recipient: r.email, verp: r.mailFrom, originalMessageId: r.messageId, ...v });
  const subscriber = async (id: number) =>
    (await fx.pool.query(`SELECT status::text, suppressed_at, suppression_reason FROM subscribers WHERE id = $1`, [id])).rows[0];
  const reportsOf = async (id: number) =>
    (await fx.pool.query(`SELECT provider::text, type::text, digest_id, reason FROM bounce_reports WHERE subscriber_id = $1`, [id])).rows;
  const reportCount = async () => (await fx.pool.query(`SELECT count(*)::int AS n FROM bounce_reports`)).rows[0].n as number;

  test('when VERP is on, then each delivery leaves with MAIL_RETURN_PATH tagged with its own signed id, lower case', () => {
    for (const r of readers) expect(r.mailFrom).toMatch(new RegExp(`^bounces\\+${digestId}\\.${r.id}\\.[a-z2-7]{20}@news\\.example$`));
    expect(new Set(readers.map((r) => r.mailFrom)).size).toBe(readers.length);
  });

  test('when a Postfix DSN reports 5.1.1 for a delivery, then the reader is suppressed and the report tied to the edition', async () => {
    const r = reader();
    const res = await post(fixture('postfix-user-unknown.eml', r), { envelopeTo: r.mailFrom });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ reports: 1, outcomes: { suppressed: 1 } });
    expect(await subscriber(r.id)).toMatchObject({ suppressed_at: expect.any(Date), suppression_reason: expect.stringMatching(/^Hard bounce reported by a bounce message: 550 5\.1\.1 /) });
    expect(await reportsOf(r.id)).toEqual([{ provider: 'raw', type: 'hard', digest_id: digestId, reason: expect.stringContaining('User unknown') }]);
  });

  test('when a qmail plain-text bounce (no DSN) says "no mailbox" for a delivery, then the reader is suppressed, once however often it comes', async () => {
    const r = reader();
    const message = fixture('qmail-no-mailbox.eml', r);
    const res = await post(message, { envelopeTo: r.mailFrom });
    expect(res.body).toEqual({ reports: 1, outcomes: { suppressed: 1 } });
    expect(await subscriber(r.id)).toMatchObject({ suppression_reason: 'Hard bounce reported by a bounce message: Sorry, no mailbox here by that name. (#5.1.1)' });
    // qmail's notice has no Message-ID: its bytes make it one report.
    const before = await reportCount();
    expect((await post(message, { envelopeTo: r.mailFrom })).body).toEqual({ reports: 1, outcomes: { duplicate: 1 } });
    expect(await reportCount()).toBe(before);
    expect(await reportsOf(r.id)).toEqual([{ provider: 'raw', type: 'hard', digest_id: digestId, reason: 'Sorry, no mailbox here by that name. (#5.1.1)' }]);
  });

  test.each(['exchange-recipient-not-found.eml', 'exchange-access-denied.eml', 'gmail-no-such-user.eml'])(
    'when %s arrives from a mailbox fetcher (no envelope recipient), then the reader is suppressed by its Message-ID',
    async (name) => {
      const r = reader();
      // Another VERP address than the reader's: the Message-ID still names the delivery.
      const res = await post(fixture(name, r, { verp: 'newsletter@news.example' }));
      expect(res.body).toEqual({ reports: 1, outcomes: { suppressed: 1 } });
      expect(await reportsOf(r.id)).toEqual([expect.objectContaining({ type: 'hard', digest_id: digestId })]);
    },
  );

  test('when a DSN names only the VERP address (forwarded recipient, no original headers), then it finds the delivery', async () => {
    const byEnvelope = reader();
    const message = fixture('postfix-verp-only.eml', byEnvelope, { verp: 'newsletter@news.example' });
    expect((await post(message, { envelopeTo: byEnvelope.mailFrom })).body.outcomes).toEqual({ suppressed: 1 });
    expect(await reportsOf(byEnvelope.id)).toEqual([expect.objectContaining({ digest_id: digestId })]);

    const byToHeader = reader();
    expect((await post(fixture('postfix-verp-only.eml', byToHeader))).body.outcomes).toEqual({ suppressed: 1 });
    expect((await subscriber(byToHeader.id)).suppressed_at).not.toBeNull();
  });

  test('when a mailbox provider sends an ARF abuse report, then the reader is unsubscribed, suppressed and the complaint recorded for the newsletter', async () => {
    const r = reader();
    const res = await post(fixture('arf-yahoo-abuse.eml', r));
    expect(res.body.outcomes).toEqual({ complained: 1 });
    expect(await subscriber(r.id)).toMatchObject({ status: 'unsubscribed', suppression_reason: 'Spam complaint reported by a bounce message' });
    const { rows } = await fx.pool.query(`SELECT event::text, source, newsletter_id FROM consents WHERE subscriber_id = $1 AND event = 'complaint'`, [r.id]);
    expect(rows).toEqual([{ event: 'complaint', source: 'complaint:raw', newsletter_id: expect.any(Number) }]);
  });

  test('when a delay notice or an auto-reply arrives, then 200 with the reason it is ignored, and nothing is stored', async () => {
    const r = reader();
    const before = await reportCount();
    const delayed = await post(fixture('postfix-delayed.eml', r), { envelopeTo: r.mailFrom });
    expect(delayed.status).toBe(200);
    expect(delayed.body).toEqual({ reports: 0, outcomes: {}, ignored: 'no failed recipient (Action: delayed)' });
    const autoReply = await post(fixture('auto-reply.eml', r), { envelopeTo: r.mailFrom });
    expect(autoReply.body).toEqual({ reports: 0, outcomes: {}, ignored: "not a DSN, an ARF or a mail system's plain-text bounce" });
    expect(await reportCount()).toBe(before);
    expect((await subscriber(r.id)).suppressed_at).toBeNull();
  });

  test('when a DSN names a reader by address only, or by a forged VERP tag, then it is ignored: anyone can mail the bounce address', async () => {
    const r = reader();
    const forgedTag = r.mailFrom.replace(/\.[a-z2-7]{20}@/, `.${'a'.repeat(20)}@`);
    const res = await post(fixture('postfix-user-unknown.eml', r, { verp: forgedTag, originalMessageId: '<someone-else@news.example>' }), { envelopeTo: forgedTag });
    expect(res.body).toEqual({ reports: 0, outcomes: {}, ignored: 'names no delivery of Bulletin (no signed VERP address or Message-ID)' });
    expect((await subscriber(r.id)).suppressed_at).toBeNull();
  });

  test('when scripts/bounce-pipe.sh gets a DSN on stdin and the VERP recipient as Postfix passes it, then it signs and posts it, and exits 0', async () => {
    const r = reader();
    const message = fixture('postfix-verp-only.eml', r, { verp: 'newsletter@news.example' });
    const pipe = (secret: string) => runPipe([r.mailFrom], message, { BULLETIN_URL: app.url, BOUNCE_RAW_SECRET: secret });
    const wrongKey = await pipe('someone-elses-secret-0123456789abcdef');
    // Postfix keeps the message and retries once the key is fixed.
    expect(wrongKey).toEqual({ code: 75, stderr: expect.stringContaining('Bulletin answered 401') });
    expect((await subscriber(r.id)).suppressed_at).toBeNull();
    const piped = await pipe(RAW_SECRET);
    expect(piped).toMatchObject({ code: 0, stderr: "" });
    expect(await reportsOf(r.id)).toEqual([expect.objectContaining({ provider: 'raw', type: 'hard', digest_id: digestId })]);
  });

  test('when the signature is forged or missing, then 401 and nothing changes', async () => {
    const r = reader();
    const before = await reportCount();
    const message = fixture('postfix-user-unknown.eml', r);
    expect((await post(message, { secret: 'someone-elses-secret-0123456789abcdef' })).status).toBe(401);
    expect((await request(app.url).post('/webhooks/bounces/raw').set('Content-Type', 'message/rfc822').send(message)).status).toBe(401);
    expect(await reportCount()).toBe(before);
    expect((await subscriber(r.id)).suppressed_at).toBeNull();
  });

  test('when the same DSN is delivered twice, then it acts once', async () => {
    const r = reader();
    const message = fixture('postfix-user-unknown.eml', r, { dsnId: `twice-${r.id}` }).replace('Status: 5.1.1', 'Status: 4.2.2');
    expect((await post(message)).body.outcomes).toEqual({ counted: 1 });
    app.clock.skip(60_000); // signed again a minute later, as a pipe retry would be
    expect((await post(message)).body.outcomes).toEqual({ duplicate: 1 });
    expect(await reportsOf(r.id)).toEqual([expect.objectContaining({ type: 'soft' })]);
  });

  test('when the message is larger than 1 MB, then 413', async () => {
    const big = fixture('postfix-user-unknown.eml', reader()) + 'x'.repeat(1024 * 1024);
    expect((await post(big)).status).toBe(413);
  });
});

/** Runs the shipped pipe script as Postfix would: the message on stdin, ${recipient} as its argument, no inherited settings. */
function runPipe(args: string[], stdin: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const script = path.resolve(__dirname, '../../scripts/bounce-pipe.sh');
    const child = spawn('bash', [script, ...args], { env: { PATH: process.env.PATH, BULLETIN_BOUNCE_PIPE_ENV: '/nonexistent', ...env } });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin.end(stdin);
  });
}
