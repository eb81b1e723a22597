import type { Database } from '../../src/db/database';
import { NewsletterRepository } from '../../src/newsletters/newsletter-repository';
import { createTestDatabase, openTestPool, type TestDatabase } from '../helpers/test-database';

/**
 * The newsletters' reads are SQL on the pool (newsletter-queries.ts says why): they give what
 * Prisma's client gives for the same rows, field by field, in the same order.
 */
describe('newsletter reads', () => {
  let db: TestDatabase;
  let database: Database;
  let repository: NewsletterRepository;

  beforeEach(async () => {
    db = await createTestDatabase();
    database = openTestPool(db.url, 2);
    repository = new NewsletterRepository({ pool: database.pool });
    const { newsletter } = database.prisma;
    await newsletter.create({
      data: {
        slug: 'sports',
        name: 'Sports',
        description: 'Scores <b>and</b> news',
        cron: '0 18 * * 1-5',
        timeZone: 'Europe/Berlin',
        maxArticles: 7,
        categories: ['Sport', 'Football'],
        offered: false,
        position: -1,
        publicArchive: false,
        fromName: 'Sports desk',
        replyTo: 'sports@example.com',
      },
    });
    await newsletter.create({ data: { slug: 'breaking', name: 'Breaking', kind: 'alert', position: 0 } });
    await newsletter.create({ data: { slug: 'gone', name: 'Gone', cron: '0 7 * * *', archivedAt: new Date('2026-03-04T05:06:07.089Z') } });
    // A list column may hold NULL (the column allows it); breaking and gone tie on position 0.
    await database.pool.query(`UPDATE newsletters SET categories = NULL WHERE slug = 'breaking'`);
  });
  afterEach(async () => {
    await database.close();
    await db.drop();
  });

  const order = [{ position: 'asc' as const }, { id: 'asc' as const }];

  test('when every newsletter is read, then the rows, their fields and their order are those Prisma reads', async () => {
    const expected = await database.prisma.newsletter.findMany({ orderBy: order });
    expect(expected.map((n) => n.slug)).toEqual(['sports', 'breaking', 'gone', 'daily', 'weekly']);
    expect(await repository.all()).toEqual(expected);
  });

  test('when the active newsletters are read, then the archived one is left out, as Prisma reads them', async () => {
    const expected = await database.prisma.newsletter.findMany({ where: { archivedAt: null }, orderBy: order });
    const active = await repository.active();
    expect(active.map((n) => n.slug)).not.toContain('gone');
    expect(active).toEqual(expected);
  });

  test('when one newsletter is read by slug or id, then it is the row Prisma reads, and null for none', async () => {
    for (const slug of ['sports', 'breaking', 'gone', 'daily']) {
      const expected = await database.prisma.newsletter.findUnique({ where: { slug } });
      expect(await repository.bySlug(slug)).toEqual(expected);
      expect(await repository.byId(expected!.id)).toEqual(expected);
    }
    expect(await repository.bySlug('nope')).toBeNull();
    expect(await repository.byId(999_999)).toBeNull();
  });
});
