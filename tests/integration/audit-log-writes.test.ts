import { ADMIN_TOKEN_ACTOR } from '../../src/accounts/actor';
import { AuditLog } from '../../src/accounts/audit-log';
import type { Database } from '../../src/db/database';
import { createTestDatabase, openTestPool, type TestDatabase } from '../helpers/test-database';
import { ManualClock } from '../helpers/manual-clock';
import { noPrisma } from '../helpers/no-prisma';

/**
 * An entry that commits on its own is written on the pool, not through Prisma (audit-log.ts says
 * why: an edition sent by hand would load Prisma's query compiler into the sending process). It
 * reads back through Prisma as an entry Prisma wrote would; one written in a Prisma transaction
 * still commits or rolls back with it.
 */
describe('audit log writes', () => {
  let db: TestDatabase;
  let database: Database;
  const clock = new ManualClock(new Date('2026-11-29T21:15:30.123Z'));
  const editor = ADMIN_TOKEN_ACTOR;

  beforeEach(async () => {
    db = await createTestDatabase();
    database = openTestPool(db.url, 2);
  });
  afterEach(async () => {
    await database.close();
    await db.drop();
  });

  test('when an entry is recorded on its own, then it goes through the pool and reads back as one Prisma wrote', async () => {
    const audit = new AuditLog({ prisma: noPrisma, pool: database.pool, clock });
    await audit.record(editor, 'edition_sent', { type: 'edition', id: 42 }, { newsletter: 'daily', recipients: 10_000, note: 'ünïcode "quoted"' });
    await audit.record(editor, 'reader_suppressed', { type: 'subscriber', id: 7 });
    await audit.record(editor, 'subscribers_exported');

    const viaPrisma = new AuditLog({ prisma: database.prisma, pool: database.pool, clock });
    await viaPrisma.record(editor, 'edition_sent', { type: 'edition', id: 42 }, { newsletter: 'daily', recipients: 10_000, note: 'ünïcode "quoted"' }, database.prisma);

    const rows = await database.prisma.auditEntry.findMany({ orderBy: { id: 'asc' } });
    const withoutId = rows.map(({ id: _id, ...rest }) => rest);
    expect(withoutId).toHaveLength(4);
    expect(withoutId.slice(0, 3)).toEqual([
      {
        at: clock.now(),
        actorUserId: null,
        actorLabel: 'ADMIN_TOKEN',
        action: 'edition_sent',
        subjectType: 'edition',
        subjectId: '42',
        details: { newsletter: 'daily', recipients: 10_000, note: 'ünïcode "quoted"' },
      },
      { at: clock.now(), actorUserId: null, actorLabel: 'ADMIN_TOKEN', action: 'reader_suppressed', subjectType: 'subscriber', subjectId: '7', details: null },
      { at: clock.now(), actorUserId: null, actorLabel: 'ADMIN_TOKEN', action: 'subscribers_exported', subjectType: null, subjectId: null, details: null },
    ]);
    // The same entry written by Prisma is the pool's first, field by field.
    expect(withoutId[3]).toEqual(withoutId[0]);
  });

  test('when an entry is recorded in a Prisma transaction that fails, then it is not kept', async () => {
    const audit = new AuditLog({ prisma: database.prisma, pool: database.pool, clock });
    await expect(
      database.prisma.$transaction(async (tx) => {
        await audit.record(editor, 'webhook_deleted', { type: 'webhook', id: 3 }, undefined, tx);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await database.prisma.auditEntry.count()).toBe(0);
  });
});
