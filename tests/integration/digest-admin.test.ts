import { latestSlot } from '../../src/digests/slots';
import request from 'supertest';
import { startTestBulletin, type TestBulletin, adminAuth, QUIET_SCHEDULES, startInstanceBeside } from '../helpers/test-bulletin';
import { DigestFixtures } from '../helpers/digest-fixtures';
import { DkimTestKey } from '../helpers/dkim-verifier';


describe('digest admin API', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  beforeEach(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES, SEND_MAX_ATTEMPTS: '1' });
    fx = new DigestFixtures(app.db.url);
  });
  afterEach(async () => {
    await fx.close();
    await app.stop();
  });

  test('when no token is given, then every digest endpoint answers 401', async () => {
    for (const res of [
      await request(app.url).get('/api/admin/digests'),
      await request(app.url).get('/api/admin/digests/preview?frequency=daily'),
      await request(app.url).post('/api/admin/digests').send({ frequency: 'daily' }),
      await request(app.url).post('/api/admin/digests/1/retry-failed'),
      await request(app.url).get('/api/admin/digests').set('Authorization', 'Bearer wrong-token-0123456789abcdef'),
    ]) {
      expect(res.status).toBe(401);
    }
  });

  test('when the frequency is not known, then the answer is 400', async () => {
    const res = await request(app.url).post('/api/admin/digests').set(adminAuth).send({ frequency: 'hourly' });
    expect(res.status).toBe(400);
    expect(res.body.fields).toHaveProperty('frequency');
  });

  test('when a preview is asked, then the HTML is shown and nothing is stored or sent', async () => {
    await fx.subscribers(1);
    await fx.article({ title: 'Preview headline' });
    const res = await request(app.url).get('/api/admin/digests/preview?frequency=daily').set(adminAuth);
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/html');
    expect(res.text).toContain('Preview headline');
    expect(res.text).not.toContain('%%');
    const list = await request(app.url).get('/api/admin/digests').set(adminAuth);
    expect(list.body.digests).toEqual([]);
    expect(app.smtp.messages).toHaveLength(0);
  });

  test('when digests were sent, then the list shows their counts and no subscriber data', async () => {
    const [ok, bad] = await fx.subscribers(2);
    app.smtp.reject = (to) => (to === bad!.email ? 550 : undefined);
    await fx.article({ title: 'Counted story' });
    const sent = await request(app.url).post('/api/admin/digests').set(adminAuth).send({ frequency: 'daily' });
    await fx.waitUntilSettled(sent.body.digest.id);
    const list = await request(app.url).get('/api/admin/digests').set(adminAuth);
    expect(list.status).toBe(200);
    expect(list.body.digests).toHaveLength(1);
    expect(list.body.digests[0]).toMatchObject({
      id: sent.body.digest.id,
      newsletter: 'daily',
      articleCount: 1,
      counts: { pending: 0, sending: 0, sent: 1, failed: 1, skipped: 0 },
    });
    expect(JSON.stringify(list.body)).not.toContain('@example.test');
    expect(JSON.stringify(list.body)).not.toMatch(/\?s=\d+\./);
    expect(app.smtp.to(ok!.email)).toHaveLength(1);
  });

  test('when failed deliveries are retried, then they are sent again', async () => {
    const [reader] = await fx.subscribers(1);
    app.smtp.reject = () => 451;
    await fx.article({ title: 'Second chance' });
    const sent = await request(app.url).post('/api/admin/digests').set(adminAuth).send({ frequency: 'daily' });
    const id = sent.body.digest.id;
    expect(await fx.waitUntilSettled(id)).toEqual({ failed: 1 });
    app.smtp.reject = () => undefined;
    const retry = await request(app.url).post(`/api/admin/digests/${id}/retry-failed`).set(adminAuth);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ requeued: 1 });
    await app.smtp.waitFor((m) => m.to.includes(reader!.email));
    expect(await fx.waitUntilSettled(id)).toEqual({ sent: 1 });
    const missing = await request(app.url).post('/api/admin/digests/999999/retry-failed').set(adminAuth);
    expect(missing.status).toBe(404);
  });
});

describe('digest schedule catch-up and DKIM', () => {
  test('when instances start after a missed slot, then the slot is composed once and signed with DKIM', async () => {
    // A first instance without jobs only provides the database and the SMTP peer.
    const base = await startTestBulletin({ RUN_JOBS: 'false' });
    const fx = new DigestFixtures(base.db.url);
    const key = new DkimTestKey('example.test', 'bulletin');
    try {
      const readers = await fx.subscribers(3);
      // In the hour before the most recent slot: the first window of an hourly schedule.
      await fx.article({ title: 'Missed while down', publishedAt: new Date(latestSlot('0 * * * *', 'UTC', new Date()).getTime() - 10 * 60_000) });
      const env = {
        // Hourly (applied to the `daily` newsletter at start): the most recent slot is after the article.
        DIGEST_DAILY_CRON: '0 * * * *',
        DIGEST_WEEKLY_CRON: '0 0 1 1 *',
        UNSUBSCRIBE_MAILTO: 'unsubscribe@example.test',
        DKIM_DOMAIN: 'example.test',
        DKIM_SELECTOR: 'bulletin',
        DKIM_PRIVATE_KEY: key.privateKeyPem,
      };
      // Two instances start at once: both catch up the same slot, only one edition is made.
      const instances = await Promise.all([startInstanceBeside(base, env), startInstanceBeside(base, env)]);
      try {
        const { rows } = await fx.pool.query(`SELECT id, edition_at FROM digests`);
        expect(rows).toHaveLength(1);
        const slot = new Date(rows[0].edition_at);
        expect([slot.getUTCMinutes(), slot.getUTCSeconds(), slot.getUTCMilliseconds()]).toEqual([0, 0, 0]);
        const counts = await fx.waitUntilSettled(rows[0].id);
        expect(counts).toEqual({ sent: 3 });
        expect(base.smtp.messages).toHaveLength(3);
        expect(new Set(base.smtp.messages.flatMap((m) => m.to))).toEqual(new Set(readers.map((r) => r.email)));
        const [unsubscribe] = base.smtp.messages[0]!.header('List-Unsubscribe');
        expect(unsubscribe).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/unsubscribe\?s=[\w.-]+>,\s*<mailto:unsubscribe@example\.test\?subject=unsubscribe>$/);
        const signature = base.smtp.messages[0]!.header('DKIM-Signature')[0];
        expect(signature).toBeDefined();
        expect(signature).toMatch(/d=example\.test/);
        expect(signature).toMatch(/s=bulletin/);
        expect(signature!.replace(/\s+/g, '')).toMatch(/h=[^;]*list-unsubscribe/i);
        // As a receiving server checks it: the public key from DNS, every copy as the peer got it.
        for (const received of base.smtp.messages) {
          const verdicts = await key.verify(received.raw);
          expect(verdicts.map((v) => [v.result, v.signedHeaders])).toEqual([
            ['pass', expect.stringMatching(/^From: .*To: .*List-Unsubscribe: List-Unsubscribe-Post: Feedback-ID$/)],
          ]);
        }
        expect(key.lookups).toContain('TXT bulletin._domainkey.example.test');
        // A copy changed on the way (another reader's address) fails: the check can fail.
        const forged = base.smtp.messages[0]!.raw.replace(/^To: .*$/m, 'To: someone-else@example.test');
        expect((await key.verify(forged)).map((v) => v.result)).not.toContain('pass');
      } finally {
        await Promise.all(instances.map((i) => i.stop()));
      }
    } finally {
      await fx.close();
      await base.stop();
    }
  });
});
