import { ensureQueue, startJobQueue, type PgBoss } from '../../src/jobs/job-queue';
import { createLogger } from '../../src/shared/logger';
import { loadConfig } from '../../src/config';
import { startBulletin } from '../../src/main';
import { EDITIONS_QUEUE } from '../../src/digests/newsletter-schedules';
import { POLL_FEEDS_QUEUE } from '../../src/articles/article-jobs';
import { QUEUES } from '../../src/subscriptions/subscription-jobs';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

describe('queues made by ensureQueue', () => {
  let db: TestDatabase;
  let boss: PgBoss;
  beforeAll(async () => {
    db = await createTestDatabase();
    boss = await startJobQueue({ connectionString: db.url, logger: createLogger('silent'), schedule: false });
  });
  afterAll(async () => {
    await boss.stop({ graceful: false });
    await db.drop();
  });

  test('when the queue does not exist, then it is created with the options given', async () => {
    await ensureQueue(boss, 'ensure-new', { retryLimit: 3, retryDelay: 60, retryBackoff: true, expireInSeconds: 600 });
    expect(await boss.getQueue('ensure-new')).toMatchObject({ retryLimit: 3, retryDelay: 60, retryBackoff: true, expireInSeconds: 600 });
  });

  test('when a queue made by an earlier version has other options, then the options of the code replace them', async () => {
    await boss.createQueue('ensure-changed', { retryLimit: 1, expireInSeconds: 120 });
    await ensureQueue(boss, 'ensure-changed', { retryLimit: 5, retryDelay: 2, retryBackoff: true, retryDelayMax: 900, notify: true, expireInSeconds: 120 });
    expect(await boss.getQueue('ensure-changed')).toMatchObject({
      retryLimit: 5,
      retryDelay: 2,
      retryBackoff: true,
      retryDelayMax: 900,
      notify: true,
      expireInSeconds: 120,
    });
  });

  test('when an option is left out, then the stored value stays', async () => {
    await ensureQueue(boss, 'ensure-partial', { retryLimit: 2, expireInSeconds: 300 });
    await ensureQueue(boss, 'ensure-partial', { retryLimit: 4 });
    expect(await boss.getQueue('ensure-partial')).toMatchObject({ retryLimit: 4, expireInSeconds: 300 });
  });
});

describe('the queues of the service', () => {
  test('when the service starts on a database whose queues an earlier version made with other options, then every queue takes the options of the code', async () => {
    const db = await createTestDatabase();
    const names = [...Object.values(QUEUES), EDITIONS_QUEUE, POLL_FEEDS_QUEUE];
    const earlier = await startJobQueue({ connectionString: db.url, logger: createLogger('silent'), schedule: false });
    for (const name of names) await earlier.createQueue(name, { retryLimit: 0, expireInSeconds: 1 });
    await earlier.stop({ graceful: false });
    const config = loadConfig({ DATABASE_URL: db.url, SECRET_KEY: 'job-queues-secret-key-0123456789abcdef', PORT: '0', LOG_LEVEL: 'silent' });
    const bulletin = await startBulletin(config, createLogger('silent'));
    try {
      const boss = await startJobQueue({ connectionString: db.url, logger: createLogger('silent'), schedule: false });
      const stored = Object.fromEntries(
        await Promise.all(names.map(async (name) => [name, (await boss.getQueue(name))!.retryLimit] as const)),
      );
      await boss.stop({ graceful: false });
      expect(stored).toEqual({
        [QUEUES.confirmation]: 25,
        [QUEUES.welcome]: 25,
        [QUEUES.manageLink]: 25,
        [QUEUES.purge]: 3,
        [EDITIONS_QUEUE]: 3,
        [POLL_FEEDS_QUEUE]: 1,
      });
    } finally {
      await bulletin.stop();
      await db.drop();
    }
  });
});
