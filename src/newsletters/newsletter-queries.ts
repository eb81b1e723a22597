import type { Newsletter } from '../generated/prisma/client';

/**
 * The newsletters' reads (table `newsletters`), one named statement each, and the mapping of its
 * rows to the type the Prisma client declares. The admin API's writes stay in Prisma
 * (newsletter-admin-repository.ts).
 *
 * Why SQL and not Prisma here: these reads are the only Prisma queries of the digest side (the
 * schedules and the alert catch-up at start, an edition's newsletter) and of the signup form. The
 * first Prisma query of a process loads Prisma's query compiler, a WebAssembly module: +35 MB RSS
 * at once, +47 MB once V8 has optimised it (docs/benchmarks.md, "Memory: idle RSS"). Through the
 * pool, a process that only sends or signs up does not load it, as before newsletters existed.
 * Timestamps are UTC on both sides (see src/db/database.ts).
 */

const COLUMNS = `id, slug, name, description, kind, cron, time_zone, max_articles, categories, offered, position,
        public_archive, from_name, reply_to, archived_at, created_at, updated_at`;

/** The operator's order: position, then the order of creation. */
const ORDER = `ORDER BY position, id`;

/** Every newsletter, archived ones too (a handful of rows: no index needed). */
export const ALL_NEWSLETTERS = `SELECT ${COLUMNS} FROM newsletters ${ORDER}`;

/** The newsletters not archived. */
export const ACTIVE_NEWSLETTERS = `SELECT ${COLUMNS} FROM newsletters WHERE archived_at IS NULL ${ORDER}`;

/** One newsletter by its slug (unique index). */
export const NEWSLETTER_BY_SLUG = `SELECT ${COLUMNS} FROM newsletters WHERE slug = $1`;

/** One newsletter by its primary key. */
export const NEWSLETTER_BY_ID = `SELECT ${COLUMNS} FROM newsletters WHERE id = $1`;

export interface NewsletterRow {
  id: number;
  slug: string;
  name: string;
  description: string;
  kind: Newsletter['kind'];
  cron: string | null;
  time_zone: string;
  max_articles: number;
  categories: string[] | null;
  offered: boolean;
  position: number;
  public_archive: boolean;
  from_name: string | null;
  reply_to: string | null;
  archived_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export function newsletterFromRow(r: NewsletterRow): Newsletter {
  return {
    id: r.id,
    slug: r.slug,
    name: r.name,
    description: r.description,
    kind: r.kind,
    cron: r.cron,
    timeZone: r.time_zone,
    maxArticles: r.max_articles,
    // The column allows NULL (Prisma's list columns do); Prisma reads it as no filter.
    categories: r.categories ?? [],
    offered: r.offered,
    position: r.position,
    publicArchive: r.public_archive,
    fromName: r.from_name,
    replyTo: r.reply_to,
    archivedAt: r.archived_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
