import { CronExpressionParser } from 'cron-parser';

/**
 * The rules a schedule must pass before pg-boss is given it, shared by the configuration and the
 * newsletters' admin API: a bad one is refused where it is entered instead of failing later inside a job.
 */

export const TIME_ZONE_PROBLEM = 'is not a time zone (an IANA name such as "Europe/Berlin", or "UTC")';

/** An IANA zone the schedules can use: Intl throws a RangeError for any other name. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Why pg-boss could not read `cron` in `timeZone` (it reads it with cron-parser, not strict), or null. */
export function cronProblem(cron: string, timeZone = 'UTC'): string | null {
  try {
    CronExpressionParser.parse(cron, { tz: timeZone, strict: false });
    return null;
  } catch (err) {
    return `is not a cron expression (minute hour day month weekday, e.g. "0 7 * * *"): ${(err as Error).message}`;
  }
}
