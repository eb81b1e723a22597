import type { RunningBulletin } from '../../src/main';
import { EDITIONS_QUEUE, NewsletterSchedules } from '../../src/digests/newsletter-schedules';
import type { EditionComposer } from '../../src/digests/edition-composer';
import { latestSlot } from '../../src/digests/slots';
import { startJobQueue, type PgBoss } from '../../src/jobs/job-queue';
import { NewsletterRepository } from '../../src/newsletters/newsletter-repository';
import { systemClock } from '../../src/shared/clock';
import { createLogger } from '../../src/shared/logger';
import type { Database } from '../../src/db/database';
import { DigestFixtures } from '../helpers/digest-fixtures';
import { startTestBulletin, QUIET_SCHEDULES, type TestBulletin, startInstanceBeside } from '../helpers/test-bulletin';
import { openTestPool } from '../helpers/test-database';

const HOURLY = '0 * * * *';

/** The newsletters' schedules: one per digest newsletter, fired and caught up once across instances. */
describe('newsletter schedules', () => {
  let base: TestBulletin;
  let fx: DigestFixtures;
  let boss: PgBoss;
  let database: Database;
  beforeEach(async () => {
    base = await startTestBulletin(QUIET_SCHEDULES);
    fx = new DigestFixtures(base.db.url);
    boss = await startJobQueue({ connectionString: base.db.url, logger: createLogger('silent'), schedule: false });
    database = openTestPool(base.db.url, 2);
  });
  afterEach(async () => {
    await boss.stop({ graceful: false });
    await database.close();
    await fx.close();
    await base.stop();
  });

  const instance = (env: Record<string, string> = {}): Promise<RunningBulletin> => startInstanceBeside(base, env);
  const editions = async () =>
    (
      await fx.pool.query<{ id: number; slug: string; edition_key: string }>(
        `SELECT g.id, n.slug, g.edition_key FROM digests g JOIN newsletters n ON n.id = g.newsletter_id ORDER BY n.slug, g.id`,
      )
    ).rows;
  const keys = async (queue: string) => (await boss.getSchedules(queue)).map((s) => [s.key, s.cron, s.timezone]).sort();
  async function completed(jobId: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const job = await boss.getJobById(EDITIONS_QUEUE, jobId);
      if (job?.state === 'completed') return;
      if (job?.state === 'failed') throw new Error(`job failed: ${JSON.stringify(job.output)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('job not completed');
  }

  test('when two instances start with three newsletters whose slots coincide, then each newsletter gets one edition of the slot and each reader one copy of each of theirs', async () => {
    const slot = latestSlot(HOURLY, 'UTC', new Date());
    const ids = {
      morning: await fx.newsletter({ slug: 'morning', name: 'Morning', cron: HOURLY }),
      sports: await fx.newsletter({ slug: 'sports', name: 'Sports', cron: HOURLY, categories: ['Sport'] }),
      culture: await fx.newsletter({ slug: 'culture', name: 'Culture', cron: HOURLY, timeZone: 'Europe/Berlin' }),
    };
    const [r1] = await fx.subscribers(1, { newsletters: ['morning', 'sports'] });
    const [r2] = await fx.subscribers(1, { newsletters: ['sports', 'culture'] });
    const [r3] = await fx.subscribers(1, { newsletters: ['culture'] });
    await fx.article({ title: 'In the slot', categories: ['sport'], publishedAt: new Date(slot.getTime() - 5 * 60_000) });
    // Before newsletters, the frequencies had queues of their own: their schedules go.
    await boss.createQueue('digest-daily');
    await boss.schedule('digest-daily', '0 7 * * *', { frequency: 'daily' });

    const instances = await Promise.all([instance(), instance()]);
    try {
      const made = await editions();
      expect(made.map((e) => [e.slug, e.edition_key])).toEqual(
        ['culture', 'morning', 'sports'].map((slug) => [slug, `slot:${slot.toISOString()}`]),
      );
      for (const e of made) await fx.waitUntilSettled(e.id);
      expect(base.smtp.to(r1!.email)).toHaveLength(2);
      expect(base.smtp.to(r2!.email)).toHaveLength(2);
      expect(base.smtp.to(r3!.email)).toHaveLength(1);
      // One copy of each newsletter: no (address, List-Id) twice.
      const copies = base.smtp.messages.map((m) => `${m.to.join()} ${m.header('List-Id')[0]}`);
      expect(new Set(copies).size).toBe(5);

      // One schedule per digest newsletter on the one queue, in its time zone; none left on the old queues.
      expect(await keys(EDITIONS_QUEUE)).toEqual([
        ['culture', HOURLY, 'Europe/Berlin'],
        ['daily', '0 0 1 1 *', 'UTC'],
        ['morning', HOURLY, 'UTC'],
        ['sports', HOURLY, 'UTC'],
        ['weekly', '0 0 1 1 *', 'UTC'],
      ]);
      expect(await boss.getSchedules('digest-daily')).toEqual([]);

      // The slot fires on both instances (a retried job, a second fire): nothing new is made or sent.
      const jobs = await Promise.all(
        Object.values(ids).flatMap((newsletterId) => [boss.send(EDITIONS_QUEUE, { newsletterId }), boss.send(EDITIONS_QUEUE, { newsletterId })]),
      );
      for (const id of jobs) await completed(id!);
      expect(await editions()).toEqual(made);
      expect(base.smtp.messages).toHaveLength(5);
    } finally {
      await Promise.all(instances.map((i) => i.stop()));
    }
  });

  test('when a slot fires, then the newsletter is read as it is then: an archived one is skipped, an active one composes its latest slot', async () => {
    const app = await instance();
    try {
      // Made after the instance started: not caught up, so only a fired job makes their editions.
      const live = await fx.newsletter({ slug: 'live', name: 'Live', cron: HOURLY });
      const gone = await fx.newsletter({ slug: 'gone', name: 'Gone', cron: HOURLY });
      await fx.subscribers(1, { newsletters: ['live', 'gone'] });
      const slot = latestSlot(HOURLY, 'UTC', new Date());
      await fx.article({ title: 'Fired story', publishedAt: new Date(slot.getTime() - 60_000) });
      await fx.pool.query(`UPDATE newsletters SET archived_at = now() WHERE id = $1`, [gone]);

      await completed((await boss.send(EDITIONS_QUEUE, { newsletterId: gone }))!);
      await completed((await boss.send(EDITIONS_QUEUE, { newsletterId: live }))!);
      expect((await editions()).map((e) => [e.slug, e.edition_key])).toEqual([['live', `slot:${slot.toISOString()}`]]);
    } finally {
      await app.stop();
    }
  });

  test('when newsletters change, then sync schedules the active digests and unschedules the archived, the alerts and the gone', async () => {
    const schedules = new NewsletterSchedules({
      boss,
      composer: {} as EditionComposer,
      newsletters: new NewsletterRepository({ pool: database.pool }),
      clock: systemClock,
      logger: createLogger('silent'),
    });
    const sports = await fx.newsletter({ slug: 'sports', cron: '30 6 * * 1-5', timeZone: 'America/New_York' });
    await fx.newsletter({ slug: 'breaking', kind: 'alert' });
    await schedules.sync();
    expect((await keys(EDITIONS_QUEUE)).map(([key]) => key)).toEqual(['daily', 'sports', 'weekly']);
    expect(await keys(EDITIONS_QUEUE)).toContainEqual(['sports', '30 6 * * 1-5', 'America/New_York']);

    await fx.pool.query(`UPDATE newsletters SET cron = '0 9 * * *', time_zone = 'Europe/Paris' WHERE id = $1`, [sports]);
    await fx.pool.query(`UPDATE newsletters SET archived_at = now() WHERE slug = 'weekly'`);
    await schedules.sync();
    expect(await keys(EDITIONS_QUEUE)).toEqual([
      ['daily', '0 0 1 1 *', 'UTC'],
      ['sports', '0 9 * * *', 'Europe/Paris'],
    ]);
  });

  test('when the legacy settings are set, then they apply to daily and weekly; unset, the newsletters keep their own', async () => {
    const settings = async () =>
      (await fx.pool.query(`SELECT slug, cron, time_zone, max_articles FROM newsletters WHERE slug IN ('daily', 'weekly') ORDER BY slug`)).rows;
    // QUIET_SCHEDULES set both crons at the start of `base`; the rest was left as the upgrade made it.
    expect(await settings()).toEqual([
      { slug: 'daily', cron: '0 0 1 1 *', time_zone: 'UTC', max_articles: 20 },
      { slug: 'weekly', cron: '0 0 1 1 *', time_zone: 'UTC', max_articles: 20 },
    ]);
    await fx.pool.query(`UPDATE newsletters SET cron = '15 6 * * *', max_articles = 7 WHERE slug = 'daily'`);
    await (await instance()).stop(); // no DIGEST_* set: nothing applied
    expect((await settings())[0]).toEqual({ slug: 'daily', cron: '15 6 * * *', time_zone: 'UTC', max_articles: 7 });

    // Set: applied to both, but not to an archived one.
    await fx.pool.query(`UPDATE newsletters SET archived_at = now() WHERE slug = 'weekly'`);
    await (await instance({ DIGEST_TIMEZONE: 'Europe/Berlin', DIGEST_MAX_ARTICLES: '12', DIGEST_WEEKLY_CRON: '0 8 * * 1' })).stop();
    expect(await settings()).toEqual([
      { slug: 'daily', cron: '15 6 * * *', time_zone: 'Europe/Berlin', max_articles: 12 },
      { slug: 'weekly', cron: '0 0 1 1 *', time_zone: 'UTC', max_articles: 20 },
    ]);
  });
});
