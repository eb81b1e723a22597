import type pg from 'pg';
import type { SubscriberStatus } from '../generated/prisma/enums';
import type { Logger } from '../shared/logger';
import { csvLine } from './csv-cells';
import { EXPORT_PAGE, type ExportRow } from './list-queries';

/** Rows per query: a page is read, written out, and dropped before the next is read. */
const PAGE = 1000;

export const EXPORT_COLUMNS = ['email', 'name', 'status', 'newsletters', 'created_at', 'confirmed_at', 'unsubscribed_at', 'suppressed'];

export interface ExportFilter {
  status?: SubscriberStatus;
  /** An existing newsletter's id (archived ones too: their subscribers are still on record). */
  newsletterId?: number;
}

/**
 * The subscribers as CSV (GET /api/admin/subscribers/export), produced page by page by id
 * (keyset), so memory is one page whatever the list's size, and the consumer's pace (the HTTP
 * response's backpressure) sets the pace of the queries. Newsletters are slugs joined with ";".
 */
export class SubscriberExport {
  constructor(private readonly deps: { pool: pg.Pool; logger: Logger }) {}

  async *csv(filter: ExportFilter, actor: string): AsyncGenerator<string> {
    yield csvLine(EXPORT_COLUMNS);
    let after = 0;
    let rows = 0;
    for (;;) {
      const page = await this.deps.pool.query<ExportRow>(EXPORT_PAGE, [after, filter.status ?? null, filter.newsletterId ?? null, PAGE]);
      if (page.rows.length) yield page.rows.map(line).join('');
      rows += page.rows.length;
      if (page.rows.length < PAGE) break;
      after = page.rows[page.rows.length - 1]!.id;
    }
    this.deps.logger.info({ actor, rows, ...filter }, 'subscribers exported');
  }
}

function line(r: ExportRow): string {
  return csvLine([
    r.email,
    r.name,
    r.status,
    r.newsletters,
    r.created_at.toISOString(),
    r.confirmed_at?.toISOString() ?? null,
    r.unsubscribed_at?.toISOString() ?? null,
    String(r.suppressed),
  ]);
}
