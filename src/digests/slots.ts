import { CronExpressionParser } from 'cron-parser';

/**
 * The slots of a digest newsletter's schedule: the times its cron names, in its time zone. An
 * edition belongs to one slot, and the slot is its key, so it is made once per newsletter.
 */

/** The latest slot strictly before `at`. */
export function slotBefore(cron: string, timeZone: string, at: Date): Date {
  return CronExpressionParser.parse(cron, { currentDate: at, tz: timeZone }).prev().toDate();
}

/** The latest slot at or before `at`. */
export function latestSlot(cron: string, timeZone: string, at: Date): Date {
  // prev() is strictly before currentDate: one millisecond later makes a slot exactly at `at` count.
  return slotBefore(cron, timeZone, new Date(at.getTime() + 1));
}

/** The edition key of a digest slot (digests.edition_key; an alert's is `article:<id>`). */
export function editionKeyOfSlot(slot: Date): string {
  return `slot:${slot.toISOString()}`;
}

/** The first slot strictly after `at`: when the next scheduled edition goes out. */
export function slotAfter(cron: string, timeZone: string, at: Date): Date {
  return CronExpressionParser.parse(cron, { currentDate: at, tz: timeZone }).next().toDate();
}
