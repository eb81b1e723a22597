import type pg from 'pg';
import { LOOKUP_BY_PREFIX, type LookupRow } from './list-queries';

/** Finding a subscriber's id from the start of their address (GET /api/admin/subscribers?email=). */
export class SubscriberLookup {
  constructor(private readonly deps: { pool: pg.Pool }) {}

  /** Addresses are stored lower case, so the prefix is too; LIKE's wildcards in it are literal. */
  async byPrefix(prefix: string, limit: number): Promise<LookupRow[]> {
    const pattern = prefix.trim().toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
    const { rows } = await this.deps.pool.query<LookupRow>(LOOKUP_BY_PREFIX, [pattern, limit]);
    return rows;
  }
}
