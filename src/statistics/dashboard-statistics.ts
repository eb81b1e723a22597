import type pg from 'pg';
import type { Clock } from '../shared/clock';
import {
  EVENTS_PER_DAY,
  READ_STATISTICS,
  SAVE_STATISTICS,
  SUBSCRIBERS_BY_NEWSLETTER,
  SUBSCRIBERS_BY_STATE,
  statisticsFromRow,
  type EventsPerDayRow,
  type NewsletterCountRow,
  type StatisticsRow,
  type SubscriberStateCounts,
} from './statistics-queries';

/** The days of the dashboard's chart, today (UTC) included. */
export const CHART_DAYS = 30;
const DAY_MS = 24 * 3600_000;
const NAME = 'dashboard';

/**
 * Without the minute's job (no instance runs jobs, or it failed), counts older than this are made
 * again when the dashboard is opened, so the page never shows hours-old numbers.
 */
const STALE_MS = 10 * 60_000;

export interface DashboardCounts {
  countedAt: Date;
  subscribers: SubscriberStateCounts;
  newsletters: Array<{ newsletterId: number; confirmed: number; pending: number }>;
  /** CHART_DAYS days, oldest first: addresses that signed up and that unsubscribed that UTC day. */
  days: Array<{ day: string; signups: number; unsubscribes: number }>;
}

/**
 * The dashboard's counts, kept in one row of `console_statistics`: `refresh()` counts (every
 * minute, from the job), `current()` reads the row, and counts on the spot only when there is
 * none yet or it is stale. A page view thus reads one row whatever the number of subscribers.
 */
export class DashboardStatistics {
  constructor(private readonly deps: { pool: pg.Pool; clock: Clock }) {}

  async current(): Promise<DashboardCounts> {
    const { rows } = await this.deps.pool.query<StatisticsRow>(READ_STATISTICS, [NAME]);
    const row = rows[0] && statisticsFromRow(rows[0]);
    if (!row || this.deps.clock.now().getTime() - row.countedAt.getTime() > STALE_MS) return this.refresh();
    return { ...(row.data as unknown as Omit<DashboardCounts, 'countedAt'>), countedAt: row.countedAt };
  }

  async refresh(): Promise<DashboardCounts> {
    const { pool } = this.deps;
    const countedAt = this.deps.clock.now();
    const firstDay = new Date(Math.floor(countedAt.getTime() / DAY_MS) * DAY_MS - (CHART_DAYS - 1) * DAY_MS);
    const [states, newsletters, events] = await Promise.all([
      pool.query<SubscriberStateCounts>(SUBSCRIBERS_BY_STATE),
      pool.query<NewsletterCountRow>(SUBSCRIBERS_BY_NEWSLETTER),
      pool.query<EventsPerDayRow>(EVENTS_PER_DAY, [firstDay]),
    ]);
    const counts: Omit<DashboardCounts, 'countedAt'> = {
      subscribers: states.rows[0]!,
      newsletters: newsletters.rows.map((r) => ({ newsletterId: r.newsletter_id, confirmed: r.confirmed, pending: r.pending })),
      days: daySeries(firstDay, events.rows),
    };
    await pool.query(SAVE_STATISTICS, [NAME, countedAt, JSON.stringify(counts)]);
    return { ...counts, countedAt };
  }
}

/** Every day from `firstDay`, with zeros where nothing happened. */
function daySeries(firstDay: Date, rows: EventsPerDayRow[]): DashboardCounts['days'] {
  const days = Array.from({ length: CHART_DAYS }, (_, i) => ({
    day: new Date(firstDay.getTime() + i * DAY_MS).toISOString().slice(0, 10),
    signups: 0,
    unsubscribes: 0,
  }));
  const byDay = new Map(days.map((d) => [d.day, d]));
  for (const r of rows) {
    const day = byDay.get(r.day);
    if (day) day[r.event === 'signup' ? 'signups' : 'unsubscribes'] = r.addresses;
  }
  return days;
}
