import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import request from 'supertest';
import { AlertComposer, type AlertOutcome } from '../../src/digests/alert-composer';
import { AlertRenderer } from '../../src/digests/alert-renderer';
import { DeliveryLedger } from '../../src/digests/delivery-ledger';
import { DigestRepository } from '../../src/digests/digest-repository';
import { POLL_FEEDS_QUEUE } from '../../src/articles/article-jobs';
import type { Newsletter } from '../../src/newsletters/newsletter';
import { Templates } from '../../src/mail/templates';
import { systemClock } from '../../src/shared/clock';
import { templatesDir } from '../../src/wiring';
import type { RunningBulletin } from '../../src/main';
import { createLogger } from '../../src/shared/logger';
import { AlertFixtures } from '../helpers/alert-fixtures';
import { until } from '../helpers/until';
import { adminAuth, QUIET_SCHEDULES, startTestBulletin, type TestBulletin, startInstanceBeside } from '../helpers/test-bulletin';
import type { CapturedMail } from '../helpers/smtp-capture';
import { ALERT_QUEUE } from '../../src/digests/alert-jobs';

let seq = 0;
function article(over: Record<string, unknown> = {}) {
  const n = ++seq;
  return {
    title: `Storm closes the harbour ${n}`,
    url: `https://news.example.test/breaking/${n}-${Date.now()}`,
    summary: 'Ferries stay in port until the wind drops, the harbour master said.',
    categories: ['Politics'],
    breaking: true,
    ...over,
  };
}

/** Until no alert job waits or runs: after it, a second email would already have been composed. */
const alertJobsSettled = (fx: AlertFixtures) => waitForJobs(fx, ALERT_QUEUE);

