import pg from 'pg';
import request from 'supertest';
import type { Database } from '../../src/db/database';
import { openTestPool } from '../helpers/test-database';
import { ArticleRepository } from '../../src/articles/article-repository';
import { ArticleService } from '../../src/articles/article-service';
import { FeedPoller } from '../../src/articles/feed-poller';
import { POLL_FEEDS_QUEUE } from '../../src/articles/article-jobs';
import { createLogger } from '../../src/shared/logger';
import { systemClock } from '../../src/shared/clock';
import { fixture, startFeedServer, xml } from '../helpers/feed-server';
import { freePort, startTestBulletin, TEST_ADMIN_TOKEN, type TestBulletin } from '../helpers/test-bulletin';

describe('feed ingestion', () => {
  let app: TestBulletin;
  let feeds: Awaited<ReturnType<typeof startFeedServer>>;
  let db: Database;
  let poller: FeedPoller;
  let unreachable: string;
  const responses: Parameters<typeof startFeedServer>[0] = {};

  beforeAll(async () => {
    feeds = await startFeedServer(responses);
    unreachable = `http://127.0.0.1:${await freePort()}/feed.xml`;
    app = await startTestBulletin({
      FEED_URLS: [feeds.url('/rss.xml'), feeds.url('/atom.xml')].join(','),
      FEED_POLL_CRON: '*/5 * * * *',
    });
    db = openTestPool(app.db.url, 2);
    const articles = new ArticleService({ repository: new ArticleRepository({ db }), clock: systemClock });
    poller = new FeedPoller({ articles, logger: createLogger('silent'), timeoutMs: 2000, maxBytes: 64 * 1024 });
  });
  afterAll(async () => {
    await db?.close();
    await app?.stop();
    await feeds?.stop();
  });

  async function bySourceId(sourceId: string) {
    return db.prisma.article.findUnique({ where: { sourceId } });
  }

  test('when good and bad feeds are polled twice, then good items arrive once and changes are applied', async () => {
    Object.assign(responses, {
      '/rss.xml': xml(fixture('rss.xml')),
      '/atom.xml': { status: 200, type: 'application/atom+xml', body: fixture('atom.xml') },
      '/broken.xml': xml(fixture('broken.xml')),
      '/error.xml': { status: 500, type: 'text/plain', body: 'boom' },
    });
    const urls = [feeds.url('/broken.xml'), feeds.url('/error.xml'), unreachable, feeds.url('/rss.xml'), feeds.url('/atom.xml')];

    const first = await poller.pollAll(urls);
    expect(first.map((r) => r.ok)).toEqual([false, false, false, true, true]);
    expect(first[0]!.error).toMatch(/XML/);
    expect(first[1]!.error).toBe('HTTP 500');
    expect(first[3]!.report).toMatchObject({ created: 2, updated: 0, invalid: [{ index: 2, reason: expect.stringMatching(/url/) }] });
    expect(first[4]!.report).toMatchObject({ created: 2, updated: 0, invalid: [] });

    const ferry = await bySourceId('gazette-1001');
    expect(ferry).toMatchObject({
      title: 'Ferry timetable changes for the summer season',
      url: 'https://news.example/transport/ferry-summer-timetable',
      summary: 'The harbour ferry adds two evening crossings from June.',
      author: 'Maria Lindqvist',
      imageUrl: 'https://news.example/img/ferry.jpg',
      publishedAt: new Date('2024-06-03T06:30:00Z'),
      categories: ['Transport', 'Harbour'],
    });
    // No guid: the link (made absolute against the channel's link) is the identity.
    const library = await bySourceId('https://news.example/culture/library-hours');
    expect(library).toMatchObject({
      title: 'Library extends opening hours & adds a reading café',
      summary: 'Open until 21:00 on weekdays from next week.',
      author: 'Jonas Berg',
      imageUrl: 'https://news.example/img/library.png',
      categories: ['Culture'],
    });
    expect(await bySourceId('tag:news.example,2024:sports-2001')).toMatchObject({
      title: 'Harbor FC wins the derby 3–1',
      summary: 'A late double settles a tense match at the Quay Ground.',
      author: 'Ali Haddad',
      imageUrl: 'https://news.example/img/derby.jpg',
      publishedAt: new Date('2024-06-03T09:15:00Z'),
      categories: ['Sports', 'Football'],
    });
    expect(await bySourceId('tag:news.example,2024:sports-2002')).toMatchObject({
      author: 'Sports Desk',
      imageUrl: 'https://news.example/img/regatta-thumb.jpg',
      publishedAt: new Date('2024-06-02T18:00:00Z'),
    });

    responses['/rss.xml'] = xml(fixture('rss-updated.xml'));
    const second = await poller.pollAll(urls);
    expect(second[3]!.report).toMatchObject({ created: 1, updated: 1, unchanged: 1 });
    expect(second[4]!.report).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
    expect(await db.prisma.article.count({ where: { NOT: { sourceId: { startsWith: 'tag:other.example' } } } })).toBe(5);
    expect(await bySourceId('gazette-1001')).toMatchObject({
      id: ferry!.id,
      title: 'Ferry timetable changes for the summer season (updated)',
      summary: 'The harbour ferry adds three evening crossings from June.',
    });

    // And the admin API sees them.
    const listed = await request(app.url).get('/api/admin/articles').set({ Authorization: `Bearer ${TEST_ADMIN_TOKEN}`, Accept: 'application/json' });
    expect(listed.body.articles.map((a: { sourceId: string }) => a.sourceId)).toContain('gazette-1003');
  });

  test('when a feed never answers or is too large, then it fails alone', async () => {
    responses['/hang.xml'] = 'hang';
    responses['/huge.xml'] = xml(`<rss><channel>${'<!-- padding -->'.repeat(10_000)}</channel></rss>`);
    // Its own ids, so this test does not depend on what the other one stored.
    responses['/other-atom.xml'] = { status: 200, type: 'application/atom+xml', body: fixture('atom.xml').replaceAll('tag:news.example', 'tag:other.example') };
    const results = await poller.pollAll([feeds.url('/hang.xml'), feeds.url('/huge.xml'), feeds.url('/other-atom.xml')]);
    expect(results.map((r) => r.ok)).toEqual([false, false, true]);
    expect(results[0]!.error).toBe('timed out');
    expect(results[1]!.error).toMatch(/larger than/);
    expect(results[2]!.report).toMatchObject({ created: 2 });
  });

  test('when FEED_URLS is configured, then the poll is scheduled once in pg-boss with FEED_POLL_CRON', async () => {
    const client = new pg.Client({ connectionString: app.db.url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT name, cron FROM pgboss.schedule WHERE name = $1', [POLL_FEEDS_QUEUE]);
      expect(rows).toEqual([{ name: POLL_FEEDS_QUEUE, cron: '*/5 * * * *' }]);
    } finally {
      await client.end();
    }
  });
});
