import type { PrismaClient } from '../generated/prisma/client';
import type { Newsletter } from './newsletter';

/** The newsletters, through Prisma (rows of one table; README.md, "Reaching the database"). */
export class NewsletterRepository {
  constructor(private readonly deps: { prisma: PrismaClient }) {}

  /** Every newsletter, archived ones too, in the operator's order. */
  all(): Promise<Newsletter[]> {
    return this.deps.prisma.newsletter.findMany({ orderBy: [{ position: 'asc' }, { id: 'asc' }] });
  }

  /** The newsletters that are not archived, in the operator's order. */
  active(): Promise<Newsletter[]> {
    return this.deps.prisma.newsletter.findMany({ where: { archivedAt: null }, orderBy: [{ position: 'asc' }, { id: 'asc' }] });
  }

  bySlug(slug: string): Promise<Newsletter | null> {
    return this.deps.prisma.newsletter.findUnique({ where: { slug } });
  }

  byId(id: number): Promise<Newsletter | null> {
    return this.deps.prisma.newsletter.findUnique({ where: { id } });
  }

  /**
   * The active newsletters of these slugs, and the slugs that name none (unknown or archived), in
   * the order given, so an error can name each one.
   */
  async activeBySlugs(slugs: readonly string[]): Promise<{ found: Newsletter[]; missing: string[] }> {
    const rows = await this.deps.prisma.newsletter.findMany({ where: { slug: { in: [...slugs] }, archivedAt: null } });
    const bySlug = new Map(rows.map((n) => [n.slug, n]));
    return {
      found: slugs.flatMap((s) => bySlug.get(s) ?? []),
      missing: slugs.filter((s) => !bySlug.has(s)),
    };
  }
}
