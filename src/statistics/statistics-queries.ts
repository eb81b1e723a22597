import type { ConsoleStatistics, SubscriberStatus } from '../generated/prisma/client';

/**
 * The statistics area's SQL: the counts the console's dashboard shows, made once a minute by a
 * job (never per page view: at 1,000,000 subscribers one count over `subscribers` takes a few
 * hundred milliseconds), and the one row they are kept in (`console_statistics`).
 */

/**
 * Subscribers by state, in one pass over the table (a sequential scan, once a minute). The four
 * states do not overlap: a suppressed address is confirmed in name, so it is counted apart.
 */
export const SUBSCRIBERS_BY_STATE = `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
              count(*) FILTER (WHERE status = 'confirmed' AND suppressed_at IS NULL)::int AS confirmed,
              count(*) FILTER (WHERE status = 'unsubscribed')::int AS unsubscribed,
              count(*) FILTER (WHERE status = 'confirmed' AND suppressed_at IS NOT NULL)::int AS suppressed
         FROM subscribers`;
export type SubscriberStateCounts = Record<SubscriberStatus | 'suppressed', number>;

/**
 * Per newsletter, its subscriptions of confirmed (receiving: not suppressed) and pending
 * subscribers: one hash join of subscriptions and subscribers, grouped.
 */
export const SUBSCRIBERS_BY_NEWSLETTER = `SELECT sub.newsletter_id,
              count(*) FILTER (WHERE s.status = 'confirmed' AND s.suppressed_at IS NULL)::int AS confirmed,
              count(*) FILTER (WHERE s.status = 'pending')::int AS pending
         FROM subscriptions sub JOIN subscribers s ON s.id = sub.subscriber_id
        GROUP BY sub.newsletter_id`;
export interface NewsletterCountRow {
  newsletter_id: number;
  confirmed: number;
  pending: number;
}

/**
 * Addresses that signed up, and that unsubscribed (from everything or from one newsletter), per
 * UTC day since $1, from the consent records: two ranges of the (event, created_at) index. An
 * address counts once a day however many newsletters its form named.
 */
export const EVENTS_PER_DAY = `SELECT to_char(date_trunc('day', created_at), 'YYYY-MM-DD') AS day, event::text AS event,
              count(DISTINCT subscriber_id)::int AS addresses
         FROM consents
        WHERE event IN ('signup', 'unsubscribe') AND created_at >= $1
        GROUP BY 1, 2`;
export interface EventsPerDayRow {
  day: string;
  event: 'signup' | 'unsubscribe';
  addresses: number;
}

/** Keeps one kind of statistics ($1), replacing the previous count. */
export const SAVE_STATISTICS = `INSERT INTO console_statistics (name, counted_at, data) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET counted_at = EXCLUDED.counted_at, data = EXCLUDED.data`;

/** One kind of statistics, by its primary key. */
export const READ_STATISTICS = `SELECT counted_at, data FROM console_statistics WHERE name = $1`;
export interface StatisticsRow {
  counted_at: Date;
  data: unknown;
}

export function statisticsFromRow(r: StatisticsRow): Pick<ConsoleStatistics, 'countedAt' | 'data'> {
  return { countedAt: r.counted_at, data: r.data as ConsoleStatistics['data'] };
}
