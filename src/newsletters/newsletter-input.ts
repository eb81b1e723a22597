import { z } from 'zod';
import { categoryKey } from '../shared/categories';
import { cronProblem, isTimeZone, TIME_ZONE_PROBLEM } from '../shared/schedule-rules';
import { isSingleLine } from '../shared/single-line';
import { slugSchema } from './newsletter';

/**
 * What an operator sends to create or change a newsletter (admin API). The rules that need more
 * than one field (a digest has a cron, an alert has none; the cron is read in the newsletter's own
 * time zone) are checked by `scheduleProblems`, on the newsletter as it would be after the change.
 */


const line = (max: number) =>
  z
    .string({ error: 'must be text' })
    .refine(isSingleLine, 'must not contain line breaks or control characters')
    .transform((v) => v.trim())
    .pipe(z.string().max(max, `must be at most ${max} characters`));

/** null or '' clears an optional field (the configuration's value applies again). */
const clearable = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? null : v), schema.nullable());

const cronField = z.string({ error: 'must be a cron expression, like "0 7 * * *"' }).trim().min(1, 'must be a cron expression, like "0 7 * * *"').max(100, 'must be at most 100 characters');

const newsletterFields = {
  slug: slugSchema,
  name: line(100).pipe(z.string().min(1, 'is required')),
  description: line(500),
  kind: z.enum(['digest', 'alert'], { error: 'must be "digest" or "alert"' }),
  cron: clearable(cronField),
  timeZone: z
    .string({ error: 'must be a time zone, like "Europe/Berlin" or "UTC"' })
    .trim()
    .refine(isTimeZone, TIME_ZONE_PROBLEM),
  maxArticles: z.number({ error: 'must be a whole number from 1 to 100' }).int('must be a whole number from 1 to 100').min(1, 'must be at least 1').max(100, 'must be at most 100'),
  categories: z
    .array(line(50).pipe(z.string().min(1, 'must not be empty')), { error: 'must be a list of category names' })
    .max(20, 'at most 20 categories')
    // The filter compares without case: "Sport" and "sport" are one category.
    .transform((list) => [...new Map(list.map((c) => [categoryKey(c), c])).values()]),
  offered: z.boolean({ error: 'must be true or false' }),
  position: z.number({ error: 'must be a whole number' }).int('must be a whole number').min(-1_000_000).max(1_000_000),
  publicArchive: z.boolean({ error: 'must be true or false' }),
  fromName: clearable(line(100).pipe(z.string().min(1))),
  replyTo: clearable(
    z
      .string({ error: 'must be an email address' })
      .max(254, 'must be at most 254 characters')
      .refine(isSingleLine, 'must not contain line breaks or control characters')
      .trim()
      .pipe(z.email('must be an email address, like letters@news.example')),
  ),
};

/** POST: slug and name required; the rest has the defaults of a new newsletter. Unknown fields are refused. */
export const newsletterCreateSchema = z.strictObject({
  ...newsletterFields,
  description: newsletterFields.description.default(''),
  kind: newsletterFields.kind.default('digest'),
  cron: newsletterFields.cron.optional(),
  timeZone: newsletterFields.timeZone.default('UTC'),
  maxArticles: newsletterFields.maxArticles.default(20),
  categories: newsletterFields.categories.default([]),
  offered: newsletterFields.offered.default(true),
  /** Missing: after every other newsletter. */
  position: newsletterFields.position.optional(),
  publicArchive: newsletterFields.publicArchive.default(true),
  fromName: newsletterFields.fromName.optional(),
  replyTo: newsletterFields.replyTo.optional(),
});

/** PATCH: any field, same rules; `archived` archives (true) or restores (false). */
export const newsletterPatchSchema = z.strictObject({
  ...newsletterFields,
  archived: z.boolean({ error: 'must be true or false' }),
}).partial();

export type NewsletterCreate = z.output<typeof newsletterCreateSchema>;
export type NewsletterPatch = z.output<typeof newsletterPatchSchema>;

/**
 * The schedule rules, on the newsletter as it would be: a digest needs a cron that cron-parser
 * reads in its time zone (as pg-boss will schedule it), an alert is sent at once and has none.
 */
export function scheduleProblems(n: { kind: 'digest' | 'alert'; cron: string | null | undefined; timeZone: string }): Record<string, string> {
  if (n.kind === 'alert') return n.cron ? { cron: 'an alert is sent at once and has no schedule: leave cron out (or null)' } : {};
  if (!n.cron) return { cron: 'a digest needs a schedule: a cron expression, like "0 7 * * *"' };
  if (n.cron.trim().split(/\s+/).length !== 5) return { cron: 'must have five fields: minute hour day month weekday, like "0 7 * * *"' };
  const problem = cronProblem(n.cron, n.timeZone);
  return problem ? { cron: problem } : {};
}
