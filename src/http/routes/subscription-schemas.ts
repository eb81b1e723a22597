import { z } from 'zod';
import { LEGACY_FREQUENCIES } from '../../newsletters/newsletter';
import { isSingleLine } from '../../shared/single-line';
import { emailField, nameField } from '../../shared/reader-fields';

/** Request schemas of the subscription area. Unknown fields are dropped (zod's default). */

const emptyAsUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);

/** An old client's `frequency` ("daily" | "weekly"): it names the newsletter of that slug. */
const legacyFrequencyField = z.preprocess(emptyAsUndefined, z.enum(LEGACY_FREQUENCIES, { error: 'Choose daily or weekly' }).optional());

/**
 * The newsletters asked for, by slug. A form sends one value as a string and several as an array
 * (checkboxes, or hidden fields of an embedded box); JSON sends an array. Empty values are
 * dropped: the preferences form sends an empty one so that "nothing ticked" is still an answer.
 */
const newslettersField = z.preprocess(
  (v) => (v === undefined || v === null ? undefined : typeof v === 'string' ? [v].filter(Boolean) : Array.isArray(v) ? v.filter((s) => s !== '') : v),
  z
    .array(
      z
        .string({ error: 'Name each newsletter by its slug, like "daily"' })
        .max(64, 'A newsletter slug has 64 characters at most')
        .refine(isSingleLine, 'A newsletter slug cannot contain line breaks or control characters')
        .trim(),
      { error: 'List the newsletters by slug, like ["daily"]' },
    )
    .max(100, 'Choose 100 newsletters at most')
    .optional(),
);

/** Which newsletters a signup or the preferences form asks for: `newsletters`, or the legacy `frequency`. */
export const newsletterChoiceSchema = z.object({ newsletters: newslettersField, frequency: legacyFrequencyField });
export type NewsletterChoiceInput = z.infer<typeof newsletterChoiceSchema>;

/** The slugs asked for, each once, in the order given; `frequency` adds its slug (old clients). */
export function askedSlugs(choice: NewsletterChoiceInput): string[] {
  return [...new Set([...(choice.newsletters ?? []), ...(choice.frequency ? [choice.frequency] : [])])];
}

/** What a signup that chose no newsletter is told. */
export const NO_NEWSLETTER_CHOSEN = 'Choose at least one newsletter';

/**
 * A signup without `newsletters` and without `frequency` comes from a client older than the
 * newsletters (an API client or embedded form that relied on the documented default): it gets
 * what it always got, the `daily` newsletter, while that exists. A client that sends `newsletters`
 * chooses: an empty choice (our form sends an empty value beside its checkboxes, `[]` in JSON) is
 * refused with NO_NEWSLETTER_CHOSEN, so nobody is signed up to a newsletter they did not tick.
 */
export const LEGACY_DEFAULT_NEWSLETTER = 'daily';

/** The slugs a signup asks for, and whether they are the legacy default rather than a choice. */
export function signupSlugs(choice: NewsletterChoiceInput): { slugs: string[]; legacyDefault: boolean } {
  const slugs = askedSlugs(choice);
  const legacyDefault = choice.newsletters === undefined && slugs.length === 0;
  return legacyDefault ? { slugs: [LEGACY_DEFAULT_NEWSLETTER], legacyDefault } : { slugs, legacyDefault };
}

/** A signup's reader; which newsletters it asks for is newsletterChoiceSchema's part. */
export const signupSchema = z.object({
  email: emailField,
  name: nameField,
  /** Where the form lives, from a hidden field: our page ("form") or a news site's ("embed"). */
  source: z.preprocess(emptyAsUndefined, z.enum(['form', 'embed', 'api']).optional()).catch(undefined),
});

export const emailOnlySchema = z.object({ email: emailField });

/** The honeypot: a field people never see. Anything in it means a bot filled the form. */
export const HONEYPOT_FIELD = 'website';

/**
 * Whether a bot filled the honeypot. A person's browser sends the field empty or not at all; any
 * other value in any shape is a bot's: a repeated field (an array from the form parser), an object,
 * a number or a boolean from JSON. Only absent, null and empty strings (also repeated) are a person's.
 */
export function honeypotFilled(body: Record<string, unknown>): boolean {
  const empty = (v: unknown): boolean => v === undefined || v === null || v === '' || (Array.isArray(v) && v.every(empty));
  return !empty(body[HONEYPOT_FIELD]);
}
