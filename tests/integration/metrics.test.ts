import request from 'supertest';
import { startTestBulletin, type TestBulletin, adminAuth, QUIET_SCHEDULES } from '../helpers/test-bulletin';
import { DigestFixtures } from '../helpers/digest-fixtures';
import { parsePrometheusText, type Exposition } from '../helpers/prometheus-text';
import { relative, subscribeAndConfirm, uniqueEmail } from './subscription-test-kit';
import { LEDGER_PENDING } from '../../src/metrics/metrics-queries';

/** GET /metrics through the real service: what the counters say after real signups and sends. */
describe('metrics', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
  beforeEach(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES, METRICS_TOKEN, MAIL_RETURN_PATH: 'Bounces@Example.test' });
    fx = new DigestFixtures(app.db.url);
  });
  afterEach(async () => {
    await fx.close();
    await app.stop();
  });

  const scrape = async (): Promise<Exposition> => {
    const res = await request(app.url).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(res.text);
  };
  const sendNow = (newsletter: string) => request(app.url).post('/api/admin/digests').set(adminAuth).send({ newsletter });

  test('when a reader signs up and confirms and an edition goes out with one address refused (550), then the counters, the bounce and the SMTP histogram show it', async () => {
    const email = uniqueEmail();
    const { confirmMail, welcome } = await subscribeAndConfirm(app, email, { newsletters: 'daily' });
    const readers = await fx.subscribers(2, { newsletters: ['daily'] });
    const [refused] = await fx.subscribers(1, { newsletters: ['daily'] });
    app.smtp.reject = (to) => (to === refused!.email ? 550 : undefined);
    await fx.article({ title: 'Harbour reopens' });

    const edition = await sendNow('daily');
    expect(edition.status).toBe(201);
    const digestId = edition.body.digest.id as number;
    expect(await fx.waitUntilSettled(digestId)).toEqual({ sent: 3, failed: 1 });

    const m = await scrape();
    expect(m.value('bulletin_signups_total', { newsletter: 'daily' })).toBe(1);
    expect(m.value('bulletin_confirmations_total')).toBe(1);
    expect(m.value('bulletin_deliveries_total', { newsletter: 'daily', outcome: 'sent' })).toBe(3);
    expect(m.value('bulletin_deliveries_total', { newsletter: 'daily', outcome: 'failed' })).toBe(1);
    expect(m.value('bulletin_bounces_total', { newsletter: 'daily', kind: 'hard' })).toBe(1);
    expect(m.types.get('bulletin_complaints_total')).toBe('counter');
    expect(m.value('bulletin_smtp_reply_seconds_count', { reply: '2xx' })).toBe(3);
    expect(m.value('bulletin_smtp_reply_seconds_count', { reply: '5xx' })).toBe(1);
    expect(m.value('bulletin_smtp_reply_seconds_bucket', { reply: '2xx', le: '+Inf' })).toBe(3);
    // pg-boss's queues are listed (their counts are its monitor's, refreshed every minute).
    expect(m.find('bulletin_queue_jobs', { state: 'queued' }).length).toBeGreaterThan(0);

    // Item 7: Feedback-ID on the edition, none on transactional mail; bounces go to MAIL_RETURN_PATH.
    const [digestMail] = app.smtp.to(readers[0]!.email);
    expect(digestMail!.header('Feedback-ID')).toEqual([`${digestId}:daily:bulletin:localhost`]);
    expect(digestMail!.mailFrom).toBe('bounces@example.test');
    expect(digestMail!.parsed.from?.value[0]?.address).toBe('newsletter@localhost');
    for (const mail of [confirmMail, welcome]) {
      expect(mail.header('Feedback-ID')).toEqual([]);
      expect(mail.mailFrom).toBe('bounces@example.test');
    }

    // The edition's one-click unsubscribe leaves Daily: counted once, a second click changes nothing.
    const unsubscribe = relative(digestMail!.header('List-Unsubscribe')[0]!.replace(/^<([^>]+)>.*$/, '$1'));
    await request(app.url).post(unsubscribe).type('form').send('List-Unsubscribe=One-Click').expect(200);
    await request(app.url).post(unsubscribe).type('form').send('List-Unsubscribe=One-Click').expect(200);
    expect((await scrape()).value('bulletin_unsubscribes_total', { newsletter: 'daily' })).toBe(1);
  });

  test('when an edition is still sending, then the ledger gauge counts its unsettled deliveries by newsletter, and a reader who left meanwhile is counted skipped', async () => {
    await fx.newsletter({ slug: 'sports', name: 'Sports' });
    await fx.subscribers(2, { newsletters: ['sports'] });
    const [left] = await fx.subscribers(1, { newsletters: ['daily'] });
    await fx.article({ title: 'Harbour FC wins the cup' });
    let answer!: () => void;
    app.smtp.answerAfter = new Promise((resolve) => (answer = resolve));
    const edition = await sendNow('sports');
    expect(edition.status).toBe(201);
    const digestId = edition.body.digest.id as number;
    await app.smtp.waitFor(() => true);

    // Both deliveries are claimed or waiting; none can settle while the server holds its answer.
    const m = await scrape();
    const unsettled = m.find('bulletin_ledger_pending_deliveries', { newsletter: 'sports' }).reduce((n, s) => n + s.value, 0);
    expect(unsettled).toBe(2);
    expect(m.find('bulletin_ledger_pending_deliveries', { newsletter: 'daily' })).toEqual([]);

    // A delivery whose reader holds no Sports subscription: the claim turns it into 'skipped'.
    await fx.pool.query(`INSERT INTO deliveries (digest_id, subscriber_id) VALUES ($1, $2)`, [digestId, left!.id]);
    answer();
    app.smtp.answerAfter = undefined;
    expect(await fx.waitUntilSettled(digestId)).toEqual({ sent: 2, skipped: 1 });
    const after = await scrape();
    expect(after.value('bulletin_deliveries_total', { newsletter: 'sports', outcome: 'skipped' })).toBe(1);
    expect(after.value('bulletin_deliveries_total', { newsletter: 'sports', outcome: 'sent' })).toBe(2);
  });

  test('when the request comes through a proxy or from elsewhere, then /metrics is not found, a wrong token is refused and the right one opens it', async () => {
    const viaProxy = () => request(app.url).get('/metrics').set('X-Forwarded-For', '203.0.113.7');
    expect((await viaProxy()).status).toBe(404);
    expect((await request(app.url).get('/metrics').set('Forwarded', 'for=203.0.113.7')).status).toBe(404);
    expect((await viaProxy().set('Authorization', 'Bearer not-the-token')).status).toBe(401);
    const opened = await viaProxy().set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
    expect(opened.text).toContain('bulletin_signups_total');
  });

  test('when the ledger holds a finished edition of many deliveries, then the scrape reads none of them (its plan walks the index)', async () => {
    const [reader] = await fx.subscribers(1, { newsletters: ['daily'] });
    await fx.article({ title: 'Budget passes' });
    const edition = await sendNow('daily');
    await fx.waitUntilSettled(edition.body.digest.id);
    // 50,000 settled deliveries of a done edition, and a second edition still sending.
    await fx.pool.query(`WITH d AS (INSERT INTO digests (newsletter_id, edition_key, edition_at, window_start, window_end, public_id, subject, html, text, article_ids, status)
        SELECT newsletter_id, 'slot:big', edition_at, window_start, window_end, 'big-edition', subject, html, text, article_ids, 'done' FROM digests WHERE id = $1 RETURNING id)
      INSERT INTO subscribers (email, status, updated_at) SELECT 'big' || g || '@example.test', 'confirmed', now() FROM generate_series(1, 50000) g`, [edition.body.digest.id]);
    await fx.pool.query(`INSERT INTO deliveries (digest_id, subscriber_id, status)
        SELECT (SELECT id FROM digests WHERE edition_key = 'slot:big'), id, 'sent' FROM subscribers WHERE email LIKE 'big%'`);
    await fx.pool.query(`UPDATE digests SET status = 'sending' WHERE id = $1`, [edition.body.digest.id]);
    await fx.pool.query('ANALYZE deliveries');
    const { rows } = await fx.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${LEDGER_PENDING}`);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).not.toMatch(/Seq Scan on deliveries/);
    expect(plan).toMatch(/Index Only Scan using deliveries_digest_id_status_subscriber_id_idx/);
    expect(reader).toBeDefined();
  });
});
