import type pg from 'pg';
import type { Newsletter } from './newsletter';
import {
  ACTIVE_NEWSLETTERS,
  ALL_NEWSLETTERS,
  NEWSLETTER_BY_ID,
  NEWSLETTER_BY_SLUG,
  newsletterFromRow,
  type NewsletterRow,
} from './newsletter-queries';

/**
 * The newsletters as the other areas read them: the named statements of newsletter-queries.ts on
 * the shared pool (why SQL there, and not Prisma, is said in that file).
 */
export class NewsletterRepository {
  constructor(private readonly deps: { pool: pg.Pool }) {}

  /** Every newsletter, archived ones too, in the operator's order. */
  all(): Promise<Newsletter[]> {
    return this.many(ALL_NEWSLETTERS);
  }

  /** The newsletters that are not archived, in the operator's order. */
  active(): Promise<Newsletter[]> {
    return this.many(ACTIVE_NEWSLETTERS);
  }

  bySlug(slug: string): Promise<Newsletter | null> {
    return this.one(NEWSLETTER_BY_SLUG, slug);
  }

  byId(id: number): Promise<Newsletter | null> {
    return this.one(NEWSLETTER_BY_ID, id);
  }

  private async many(statement: string): Promise<Newsletter[]> {
    const { rows } = await this.deps.pool.query<NewsletterRow>(statement);
    return rows.map(newsletterFromRow);
  }

  private async one(statement: string, key: string | number): Promise<Newsletter | null> {
    const { rows } = await this.deps.pool.query<NewsletterRow>(statement, [key]);
    const row = rows[0];
    return row ? newsletterFromRow(row) : null;
  }
}
