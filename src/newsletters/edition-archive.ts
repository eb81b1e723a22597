import type { PrismaClient } from '../generated/prisma/client';

/** An edition as the public archive lists it: its time, subject and the id of its web version. */
export interface ArchivedEdition {
  id: number;
  publicId: string;
  subject: string;
  editionAt: Date;
}

/** Where a page of the archive starts: just before this edition (newest first). */
export interface ArchiveCursor {
  editionAt: Date;
  id: number;
}

/**
 * The past editions of a newsletter, newest first, a page at a time. Keyset paging on
 * (edition_at, id) walks the index digests(newsletter_id, edition_at) however long the archive
 * grows; an offset would read every skipped row. Editions still sending are listed: their web
 * version exists from the moment they are composed, and readers already have them.
 */
export class EditionArchive {
  constructor(private readonly deps: { prisma: PrismaClient }) {}

  async page(newsletterId: number, limit: number, before?: ArchiveCursor): Promise<{ editions: ArchivedEdition[]; next?: ArchiveCursor }> {
    const rows = await this.deps.prisma.digest.findMany({
      where: {
        newsletterId,
        ...(before
          ? { OR: [{ editionAt: { lt: before.editionAt } }, { editionAt: before.editionAt, id: { lt: before.id } }] }
          : {}),
      },
      orderBy: [{ editionAt: 'desc' }, { id: 'desc' }],
      select: { id: true, publicId: true, subject: true, editionAt: true },
      take: limit + 1,
    });
    const editions = rows.slice(0, limit);
    const last = editions.at(-1);
    return { editions, next: rows.length > limit && last ? { editionAt: last.editionAt, id: last.id } : undefined };
  }
}
