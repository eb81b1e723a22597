import { z } from 'zod';

/**
 * How often a subscriber receives an edition. The one list: the database enum (prisma/schema.prisma
 * `Frequency`) holds the same values, which tests/unit/frequency.test.ts checks.
 */
export const FREQUENCIES = ['daily', 'weekly'] as const;

export type Frequency = (typeof FREQUENCIES)[number];

/** What a new subscriber gets when the signup names no frequency (also the database default). */
export const DEFAULT_FREQUENCY: Frequency = 'daily';

/** The one check of a frequency, with the message forms show next to the field. */
export const frequencySchema = z.enum(FREQUENCIES, { error: 'Choose daily or weekly' });

export function isFrequency(value: unknown): value is Frequency {
  return frequencySchema.safeParse(value).success;
}
