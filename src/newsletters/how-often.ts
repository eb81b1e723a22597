import type { Newsletter } from './newsletter';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** What a reader is told when nothing plainer can be said about the schedule. */
export const ON_A_SCHEDULE = 'On a schedule';

/**
 * How often a newsletter arrives, in words a reader understands at a glance ("Every day at 07:00",
 * "Every Monday at 07:00"). Only the common shapes of cron are put into words; anything else says
 * "On a schedule" rather than risk a wrong promise. The time zone is named unless it is UTC.
 */
export function howOften(n: Pick<Newsletter, 'kind' | 'cron' | 'timeZone'>): string {
  if (n.kind === 'alert') return 'Breaking news, as it happens';
  const phrase = n.cron ? cronInWords(n.cron) : undefined;
  if (!phrase) return ON_A_SCHEDULE;
  return n.timeZone && n.timeZone !== 'UTC' && n.timeZone !== 'Etc/UTC' ? `${phrase} (${n.timeZone} time)` : phrase;
}

function cronInWords(cron: string): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return undefined;
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields as [string, string, string, string, string];
  if (!/^\d{1,2}$/.test(minute) || !/^\d{1,2}$/.test(hour) || Number(minute) > 59 || Number(hour) > 23) return undefined;
  if (dayOfMonth !== '*' || month !== '*') return undefined;
  const at = `at ${hour.padStart(2, '0')}:${minute.padStart(2, '0')}`;
  if (dayOfWeek === '*') return `Every day ${at}`;
  if (/^[0-7]$/.test(dayOfWeek)) return `Every ${DAYS[Number(dayOfWeek)]} ${at}`;
  if (dayOfWeek === '1-5' || dayOfWeek.toUpperCase() === 'MON-FRI') return `Every weekday ${at}`;
  const named = DAYS.findIndex((d) => d.slice(0, 3).toUpperCase() === dayOfWeek.toUpperCase());
  if (named >= 0) return `Every ${DAYS[named]} ${at}`;
  return undefined;
}
