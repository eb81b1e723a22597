/**
 * Where this sender's claims go on in each edition: past the last reader it claimed. A claim walks
 * the (digest_id, status, subscriber_id) index from the lowest pending reader, and a sent row
 * leaves its old 'pending' entry behind until VACUUM reaches the table; half-way through a
 * million-reader edition a claim from the start walked 500,000 dead entries: 200 ms a claim, which
 * held the send near 1,000 msg/s (docs/benchmarks.md). From the cursor a claim reads only what is
 * ahead. Rows behind it (given back by a stopping sender, or due for a retry) are found when a
 * claim from the cursor finds nothing: the ledger then starts over from the first reader.
 */
export class ClaimCursor {
  private readonly after = new Map<number, number>();

  /** The claim's two array parameters: digest ids, and the last subscriber id claimed in each. */
  values(): [number[], number[]] {
    return [[...this.after.keys()], [...this.after.values()]];
  }

  /** The rows a claim returned (sending or skipped alike): the walk goes on after them. */
  passed(rows: Array<{ digest_id: number; subscriber_id: number }>): void {
    for (const r of rows) this.after.set(r.digest_id, Math.max(this.after.get(r.digest_id) ?? 0, r.subscriber_id));
    // Finished editions' entries would only accumulate; a new walk costs one claim from the start.
    if (this.after.size > 64) this.after.clear();
  }

  /** Starts every walk over; false when they already start at the first reader. */
  reset(): boolean {
    const had = this.after.size > 0;
    this.after.clear();
    return had;
  }
}
