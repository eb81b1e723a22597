import request from 'supertest';
import { DigestFixtures, stopSmtpAbruptly } from '../helpers/digest-fixtures';
import { BOUNCE_SECRET, postGeneric } from '../helpers/bounce-webhooks';
import { adminAuth, QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';

describe('a complaint while an edition is sending', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  beforeEach(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES, BOUNCE_WEBHOOK_SECRET: BOUNCE_SECRET, SEND_RETRY_DELAY_SECONDS: '1' });
    fx = new DigestFixtures(app.db.url);
  });
  afterEach(async () => {
    await fx.close();
    await app.stop();
  });

  const sendNow = async (): Promise<number> => {
    const res = await request(app.url).post('/api/admin/digests').set(adminAuth).send({ frequency: 'daily' });
    expect(res.status).toBe(201);
    return res.body.digest.id;
  };

  test('when a reader complains about the last edition while the next one sends, then the rest of it skips them', async () => {
    const readers = await fx.subscribers(30);
    const complainer = readers[readers.length - 1]!;
    await fx.article({ title: 'Yesterday', publishedAt: new Date(Date.now() - 60_000) });
    const first = await sendNow();
    expect(await fx.waitUntilSettled(first)).toEqual({ sent: 30 });
    const messageId = app.smtp.to(complainer.email)[0]!.parsed.messageId!;

    // The next edition is held up (server unreachable) after its recipients were recorded...
    await fx.article({ title: 'Today', publishedAt: new Date() });
    const port = app.smtp.port;
    await stopSmtpAbruptly(app.smtp);
    const second = await sendNow();
    await waitFor(async () => {
      const { rows } = await fx.pool.query(
        `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(last_error)::int AS failed FROM deliveries WHERE digest_id = $1`,
        [second],
      );
      return rows[0].pending === 30 && rows[0].failed > 0;
    });
    // ...when the complaint about the first edition arrives through the webhook; then it goes on.
    const res = await postGeneric(app.url, { email: complainer.email, type: 'complaint', messageId });
    expect(res.body.outcomes).toEqual({ complained: 1 });
    await app.smtp.start(port);
    expect(await fx.waitUntilSettled(second, 30_000, () => app.clock.skip(1000))).toEqual({ sent: 29, skipped: 1 });
    expect(app.smtp.to(complainer.email)).toHaveLength(1);
    const { rows } = await fx.pool.query(
      `SELECT c.newsletter_id, r.digest_id FROM consents c, bounce_reports r WHERE c.event = 'complaint' AND c.subscriber_id = $1 AND r.subscriber_id = $1`,
      [complainer.id],
    );
    // The complaint is about the first edition's newsletter, and the report names that delivery.
    expect(rows).toEqual([{ newsletter_id: await fx.newsletterId('daily'), digest_id: first }]);
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
