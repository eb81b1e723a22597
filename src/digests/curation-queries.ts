/**
 * The SQL of editions' curations (`edition_curations`, one row per digest newsletter at most).
 *
 * Why an advisory lock and not only the row's: a curation and the composition of the edition it
 * is for must happen in one order, also when no row exists yet. Composing a newsletter's edition
 * and saving or resetting its curation each start their transaction with this lock, on
 * (CURATION_LOCK_CLASS, newsletter id), so a save waits for a composition in progress (and then
 * finds its curation consumed, or the articles gone to that edition) and a composition waits for a
 * save in progress (and then applies it). Two compositions of one newsletter (another instance, a
 * send now at a slot) are ordered too, and the second sees the first's edition.
 * The two-key form of the lock has a key space of its own (pg-boss and migrations use the one-key).
 */

/** 'CURA' in ASCII: the lock class of curations. */
export const CURATION_LOCK_CLASS = 0x43555241;

/** Held until the transaction ends. */
export const LOCK_NEXT_EDITION = `SELECT pg_advisory_xact_lock(${CURATION_LOCK_CLASS}, $1::int)`;

/** A newsletter's curation, with the address of who saved it last (a removed user: NULL). */
export const CURATION_OF = `SELECT c.article_order, c.pinned, c.dropped, c.note, c.version, c.updated_at, u.email AS updated_by
         FROM edition_curations c LEFT JOIN admin_users u ON u.id = c.updated_by
        WHERE c.newsletter_id = $1`;
export interface CurationRow {
  article_order: number[];
  pinned: number[];
  dropped: number[];
  note: string;
  version: number;
  updated_at: Date;
  updated_by: string | null;
}

/**
 * Saves a curation (the caller checked its version under the lock). Every save takes a new version
 * from the column's sequence (SET ... = DEFAULT), so a number is never seen twice, even once the
 * row was consumed and made again for a later edition.
 */
export const SAVE_CURATION = `INSERT INTO edition_curations (newsletter_id, article_order, pinned, dropped, note, updated_by, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (newsletter_id) DO UPDATE SET article_order = EXCLUDED.article_order, pinned = EXCLUDED.pinned,
         dropped = EXCLUDED.dropped, note = EXCLUDED.note, version = DEFAULT,
         updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at
       RETURNING version`;

/** Consumed by the edition it shaped, or reset by an editor: the next edition goes out as composed. */
export const DELETE_CURATION = `DELETE FROM edition_curations WHERE newsletter_id = $1`;
