import type { Queryable } from '../db/transaction';
import { CURATION_OF, DELETE_CURATION, LOCK_NEXT_EDITION, SAVE_CURATION, type CurationRow } from './curation-queries';
import type { CurationChoice } from './edition-curation';

/** A newsletter's stored curation of its next edition. */
export interface StoredCuration extends CurationChoice {
  note: string;
  version: number;
  updatedAt: Date;
  /** Who saved it last (their address); null once that user is removed. */
  updatedBy: string | null;
}

/** Reads and writes of `edition_curations` (the statements and the lock are explained in curation-queries.ts). */
export class CurationRepository {
  /** Orders this transaction with every composition, save and reset of the newsletter's next edition. */
  async lockNextEdition(tx: Queryable, newsletterId: number): Promise<void> {
    await tx.query(LOCK_NEXT_EDITION, [newsletterId]);
  }

  async of(db: Queryable, newsletterId: number): Promise<StoredCuration | undefined> {
    const { rows } = await db.query<CurationRow>(CURATION_OF, [newsletterId]);
    const r = rows[0];
    return (
      r && {
        order: r.article_order,
        pinned: r.pinned,
        dropped: r.dropped,
        note: r.note,
        version: r.version,
        updatedAt: r.updated_at,
        updatedBy: r.updated_by,
      }
    );
  }

  /** Stores the choice and note as a new version, which it returns. */
  async save(tx: Queryable, newsletterId: number, c: CurationChoice & { note: string; userId: number | null; at: Date }): Promise<number> {
    const { rows } = await tx.query<{ version: number }>(SAVE_CURATION, [newsletterId, c.order, c.pinned, c.dropped, c.note, c.userId, c.at]);
    return rows[0]!.version;
  }

  /** True when there was one. */
  async remove(tx: Queryable, newsletterId: number): Promise<boolean> {
    const { rowCount } = await tx.query(DELETE_CURATION, [newsletterId]);
    return (rowCount ?? 0) > 0;
  }
}
