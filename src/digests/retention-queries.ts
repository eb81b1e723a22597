/**
 * The ledger retention job's statements (LEDGER_KEEP_DAYS, ledger-retention.ts), named; each comment
 * says why it has its shape. None runs inside a longer transaction: each is its own short statement,
 * so the job never holds locks long nor makes one transaction of a million deleted rows.
 */

/**
 * Finished editions whose sent rows are due to go: done before the cutoff ($1), with `recipients`
 * (their progress counts sent as recipients minus the other states; one without it counts its sent
 * rows, so they must stay), and not shed since they last completed (a retry reopens an edition and
 * completes it again: its new sent rows go after their own LEDGER_KEEP_DAYS). Oldest first, $2 of
 * them. The digests table holds one row per edition, a few hundred a year: a sequential scan is fine.
 */
export const EDITIONS_TO_SHED = `SELECT id FROM digests
        WHERE status = 'done' AND recipients IS NOT NULL AND completed_at < $1::timestamptz
          AND (shed_at IS NULL OR shed_at < completed_at)
        ORDER BY completed_at, id LIMIT $2`;

/**
 * One batch of an edition's sent rows ($1 digest), at most $2, after subscriber $3 (keyset: the next
 * batch starts where this one stopped, so it never walks again the dead index entries of rows just
 * deleted). The subquery walks the (digest_id, status, subscriber_id) index; the DELETE goes by the
 * primary key. The edition must still be done and finished before the cutoff ($4) when the statement
 * runs: an edition a retry reopened is left alone. Only 'sent' rows: failed and skipped rows are what
 * an operator reads, and the counts take sent as the rest of the recipients.
 */
export const SHED_SENT_BATCH = `DELETE FROM deliveries d
        WHERE d.digest_id = $1 AND d.status = 'sent'
          AND d.subscriber_id IN (SELECT s.subscriber_id FROM deliveries s
                                   WHERE s.digest_id = $1 AND s.status = 'sent' AND s.subscriber_id > $3
                                   ORDER BY s.subscriber_id LIMIT $2)
          AND EXISTS (SELECT 1 FROM digests g WHERE g.id = $1 AND g.status = 'done' AND g.completed_at < $4::timestamptz)
    RETURNING d.subscriber_id`;

/** Marks an edition shed ($1 digest, $2 now), if it is still the finished edition it was ($3 cutoff). */
export const MARK_SHED = `UPDATE digests SET shed_at = $2::timestamptz
        WHERE id = $1 AND status = 'done' AND completed_at < $3::timestamptz`;
