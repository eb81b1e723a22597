import crypto from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { DeliveryLedger } from '../../src/digests/delivery-ledger';
import { systemClock } from '../../src/shared/clock';
import { DigestFixtures } from '../helpers/digest-fixtures';
import { startTestBulletin, type TestBulletin, adminAuth, QUIET_SCHEDULES } from '../helpers/test-bulletin';
import { confirmThroughLink, linkIn, query, queryOne, subscribeAndConfirm, submitSignup, uniqueEmail } from './subscription-test-kit';

describe('privacy requests', () => {
  let app: TestBulletin;
  let fixtures: DigestFixtures;
  let pool: pg.Pool;
  beforeAll(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES });
    fixtures = new DigestFixtures(app.db.url);
    pool = new pg.Pool({ connectionString: app.db.url, max: 2 });
  });
  afterAll(async () => {
    await fixtures?.close();
    await pool?.end();
    await app?.stop();
  });

  const api = () => request(app.url);

  /** HMAC-SHA256 of the address under the installation's salt: what erased_addresses keeps. */
  async function erasedHash(email: string): Promise<string> {
    const salt = (await queryOne<{ salt: string }>(app, 'SELECT salt FROM erasure_salt'))!.salt;
    return crypto.createHmac('sha256', Buffer.from(salt, 'hex')).update(email).digest('hex');
  }

  /**
   * An edition of `daily` with one delivery per subscriber in the given state; `held`: marked done,
   * so the service's sender leaves it alone until the test puts it back to sending.
   */
  async function edition(deliveries: { subscriberId: number; status: 'pending' | 'sent' | 'failed' }[], held = false): Promise<number> {
    const newsletterId = await fixtures.newsletterId('daily');
    const key = crypto.randomBytes(6).toString('hex');
    const { rows } = await pool.query<{ id: number }>(
      `INSERT INTO digests (newsletter_id, edition_key, edition_at, window_start, window_end, public_id, subject, html, text, article_ids, status)
       VALUES ($1, $2, now(), now() - interval '1 day', now(), $3, 'Edition', '<p>x</p>', 'x', '{}', $4::"DigestStatus") RETURNING id`,
      [newsletterId, `slot:${key}`, key, held ? 'done' : 'sending'],
    );
    const digestId = rows[0]!.id;
    for (const d of deliveries) {
      await pool.query(
        `INSERT INTO deliveries (digest_id, subscriber_id, status, sent_at, message_id, last_error)
         VALUES ($1, $2, $3::"DeliveryStatus", CASE WHEN $3 = 'sent' THEN now() END, '<m@x>', CASE WHEN $3 = 'failed' THEN '550 reader@x unknown' END)`,
        [digestId, d.subscriberId, d.status],
      );
    }
    return digestId;
  }

  describe('a reader’s data (GET /api/admin/subscribers/:id/data)', () => {
    test('when asked, then it holds the subscriber, subscriptions by slug, consents, deliveries and pending links, never a token', async () => {
      const email = uniqueEmail('data');
      const { subscriberId } = await subscribeAndConfirm(app, email, { name: 'Dana' });
      const digestId = await edition([{ subscriberId, status: 'sent' }]);
      // A manage link out by email: shown by purpose and time only.
      await pool.query(`INSERT INTO tokens (subscriber_id, purpose, hash, expires_at) VALUES ($1, 'manage', $2, now() + interval '1 hour')`, [
        subscriberId,
        crypto.randomBytes(32).toString('hex'),
      ]);

      const res = await api().get(`/api/admin/subscribers/${subscriberId}/data`).set(adminAuth).expect(200);

      expect(res.body.subscriber).toMatchObject({ id: subscriberId, email, name: 'Dana', status: 'confirmed' });
      expect(res.body.subscriptions).toEqual([{ newsletter: 'daily', createdAt: expect.any(String) }]);
      expect(res.body.consents.map((c: { event: string }) => c.event)).toEqual(['signup', 'confirmation']);
      expect(res.body.consents[0]).toMatchObject({ newsletter: 'daily', source: 'form', ip: expect.any(String) });
      expect(res.body.deliveries).toEqual([
        { editionId: digestId, publicId: expect.any(String), newsletter: 'daily', editionAt: expect.any(String), status: 'sent', attempts: 0, sentAt: expect.any(String) },
      ]);
      expect(res.body.pendingTokens).toEqual([{ purpose: 'manage', createdAt: expect.any(String), expiresAt: expect.any(String) }]);
      const hashes = await query<{ hash: string }>(app, 'SELECT hash FROM tokens WHERE subscriber_id = $1', [subscriberId]);
      for (const { hash } of hashes) expect(res.text).not.toContain(hash);
    });

    test('when the id is unknown or not an id, then 404', async () => {
      await api().get('/api/admin/subscribers/99999999/data').set(adminAuth).expect(404);
      await api().get('/api/admin/subscribers/abc/data').set(adminAuth).expect(404);
    });
  });

  describe('erasure (DELETE /api/admin/subscribers/:id)', () => {
    test('when a reader is erased, then their personal data is gone and the address is kept only as a salted hash', async () => {
      const email = uniqueEmail('erase');
      const { subscriberId } = await subscribeAndConfirm(app, email, { name: 'Erin' });
      await pool.query(`INSERT INTO mail_requests (kind, subscriber_id) VALUES ('welcome', $1)`, [subscriberId]);
      await pool.query(`INSERT INTO manage_requests (address_hash, requested_at) VALUES (encode(sha256(convert_to($1, 'UTF8')), 'hex'), now())`, [email]);

      const res = await api().delete(`/api/admin/subscribers/${subscriberId}`).set(adminAuth).expect(200);

      expect(res.body).toMatchObject({ erased: true });
      for (const table of ['subscribers WHERE id = $1', 'consents WHERE subscriber_id = $1', 'tokens WHERE subscriber_id = $1', 'subscriptions WHERE subscriber_id = $1', 'mail_requests WHERE subscriber_id = $1']) {
        expect(await query(app, `SELECT 1 FROM ${table}`, [subscriberId])).toEqual([]);
      }
      expect(await query(app, `SELECT 1 FROM manage_requests WHERE address_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')`, [email])).toEqual([]);
      expect(await query(app, 'SELECT address_hash FROM erased_addresses WHERE address_hash = $1', [await erasedHash(email)])).toHaveLength(1);
      // Neither the address nor its plain SHA-256 anywhere in the table.
      const plain = crypto.createHash('sha256').update(email).digest('hex');
      expect(await query(app, 'SELECT 1 FROM erased_addresses WHERE address_hash = $1 OR address_hash LIKE $2', [plain, `%${email}%`])).toEqual([]);
      await api().get(`/api/admin/subscribers/${subscriberId}/data`).set(adminAuth).expect(404);
      await api().delete(`/api/admin/subscribers/${subscriberId}`).set(adminAuth).expect(404);
      // The audit log says who erased which id, never the address.
      const audit = await query<{ actor_label: string; subject_type: string; details: unknown }>(
        app,
        `SELECT actor_label, subject_type, details FROM audit_log WHERE action = 'reader_erased' AND subject_id = $1`,
        [String(subscriberId)],
      );
      expect(audit).toEqual([{ actor_label: 'ADMIN_TOKEN', subject_type: 'subscriber', details: { deliveriesKept: 0 } }]);
      expect(JSON.stringify(await query(app, 'SELECT * FROM audit_log'))).not.toContain(email);
    });

    test('when a reader is erased, then every edition keeps its counts and their rows name nobody', async () => {
      const [a, b, c] = await fixtures.subscribers(3);
      // Held (done): the sender would otherwise complete it between the two readings.
      const first = await edition(
        [
          { subscriberId: a!.id, status: 'sent' },
          { subscriberId: b!.id, status: 'sent' },
          { subscriberId: c!.id, status: 'failed' },
        ],
        true,
      );
      const before = await fixtures.deliveryCounts(first);
      const listed = async () => (await api().get('/api/admin/digests').set(adminAuth).expect(200)).body.digests.find((d: { id: number }) => d.id === first);
      const listedBefore = await listed();

      await api().delete(`/api/admin/subscribers/${a!.id}`).set(adminAuth).expect(200);
      await api().delete(`/api/admin/subscribers/${c!.id}`).set(adminAuth).expect(200);

      expect(await fixtures.deliveryCounts(first)).toEqual(before);
      expect(await listed()).toEqual(listedBefore);
      const rows = await query<{ subscriber_id: number; message_id: string | null; last_error: string | null }>(
        app,
        'SELECT subscriber_id, message_id, last_error FROM deliveries WHERE digest_id = $1 AND subscriber_id <> $2',
        [first, b!.id],
      );
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(row.subscriber_id).toBeLessThan(0);
        expect(await query(app, 'SELECT 1 FROM subscribers WHERE id = $1', [row.subscriber_id])).toEqual([]);
        expect(row).toMatchObject({ message_id: null, last_error: null });
      }
    });

    test('when an erased reader had a pending delivery, then the sender skips it, sends the others and finishes the edition', async () => {
      const [kept, erased] = await fixtures.subscribers(2);
      const digestId = await edition(
        [
          { subscriberId: kept!.id, status: 'pending' },
          { subscriberId: erased!.id, status: 'pending' },
        ],
        true,
      );

      await api().delete(`/api/admin/subscribers/${erased!.id}`).set(adminAuth).expect(200);
      await pool.query(`UPDATE digests SET status = 'sending' WHERE id = $1`, [digestId]);

      expect(await fixtures.waitUntilSettled(digestId)).toEqual({ sent: 1, skipped: 1 });
      expect(app.smtp.to(kept!.email)).toHaveLength(1);
      expect(app.smtp.to(erased!.email)).toEqual([]);
      // A claim made now finds nothing of the erased reader either.
      const ledger = new DeliveryLedger({ pool, clock: systemClock });
      expect((await ledger.claim(100, 60)).filter((d) => d.digestId === digestId)).toEqual([]);
    });

    test('when an erased reader signs up again through the form and confirms, then that new consent frees the address for imports', async () => {
      const email = uniqueEmail('back');
      const { subscriberId, confirmMail: first } = await subscribeAndConfirm(app, email);
      await api().delete(`/api/admin/subscribers/${subscriberId}`).set(adminAuth).expect(200);
      const importOnce = () =>
        api()
          .post('/api/admin/subscribers/import')
          .query({ newsletters: 'weekly', status: 'confirmed', consent: 'Asked again at the fair' })
          .set(adminAuth)
          .set('Content-Type', 'text/csv')
          .send(`email\n${email}\n`)
          .expect(200);

      // While they have not confirmed, an import still leaves them alone.
      await submitSignup(app, { email }).expect(200);
      expect((await importOnce()).body).toMatchObject({ merged: 0, skippedCount: 1 });
      const mail = await app.smtp.waitFor((m) => m !== first && m.to.includes(email) && /confirm/i.test(m.parsed.subject ?? ''));
      expect((await confirmThroughLink(app, linkIn(mail, '/confirm'))).status).toBe(200);

      expect((await importOnce()).body).toMatchObject({ merged: 1, skippedCount: 0 });
      expect(await query(app, 'SELECT 1 FROM erased_addresses WHERE address_hash = $1', [await erasedHash(email)])).toEqual([]);
    });
  });
});
