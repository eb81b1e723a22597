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
}