/** Until every delivery is settled: all alerts are sent, so the inbox is complete. */
async function deliveriesSettled(fx: AlertFixtures): Promise<void> {
  let n = 0;
  const settled = async () => {
    ({ n } = (await fx.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM deliveries WHERE status IN ('pending', 'sending')`)).rows[0]!);
    return n === 0;
  };
  await until(settled, { timeoutMs: 15_000, everyMs: 100, what: () => `${n} deliveries settled` });
}

async function activeNewsletters(pool: pg.Pool): Promise<Newsletter[]> {
  const { rows } = await pool.query(
    `SELECT id, slug, name, kind::text AS kind, categories, time_zone AS "timeZone", archived_at AS "archivedAt"
       FROM newsletters WHERE archived_at IS NULL ORDER BY position, id`,
  );
  return rows as Newsletter[];
}

const titled = (messages: CapturedMail[], title: string) => messages.filter((m) => (m.parsed.text ?? '').includes(title));

describe('breaking-news alerts', () => {
  let app: TestBulletin;
  let fx: AlertFixtures;
  let politics: Array<{ email: string }>;
  let everything: Array<{ email: string }>;
  let digestOnly: Array<{ email: string }>;
  let pending: Array<{ email: string }>;
  let archivedOnly: Array<{ email: string }>;

  beforeAll(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES, MAIL_FROM: 'The Daily Courier <news@courier.example>' });
    fx = new AlertFixtures(app.db.url);
    await fx.newsletter('politics-alerts', { name: 'Politics Alerts', categories: ['politics'] });
    await fx.newsletter('all-alerts', { name: 'News Alerts' });
    await fx.newsletter('old-alerts', { name: 'Old Alerts', archived: true });
    politics = await fx.readers(2, ['politics-alerts', 'daily']);
    everything = await fx.readers(1, ['all-alerts']);
    digestOnly = await fx.readers(2, ['daily']);
    pending = await fx.readers(1, ['politics-alerts', 'all-alerts'], { status: 'pending' });
    archivedOnly = await fx.readers(1, ['old-alerts']);
  });
  afterAll(async () => {
    await fx?.close();
    await app?.stop();
  });

  test('when a breaking article is posted, then only the confirmed readers of the alert newsletters it matches receive one email each', async () => {
    const posted = article({ categories: ['POLITICS', 'Local'] });
    const res = await request(app.url).post('/api/admin/articles').set(adminAuth).send(posted).expect(201);
    expect(res.body.article.breaking).toBe(true);
    const id = res.body.article.id as number;

    const first = await app.smtp.waitFor((m) => (m.parsed.text ?? '').includes(posted.title));
    await alertJobsSettled(fx);
    await deliveriesSettled(fx);
    const got = titled(app.smtp.messages, posted.title).flatMap((m) => m.to).sort();
    expect(got).toEqual([...politics, ...everything].map((r) => r.email).sort());
    for (const nobody of [...digestOnly, ...pending, ...archivedOnly]) expect(app.smtp.to(nobody.email)).toEqual([]);
    expect(await fx.alertsOf(id)).toEqual([
      expect.objectContaining({ slug: 'all-alerts', recipients: 1 }),
      expect.objectContaining({ slug: 'politics-alerts', recipients: 2 }),
    ]);

    // The email: subject in ordinary case, the article, the newsletter's footer with personal links.
    expect(first.parsed.subject).toMatch(new RegExp(`^Breaking: ${posted.title} · The Daily Courier (Politics|News) Alerts$`));
    expect(first.parsed.html).toContain(posted.summary);
    expect(first.parsed.html).toContain(`href="${posted.url}"`);
    expect(first.parsed.text).toMatch(/Unsubscribe from (Politics|News) Alerts: http:\/\/127\.0\.0\.1:\d+\/unsubscribe\?s=[\w.-]+/);
    expect(first.parsed.text).toMatch(/Manage your newsletters: http:\/\/127\.0\.0\.1:\d+\/preferences\?s=[\w.-]+/);
    expect(first.header('List-Unsubscribe')[0]).toMatch(/\/unsubscribe\?s=/);
    expect(first.raw).not.toMatch(/%%\w+(:[0-9a-f]+)?%%/);
  });

  test('when the breaking article is posted again, updated, and re-flagged, then nobody gets a second alert', async () => {
    const posted = article();
    const { body } = await request(app.url).post('/api/admin/articles').set(adminAuth).send(posted).expect(201);
    await app.smtp.waitFor((m) => (m.parsed.text ?? '').includes(posted.title));
    await alertJobsSettled(fx);

    await request(app.url).post('/api/admin/articles').set(adminAuth).send(posted).expect(200);
    await request(app.url).post('/api/admin/articles').set(adminAuth).send({ ...posted, summary: 'Updated: the ferries run again.' }).expect(200);
    await request(app.url).patch(`/api/admin/articles/${body.article.id}`).set(adminAuth).send({ breaking: true, author: 'Mara Quinn' }).expect(200);
    await request(app.url).put(`/api/admin/articles/${body.article.id}`).set(adminAuth).send(posted).expect(200);
    // Taken off and put back on: still the same alert.
    await request(app.url).patch(`/api/admin/articles/${body.article.id}`).set(adminAuth).send({ breaking: false }).expect(200);
    await request(app.url).patch(`/api/admin/articles/${body.article.id}`).set(adminAuth).send({ breaking: true }).expect(200);
    await alertJobsSettled(fx);
    await deliveriesSettled(fx);

    expect(titled(app.smtp.messages, posted.title)).toHaveLength(politics.length + everything.length);
    expect(await fx.alertsOf(body.article.id)).toHaveLength(2);
  });

  test('when a breaking article matches no category filter, then only the unfiltered newsletter sends it', async () => {
    const posted = article({ categories: ['Sport'] });
    const { body } = await request(app.url).post('/api/admin/articles').set(adminAuth).send(posted).expect(201);
    await app.smtp.waitFor((m) => (m.parsed.text ?? '').includes(posted.title));
    await alertJobsSettled(fx);
    await deliveriesSettled(fx);
    expect(titled(app.smtp.messages, posted.title).flatMap((m) => m.to)).toEqual(everything.map((r) => r.email));
    expect((await fx.alertsOf(body.article.id)).map((a) => a.slug)).toEqual(['all-alerts']);
  });

  test('when an article is not breaking, then no alert; when it is updated to breaking, then the alert goes out once', async () => {
    const posted = article({ breaking: undefined });
    const { body } = await request(app.url).post('/api/admin/articles').set(adminAuth).send(posted).expect(201);
    expect(body.article.breaking).toBe(false);
    await alertJobsSettled(fx);
    expect(await fx.alertsOf(body.article.id)).toEqual([]);

    await request(app.url).patch(`/api/admin/articles/${body.article.id}`).set(adminAuth).send({ breaking: true }).expect(200);
    await app.smtp.waitFor((m) => (m.parsed.text ?? '').includes(posted.title));
    await alertJobsSettled(fx);
    await deliveriesSettled(fx);
    expect(titled(app.smtp.messages, posted.title)).toHaveLength(politics.length + everything.length);
  });

  test('when two instances compose the same article at once, again and again, then each matching newsletter has one alert', async () => {
    const id = await fx.writtenArticle({ title: 'Two instances at once', categories: ['Politics'] });
    const pools = [0, 1].map(() => new pg.Pool({ connectionString: app.db.url, max: 4 }));
    try {
      // Each composer as one instance builds it: its own pool, repository, ledger and renderer.
      const composers = pools.map(
        (pool) =>
          new AlertComposer({
            pool,
            repository: new DigestRepository({ pool }),
            ledger: new DeliveryLedger({ pool, clock: systemClock }),
            newsletters: { active: () => activeNewsletters(pool) },
            renderer: new AlertRenderer({ templates: new Templates(templatesDir), publicUrl: app.url, listName: 'Bulletin' }),
            clock: systemClock,
            logger: createLogger('silent'),
          }),
      );
      const results = (await Promise.all(Array.from({ length: 8 }, (_, i) => composers[i % 2]!.composeFor(id)))).flat();
      const composed = (slug: string) => results.filter((r: AlertOutcome) => r.newsletter === slug && r.outcome === 'composed').length;
      // The running service's catch-up may have made one first: never more than one each.
      expect(composed('politics-alerts')).toBeLessThanOrEqual(1);
      expect(composed('all-alerts')).toBeLessThanOrEqual(1);
      expect(await fx.alertsOf(id)).toEqual([
        expect.objectContaining({ slug: 'all-alerts', recipients: 1 }),
        expect.objectContaining({ slug: 'politics-alerts', recipients: 2 }),
      ]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  test('when breaking is not a boolean, then 400 names the field and nothing is written', async () => {
    const posted = article({ breaking: 'yes' });
    const res = await request(app.url).post('/api/admin/articles').set(adminAuth).send(posted).expect(400);
    expect(res.body.fields).toEqual({ breaking: expect.any(String) });
    const { rows } = await fx.pool.query(`SELECT 1 FROM articles WHERE url = $1`, [posted.url]);
    expect(rows).toEqual([]);
  });
});

describe('breaking-news alerts across crashes and instances', () => {
  test('when the process died after the write, or its job found no worker, then instances starting later send each alert once', async () => {
    // The first instance serves the API only: its alert jobs wait in the queue for a worker.
    const base = await startTestBulletin({ ...QUIET_SCHEDULES, RUN_JOBS: 'false' });
    const fx = new AlertFixtures(base.db.url);
    const instances: RunningBulletin[] = [];
    try {
      await fx.newsletter('alerts');
      const readers = await fx.readers(3, ['alerts']);
      const queued = article();
      const { body } = await request(base.url).post('/api/admin/articles').set(adminAuth).send(queued).expect(201);
      // Written, and nothing after: as if the process died before it could queue the job.
      const orphan = await fx.writtenArticle({ title: 'Bridge closed after the crash' });
      // Older than the catch-up looks back: left to the digests, not sent hours late.
      const stale = await fx.writtenArticle({ title: 'Old news' });
      await fx.pool.query(`UPDATE articles SET updated_at = now() - interval '2 hours' WHERE id = $1`, [stale]);

      // Two instances start at once: both catch up, both take jobs; each alert is made once.
      instances.push(...(await Promise.all([startInstanceBeside(base, QUIET_SCHEDULES), startInstanceBeside(base, QUIET_SCHEDULES)])));
      await base.smtp.waitFor((m) => (m.parsed.text ?? '').includes('Bridge closed after the crash'));
      await base.smtp.waitFor((m) => (m.parsed.text ?? '').includes(queued.title));
      await alertJobsSettled(fx);
      await deliveriesSettled(fx);

      for (const title of ['Bridge closed after the crash', queued.title]) {
        expect(titled(base.smtp.messages, title).flatMap((m) => m.to).sort()).toEqual(readers.map((r) => r.email).sort());
      }
      expect(await fx.alertsOf(body.article.id)).toEqual([expect.objectContaining({ slug: 'alerts', recipients: 3 })]);
      expect(await fx.alertsOf(orphan)).toEqual([expect.objectContaining({ slug: 'alerts', recipients: 3 })]);
      expect(await fx.alertsOf(stale)).toEqual([]);
      expect(titled(base.smtp.messages, 'Old news')).toEqual([]);
    } finally {
      await Promise.all(instances.map((i) => i.stop()));
      await fx.close();
      await base.stop();
    }
  }, 60_000);
});

describe('breaking-news alerts from feeds', () => {
  test('when a polled feed item carries a category mapped in BREAKING_FEED_CATEGORIES, then it is breaking and alerted once; other items are not', async () => {
    const rss = `<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette</title><link>https://gazette.example/</link>
      <item><guid>g-1</guid><title>Dam gives way upstream</title><link>https://gazette.example/dam</link><category>Breaking News</category><category>Local</category></item>
      <item><guid>g-2</guid><title>Library opens late</title><link>https://gazette.example/library</link><category>Culture</category></item>
    </channel></rss>`;
    const feed = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss));
    await new Promise<void>((resolve) => feed.listen(0, '127.0.0.1', resolve));
    const app = await startTestBulletin({
      ...QUIET_SCHEDULES,
      FEED_URLS: `http://127.0.0.1:${(feed.address() as AddressInfo).port}/rss.xml`,
      FEED_POLL_CRON: '0 0 1 1 *',
      BREAKING_FEED_CATEGORIES: 'breaking news, Urgent',
    });
    const fx = new AlertFixtures(app.db.url);
    const boss = new PgBoss({ connectionString: app.db.url, schema: 'pgboss', schedule: false, supervise: false });
    try {
      await fx.newsletter('alerts');
      const readers = await fx.readers(2, ['alerts']);
      await boss.start();
      // Two polls: the item is new in the first, unchanged in the second.
      for (let poll = 0; poll < 2; poll++) {
        await boss.send(POLL_FEEDS_QUEUE, {});
        await app.smtp.waitFor((m) => (m.parsed.text ?? '').includes('Dam gives way upstream'));
        await alertJobsSettled(fx);
      }
      await waitForJobs(fx, POLL_FEEDS_QUEUE);
      await deliveriesSettled(fx);
      const { rows } = await fx.pool.query(`SELECT source_id, breaking FROM articles ORDER BY source_id`);
      expect(rows).toEqual([
        { source_id: 'g-1', breaking: true },
        { source_id: 'g-2', breaking: false },
      ]);
      expect(titled(app.smtp.messages, 'Dam gives way upstream').flatMap((m) => m.to).sort()).toEqual(readers.map((r) => r.email).sort());
      expect(titled(app.smtp.messages, 'Library opens late')).toEqual([]);
    } finally {
      await boss.stop({ graceful: false }).catch(() => {});
      await fx.close();
      await app.stop();
      await new Promise<void>((resolve) => feed.close(() => resolve()));
    }
  }, 60_000);
});

async function waitForJobs(fx: AlertFixtures, queue: string): Promise<void> {
  let n = 0;
  const idle = async () => {
    ({ n } = (
      await fx.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`, [queue])
    ).rows[0]!);
    return n === 0;
  };
  await until(idle, { timeoutMs: 15_000, everyMs: 100, what: () => `${queue} idle (${n} jobs waiting)` });
}
