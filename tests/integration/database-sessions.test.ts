import { createTestDatabase, openTestPool, type TestDatabase } from '../helpers/test-database';

/**
 * What every connection of the service's pool is set to, whatever the server's or the database's
 * defaults: UTC (timestamps are stored without a zone) and no JIT (a page of editions paid 0.8 s of
 * compiling for a plan whose estimate counted a subquery that never runs).
 */
describe('the database sessions of the service\'s pool', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  test('when a connection is opened, then it runs in UTC without JIT, even if the database says otherwise', async () => {
    const admin = openTestPool(db.url, 1);
    try {
      await admin.pool.query(`ALTER DATABASE "${db.name}" SET jit = on`);
      await admin.pool.query(`ALTER DATABASE "${db.name}" SET timezone = 'Asia/Tokyo'`);
    } finally {
      await admin.close();
    }
    const service = openTestPool(db.url, 2);
    try {
      const { rows } = await service.pool.query<{ jit: string; zone: string }>(`SELECT current_setting('jit') AS jit, current_setting('TimeZone') AS zone`);
      expect(rows).toEqual([{ jit: 'off', zone: 'UTC' }]);
      // Prisma goes through the same pool.
      expect(await service.prisma.$queryRaw`SELECT current_setting('jit') AS jit`).toEqual([{ jit: 'off' }]);
    } finally {
      await service.close();
    }
  });
});
