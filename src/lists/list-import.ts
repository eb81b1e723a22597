import type { Readable } from 'node:stream';
import type pg from 'pg';
import { bulkStatement, withTransaction } from '../db/transaction';
import type { ErasedAddresses } from '../privacy/erased-addresses';
import type { Clock } from '../shared/clock';
import { AppError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { ListFormat } from './list-columns';
import {
  ANALYZE_IMPORT_ROWS,
  CONFIRM_PENDING,
  COUNT_OUTCOMES,
  CREATE_CONSENT_STATEMENT,
  CREATE_IMPORT_ROWS,
  FILL_IMPORT_ROWS,
  INSERT_NEW,
  LIFT_STATEMENT_TIMEOUT,
  LOCK_NEWSLETTERS,
  MARK_ERASED,
  MARK_EXISTING,
  REQUEST_CONFIRMATIONS,
  SKIPPED_ROWS,
  SUBSCRIBE_AND_RECORD_CONSENT,
  type OutcomeCountRow,
  type SkippedRow,
  type SubscribedRow,
} from './list-queries';
import { readList, type InvalidRow, type ReadList } from './list-rows';

/** Rows listed one by one in a report; the counts cover them all. */
export const REPORT_LIMIT = 100;

const SKIP_REASONS: Record<string, string> = {
  erased: 'erased: the reader asked for their data to be erased',
  unsubscribed: 'unsubscribed: the reader left; only they can sign up again',
  suppressed: 'suppressed: mail to this address bounced',
  changed: 'signed up while the import ran; import it again to merge',
};

export interface ImportOptions {
  /** Active newsletters' ids, resolved from the slugs the operator chose. */
  newsletterIds: number[];
  status: 'confirmed' | 'pending';
  /** The operator's statement that these people consented, kept with every consent event. */
  consent: string;
  mapping: { email?: string; name?: string };
  /** Import the valid rows of a file that has invalid ones (default: import nothing). */
  skipInvalid: boolean;
}

export interface ImportReport {
  /** false: the file had invalid rows and nothing was written (without skipInvalid). */
  written: boolean;
  format: ListFormat;
  rows: number;
  /** New subscribers. */
  imported: number;
  /** Existing subscribers who gained the newsletters (or were confirmed). */
  merged: number;
  /** Rows whose address an earlier row already had. */
  duplicates: number;
  skippedCount: number;
  skipped: { row: number; email: string; reason: string }[];
  invalidCount: number;
  invalid: InvalidRow[];
  /** Confirmation emails requested (pending imports). */
  confirmationsRequested: number;
}

/**
 * A list import (POST /api/admin/subscribers/import): read and check the whole file first, then
 * write everything in ONE transaction, set-based (list-queries.ts), so a file is imported whole or
 * not at all. The rules:
 * - every row is checked as a signup is; a file with invalid rows imports nothing unless
 *   `skipInvalid`, and the report names each bad row and field;
 * - an address twice in the file counts once (after normalising, as a signup does);
 * - a new address is created confirmed, or pending with the signup's confirmation email;
 * - an existing confirmed or pending subscriber gains the newsletters; a pending one imported as
 *   confirmed becomes confirmed;
 * - an unsubscribed, suppressed or erased address is skipped and reported, never brought back;
 * - each subscription added records an `import` consent event under the operator's statement.
 */
export class ListImport {
  constructor(
    private readonly deps: {
      pool: pg.Pool;
      erasedAddresses: ErasedAddresses;
      /** Wakes the mail-request relay after a pending import committed its confirmation emails. */
      mailRequests: { wake(): void };
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async run(file: Readable, options: ImportOptions, actor: string): Promise<ImportReport> {
    const list = await readList(file, options.mapping);
    const report = emptyReport(list);
    if (list.invalid.length && !options.skipInvalid) {
      this.log(actor, report);
      return report;
    }
    const hashes = await this.deps.erasedAddresses.hashesOf(list.valid.map((r) => r.email));
    const now = this.deps.clock.now();
    await withTransaction(this.deps.pool, async (tx) => {
      await tx.query(LIFT_STATEMENT_TIMEOUT);
      const run = <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => tx.query<R>(bulkStatement(text, values));
      const locked = await run(LOCK_NEWSLETTERS, [options.newsletterIds]);
      if (locked.rowCount !== options.newsletterIds.length) {
        throw new AppError('CONFLICT', 'A chosen newsletter was archived or deleted meanwhile: nothing was imported');
      }
      const { rows: statement } = await run<{ id: number }>(CREATE_CONSENT_STATEMENT, [options.consent, now]);
      await run(CREATE_IMPORT_ROWS);
      await run(FILL_IMPORT_ROWS, [list.valid.map((r) => r.row), list.valid.map((r) => r.email), list.valid.map((r) => r.name), hashes]);
      await run(ANALYZE_IMPORT_ROWS);
      await run(MARK_ERASED);
      await run(MARK_EXISTING);
      await run(INSERT_NEW, [options.status, now]);
      const confirming = options.status === 'confirmed';
      if (confirming) await run(CONFIRM_PENDING, [now]);
      await run<SubscribedRow>(SUBSCRIBE_AND_RECORD_CONSENT, [options.newsletterIds, now, statement[0]!.id, confirming]);
      if (!confirming) report.confirmationsRequested = (await run(REQUEST_CONFIRMATIONS, [now])).rowCount ?? 0;
      const counts = new Map((await run<OutcomeCountRow>(COUNT_OUTCOMES)).rows.map((r) => [r.outcome, r.count]));
      report.imported = counts.get('imported') ?? 0;
      report.merged = (counts.get('merged') ?? 0) + (counts.get('merged_pending') ?? 0);
      report.skippedCount = ['erased', 'unsubscribed', 'suppressed', 'changed'].reduce((sum, o) => sum + (counts.get(o) ?? 0), 0);
      const { rows: skipped } = await run<SkippedRow>(SKIPPED_ROWS, [REPORT_LIMIT]);
      report.skipped = skipped.map((r) => ({ row: r.row_number, email: r.email, reason: SKIP_REASONS[r.outcome] ?? r.outcome }));
    });
    report.written = true;
    if (report.confirmationsRequested) this.deps.mailRequests.wake();
    this.log(actor, report);
    return report;
  }

  /** Counts only: the log outlives the list, and addresses do not belong in it. */
  private log(actor: string, r: ImportReport): void {
    const { written, format, rows, imported, merged, duplicates, skippedCount, invalidCount, confirmationsRequested } = r;
    this.deps.logger.info(
      { actor, written, format, rows, imported, merged, duplicates, skipped: skippedCount, invalid: invalidCount, confirmationsRequested },
      'list import',
    );
  }
}

function emptyReport(list: ReadList): ImportReport {
  return {
    written: false,
    format: list.format,
    rows: list.rows,
    imported: 0,
    merged: 0,
    duplicates: list.duplicates,
    skippedCount: 0,
    skipped: [],
    invalidCount: list.invalid.length,
    invalid: list.invalid.slice(0, REPORT_LIMIT),
    confirmationsRequested: 0,
  };
}
