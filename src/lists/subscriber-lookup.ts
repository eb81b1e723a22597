import type pg from 'pg';
import { LOOKUP_BY_PREFIX, type LookupRow } from './list-queries';

/**
 * The LIKE pattern of addresses starting with `prefix`: addresses are stored lower case, so the
 * prefix is too, and LIKE's wildcards typed in it (`%`, `_`, `\`) are literal.
 */
export function prefixPattern(prefix: string): string {
  return prefix.trim().toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
}

/** Finding a subscriber's id from the start of their address (GET /api/admin/subscribers?email=). */
export class SubscriberLookup {
  constructor(private readonly deps: { pool: pg.Pool }) {}

  async byPrefix(prefix: string, limit: number): Promise<LookupRow[]> {
    const { rows } = await this.deps.pool.query<LookupRow>(LOOKUP_BY_PREFIX, [prefixPattern(prefix), limit]);
    return rows;
  }
}
