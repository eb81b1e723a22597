import type { PrismaClient } from '../generated/prisma/client';
import type { Newsletter } from './newsletter';

/** The fields an operator sets; the rest (id, times) the database keeps. */
export type NewsletterData = Omit<Newsletter, 'id' | 'createdAt' | 'updatedAt'>;

/** A slug already taken (the unique index said so, also when two creations race). */
export class DuplicateSlugError extends Error {
  constructor(readonly slug: string) {
    super(`A newsletter with the slug "${slug}" exists`);
    this.name = 'DuplicateSlugError';
  }
}

/** What keeps a newsletter from being deleted: its readers and its history. */
export interface NewsletterUse {
  subscriptions: number;
  editions: number;
  consents: number;
}

/**
 * The operator's writes to newsletters, and the counts the admin API shows, through Prisma.
 * Reads that the other areas share are in NewsletterRepository.
 */
export class NewsletterAdminRepository {
  constructor(private readonly deps: { prisma: PrismaClient }) {}

  async create(data: NewsletterData): Promise<Newsletter> {
    try {
      return await this.deps.prisma.newsletter.create({ data });
    } catch (err) {
      throw isUniqueViolation(err) ? new DuplicateSlugError(data.slug) : err;
    }
  }

  async update(id: number, data: Partial<NewsletterData>): Promise<Newsletter> {
    try {
      return await this.deps.prisma.newsletter.update({ where: { id }, data });
    } catch (err) {
      throw isUniqueViolation(err) && data.slug ? new DuplicateSlugError(data.slug) : err;
    }
  }

  /** The position after every newsletter's: where a new one goes when none is given. */
  async nextPosition(): Promise<number> {
    const { _max } = await this.deps.prisma.newsletter.aggregate({ _max: { position: true } });
    return (_max.position ?? 0) + 1;
  }

  /**
   * Confirmed subscribers per newsletter id, in one grouped query (suppressed addresses count: they
   * are confirmed in name). A newsletter without any is missing from the map.
   */
  async confirmedSubscriberCounts(newsletterIds?: number[]): Promise<Map<number, number>> {
    const rows = await this.deps.prisma.subscription.groupBy({
      by: ['newsletterId'],
      where: { subscriber: { status: 'confirmed' }, ...(newsletterIds ? { newsletterId: { in: newsletterIds } } : {}) },
      _count: { _all: true },
    });
    return new Map(rows.map((r) => [r.newsletterId, r._count._all]));
  }

  /**
   * Deletes the newsletter only if nothing refers to it: no subscription, no edition and no consent
   * record (proof of consent must keep saying what it was about). Answers what was in the way
   * otherwise. Counted and deleted in one transaction; a subscription made in between makes the
   * delete fail on its foreign key, which answers "in use" too.
   */
  async deleteIfUnused(id: number): Promise<{ deleted: true } | { deleted: false; use: NewsletterUse }> {
    try {
      return await this.deps.prisma.$transaction(async (tx) => {
        const use = await useOf(tx, id);
        if (use.subscriptions || use.editions || use.consents) return { deleted: false as const, use };
        await tx.newsletter.delete({ where: { id } });
        return { deleted: true as const };
      });
    } catch (err) {
      if (!isForeignKeyViolation(err)) throw err;
      return { deleted: false, use: await useOf(this.deps.prisma, id) };
    }
  }
}

/** Counted inside the delete's transaction, or after it failed on a row made in between. */
async function useOf(db: Pick<PrismaClient, 'subscription' | 'digest' | 'consent'>, id: number): Promise<NewsletterUse> {
  const [subscriptions, editions, consents] = await Promise.all([
    db.subscription.count({ where: { newsletterId: id } }),
    db.digest.count({ where: { newsletterId: id } }),
    db.consent.count({ where: { newsletterId: id } }),
  ]);
  return { subscriptions, editions, consents };
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 'P2002';
}

function isForeignKeyViolation(err: unknown): boolean {
  return (err as { code?: unknown })?.code === 'P2003';
}
