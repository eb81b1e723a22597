import request from 'supertest';
import { Suppressions } from '../../src/lists/suppressions';
import { createLogger } from '../../src/shared/logger';
import { DigestFixtures } from '../helpers/digest-fixtures';
import { parsePrometheusText } from '../helpers/prometheus-text';
import { BOUNCE_SECRET, postGeneric } from '../helpers/bounce-webhooks';
import { adminAuth, QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';

describe('generic bounce webhook', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  beforeAll(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES, BOUNCE_WEBHOOK_SECRET: BOUNCE_SECRET, BOUNCE_SOFT_LIMIT: '3', BOUNCE_SOFT_WINDOW_DAYS: '7' });
    fx = new DigestFixtures(app.db.url);
  });
  afterAll(async () => {
    await fx.close();
    await app.stop();
  });

  /** Signed by the service's clock, which a test may move forward. */
  const now = () => Math.floor(app.clock.now().getTime() / 1000);
  const post = (body: object | string, opts: { secret?: string; timestamp?: number } = {}) => postGeneric(app.url, body, { timestamp: now(), ...opts });
  const subscriber = async (id: number) =>
    (await fx.pool.query(`SELECT status::text, suppressed_at, suppression_reason, unsubscribed_at FROM subscribers WHERE id = $1`, [id])).rows[0];
  const reportCount = async () => (await fx.pool.query(`SELECT count(*)::int AS n FROM bounce_reports`)).rows[0].n as number;

  test('when a signed hard bounce arrives, then the address is suppressed at once and the report stored', async () => {
    const [reader] = await fx.subscribers(1);
    const res = await post({ email: reader!.email.toUpperCase(), type: 'hard', reason: '550 5.1.1 user unknown' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ reports: 1, outcomes: { suppressed: 1 } });
    expect(await subscriber(reader!.id)).toMatchObject({ suppressed_at: expect.any(Date), suppression_reason: 'Hard bounce reported by the bounce webhook: 550 5.1.1 user unknown' });
    const { rows } = await fx.pool.query(`SELECT provider::text, type::text, subscriber_id, address_hash, reason FROM bounce_reports WHERE subscriber_id = $1`, [reader!.id]);
    expect(rows).toEqual([{ provider: 'generic', type: 'hard', subscriber_id: reader!.id, address_hash: null, reason: '550 5.1.1 user unknown' }]);
  });

  test('when the signature is wrong, missing or of another secret, then 401 and nothing changes', async () => {
    const [reader] = await fx.subscribers(1);
    const before = await reportCount();
    const forged = await post({ email: reader!.email, type: 'hard' }, { secret: 'someone-elses-secret-0123456789abcdef' });
    expect(forged.status).toBe(401);
    const unsigned = await request(app.url).post('/webhooks/bounces').set('Content-Type', 'application/json').send({ email: reader!.email, type: 'hard' });
    expect(unsigned.status).toBe(401);
    expect(await reportCount()).toBe(before);
    expect((await subscriber(reader!.id)).suppressed_at).toBeNull();
  });

  test('when a signed request is replayed after five minutes, then 401; within them, the copy changes nothing', async () => {
    const [reader] = await fx.subscribers(1);
    const old = now() - 301;
    expect((await post({ email: reader!.email, type: 'hard' }, { timestamp: old })).status).toBe(401);
    expect((await subscriber(reader!.id)).suppressed_at).toBeNull();

    const at = now();
    const soft = { email: reader!.email, type: 'soft' };
    expect((await post(soft, { timestamp: at })).body.outcomes).toEqual({ counted: 1 });
    expect((await post(soft, { timestamp: at })).body.outcomes).toEqual({ duplicate: 1 });
    const { rows } = await fx.pool.query(`SELECT count(*)::int AS n FROM bounce_reports WHERE subscriber_id = $1`, [reader!.id]);
    expect(rows[0].n).toBe(1);
  });

  test('when the same report comes twice with its id, then it is stored and acted on once', async () => {
    const [reader] = await fx.subscribers(1);
    const report = { email: reader!.email, type: 'soft', id: 'relay-event-1' };
    await post(report);
    await post(report, { timestamp: now() + 1 });
    await post(report, { timestamp: now() + 2 });
    const { rows } = await fx.pool.query(`SELECT count(*)::int AS n FROM bounce_reports WHERE subscriber_id = $1`, [reader!.id]);
    expect(rows[0].n).toBe(1);
    expect((await subscriber(reader!.id)).suppressed_at).toBeNull();
  });

  test('when the body is not JSON or misses a field, then 400 naming it, and nothing is stored', async () => {
    const before = await reportCount();
    const notJson = await post('{"email":');
    expect(notJson.status).toBe(400);
    expect(notJson.body.fields).toEqual({ body: 'is not valid JSON' });
    const badType = await post({ email: 'x@example.test', type: 'bounced' });
    expect(badType.status).toBe(400);
    expect(Object.keys(badType.body.fields)).toEqual(['type']);
    expect(await reportCount()).toBe(before);
  });

  test('when soft bounces reach the limit within the window, then the address is suppressed; older ones do not count', async () => {
    const [reader] = await fx.subscribers(1);
    const soft = (n: number) => post({ email: reader!.email, type: 'soft', id: `soft-${reader!.id}-${n}` });
    expect((await soft(1)).body.outcomes).toEqual({ counted: 1 });
    app.clock.skip(8 * 86_400_000); // the first falls out of the 7-day window
    expect((await soft(2)).body.outcomes).toEqual({ counted: 1 });
    expect((await soft(3)).body.outcomes).toEqual({ counted: 1 });
    expect((await subscriber(reader!.id)).suppressed_at).toBeNull();
    expect((await soft(4)).body.outcomes).toEqual({ suppressed: 1 });
    expect(await subscriber(reader!.id)).toMatchObject({ suppressed_at: expect.any(Date), suppression_reason: '3 soft bounces within 7 days, the last reported by the bounce webhook' });

    // Lifted by an operator: the address starts over, the three bounces before no longer count.
    await new Suppressions({ pool: fx.pool, clock: app.clock, logger: createLogger('silent') }).unsuppress(reader!.id, 'test');
    expect((await soft(5)).body.outcomes).toEqual({ counted: 1 });
    expect((await soft(6)).body.outcomes).toEqual({ counted: 1 });
    expect((await subscriber(reader!.id)).suppressed_at).toBeNull();
    expect((await soft(7)).body.outcomes).toEqual({ suppressed: 1 });
  });

  test('when a complaint arrives, then the reader is unsubscribed from everything, suppressed, and the complaint recorded', async () => {
    const [reader] = await fx.subscribers(1, { newsletters: ['daily', 'weekly'] });
    const res = await post({ email: reader!.email, type: 'complaint' });
    expect(res.body.outcomes).toEqual({ complained: 1 });
    const s = await subscriber(reader!.id);
    expect(s.status).toBe('unsubscribed');
    expect(s.unsubscribed_at).not.toBeNull();
    expect(s.suppressed_at).not.toBeNull();
    expect(s.suppression_reason).toBe('Spam complaint reported by the bounce webhook');
    const { rows } = await fx.pool.query(`SELECT event::text, source, newsletter_id FROM consents WHERE subscriber_id = $1`, [reader!.id]);
    expect(rows).toEqual([{ event: 'complaint', source: 'complaint:generic', newsletter_id: null }]);
    // Subscriptions are kept, as for any unsubscribe.
    expect((await fx.pool.query(`SELECT 1 FROM subscriptions WHERE subscriber_id = $1`, [reader!.id])).rowCount).toBe(2);
  });

  test('when the address belongs to nobody, then the report is stored by its hash, nothing else, and 200', async () => {
    const res = await post({ email: 'nobody-here@example.test', type: 'complaint' });
    expect(res.status).toBe(200);
    expect(res.body.outcomes).toEqual({ unknown: 1 });
    const { rows } = await fx.pool.query(`SELECT subscriber_id, address_hash FROM bounce_reports WHERE address_hash IS NOT NULL`);
    expect(rows).toHaveLength(1);
    expect(rows[0].subscriber_id).toBeNull();
    expect(rows[0].address_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('when a reader with bounce reports is erased, then the reports stay as counts without the reader or the diagnostic', async () => {
    const [reader] = await fx.subscribers(1);
    await post({ email: reader!.email, type: 'hard', reason: `550 5.1.1 <${reader!.email}>: user unknown` });
    expect((await request(app.url).delete(`/api/admin/subscribers/${reader!.id}`).set(adminAuth)).status).toBe(200);
    const { rows } = await fx.pool.query(`SELECT subscriber_id, reason FROM bounce_reports WHERE reason LIKE $1 OR (subscriber_id IS NULL AND address_hash IS NULL)`, [`%${reader!.email}%`]);
    expect(rows).toEqual([{ subscriber_id: null, reason: null }]);
  });

  test('when another provider is not configured, then its door answers 404', async () => {
    for (const door of ['raw', 'ses', 'postmark', 'mailgun', 'sendgrid']) {
      expect((await request(app.url).post(`/webhooks/bounces/${door}`).send({})).status).toBe(404);
    }
  });

  test('when a report quotes the Message-ID of a delivery, then it is tied to that delivery and its reader, whatever address it names', async () => {
    const [reader] = await fx.subscribers(1, { prefix: 'tied-' });
    await fx.article({ title: 'Tied story', publishedAt: new Date(app.clock.now().getTime()) });
    const send = await request(app.url).post('/api/admin/digests').set(adminAuth).send({ frequency: 'daily' });
    const digestId = send.body.digest.id as number;
    await fx.waitUntilSettled(digestId);
    const mail = app.smtp.to(reader!.email)[0]!;
    const messageId = mail.parsed.messageId!;
    expect(messageId).toMatch(new RegExp(`^<${digestId}\\.${reader!.id}\\.`));
    expect(mail.mailFrom).toBe('newsletter@localhost'); // no VERP unless MAIL_BOUNCE_VERP
    const stored = await fx.pool.query(`SELECT message_id FROM deliveries WHERE digest_id = $1 AND subscriber_id = $2`, [digestId, reader!.id]);
    expect(stored.rows[0].message_id).toBe(messageId);

    const hardBounces = async () => parsePrometheusText((await request(app.url).get('/metrics').expect(200)).text).value('bulletin_bounces_total', { newsletter: 'daily', kind: 'hard' }) ?? 0;
    const before = await hardBounces();
    const res = await post({ email: 'an-alias@example.test', type: 'hard', messageId });
    expect(res.body.outcomes).toEqual({ suppressed: 1 });
    const { rows } = await fx.pool.query(`SELECT subscriber_id, digest_id FROM bounce_reports WHERE subscriber_id = $1`, [reader!.id]);
    expect(rows).toEqual([{ subscriber_id: reader!.id, digest_id: digestId }]);
    // Counted for the edition's newsletter, once: the same report again counts nothing.
    expect(await hardBounces()).toBe(before + 1);
    await post({ email: 'an-alias@example.test', type: 'hard', messageId, id: 'x' }).then(() => post({ email: 'an-alias@example.test', type: 'hard', messageId, id: 'x' }));
    expect(await hardBounces()).toBe(before + 2);
  });
});

describe('bounce webhook rate limit', () => {
  test('when one IP posts more than BOUNCE_WEBHOOK_LIMIT_PER_IP in the window, then 429 with Retry-After, forged or not', async () => {
    const app = await startTestBulletin({ ...QUIET_SCHEDULES, BOUNCE_WEBHOOK_SECRET: BOUNCE_SECRET, BOUNCE_WEBHOOK_LIMIT_PER_IP: '2' });
    try {
      const forged = () => postGeneric(app.url, { email: 'a@example.test', type: 'hard' }, { secret: 'not-the-secret-0123456789abcdef0123' });
      expect((await forged()).status).toBe(401);
      expect((await forged()).status).toBe(401);
      const limited = await postGeneric(app.url, { email: 'a@example.test', type: 'hard' });
      expect(limited.status).toBe(429);
      expect(limited.headers['retry-after']).toBeDefined();
    } finally {
      await app.stop();
    }
  });
});
