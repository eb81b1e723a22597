import type pg from 'pg';
import type { SubscriberStatus } from '../generated/prisma/enums';
import {
  ADDRESS_PAGE,
  ADDRESS_PAGE_IN_NEWSLETTER,
  NEWEST_PAGE,
  NEWEST_PAGE_IN_NEWSLETTER,
  type DirectoryRow,
} from './directory-queries';
import { prefixPattern } from './subscriber-lookup';

/** The console's states: a subscriber's status, or suppressed (left out of every send, whatever the status). */
export const DIRECTORY_STATES = ['pending', 'confirmed', 'unsubscribed', 'suppressed'] as const;
export type DirectoryState = (typeof DIRECTORY_STATES)[number];

export interface DirectoryQuery {
  /** The start of an address: the page is in address order. None: newest first. */
  prefix?: string;
  state?: DirectoryState;
  newsletterId?: number;
  /** The last subscriber of the page before (an id, whatever the order). */
  after?: number;
  limit: number;
}

export interface DirectoryEntry {
  id: number;
  email: string;
  name: string | null;
  status: SubscriberStatus;
  suppressed: boolean;
  createdAt: Date;
}

/** How each state reads in the statements' two parameters: a status, and suppressed or not. */
const STATE_PARAMETERS: Record<DirectoryState, [SubscriberStatus | null, boolean | null]> = {
  pending: ['pending', null],
  // Receiving: as the dashboard counts it, a suppressed address is not.
  confirmed: ['confirmed', false],
  unsubscribed: ['unsubscribed', null],
  suppressed: [null, true],
};

/**
 * A page of subscribers for the console, by keyset (never an offset, never a count): newest
 * first, or in address order when searching by the start of an address. Which statement, and why
 * each stays fast at a million subscribers: directory-queries.ts.
 */
export class SubscriberDirectory {
  constructor(private readonly deps: { pool: pg.Pool }) {}

  /** Up to `limit` entries, and whether more follow (one more row is read to know). */
  async page(query: DirectoryQuery): Promise<{ entries: DirectoryEntry[]; more: boolean }> {
    const [status, suppressed] = query.state ? STATE_PARAMETERS[query.state] : [null, null];
    const common = [status, suppressed, query.after ?? null, query.limit + 1];
    const prefix = query.prefix?.trim();
    const { rows } = prefix
      ? query.newsletterId === undefined
        ? await this.deps.pool.query<DirectoryRow>(ADDRESS_PAGE, [...common, prefixPattern(prefix)])
        : await this.deps.pool.query<DirectoryRow>(ADDRESS_PAGE_IN_NEWSLETTER, [...common, query.newsletterId, prefixPattern(prefix)])
      : query.newsletterId === undefined
        ? await this.deps.pool.query<DirectoryRow>(NEWEST_PAGE, common)
        : await this.deps.pool.query<DirectoryRow>(NEWEST_PAGE_IN_NEWSLETTER, [...common, query.newsletterId]);
    const entries = rows.slice(0, query.limit).map((r) => ({
      id: r.id,
      email: r.email,
      name: r.name,
      status: r.status,
      suppressed: r.suppressed,
      createdAt: r.created_at,
    }));
    return { entries, more: rows.length > query.limit };
  }
}
