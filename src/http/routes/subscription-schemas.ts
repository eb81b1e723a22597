import { z } from 'zod';
import { DEFAULT_FREQUENCY, frequencySchema } from '../../shared/frequency';

/** Request schemas of the subscription area. Unknown fields are dropped (zod's default). */

// Line breaks smuggled into an address or name are the classic header-injection move: refuse them.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const noControlChars = (v: string) => !CONTROL_CHARS.test(v);

export const emailField = z
  .string({ error: 'Enter your email address' })
  .max(254, 'That email address is too long (254 characters at most)')
  .refine(noControlChars, 'An email address cannot contain line breaks or control characters')
  .trim()
  .toLowerCase()
  .pipe(z.string().min(1, 'Enter your email address').pipe(z.email('Enter a valid email address, like name@example.com')));

const nameField = z
  .string({ error: 'Your name must be text' })
  .max(100, 'Your name can be 100 characters at most')
  .refine(noControlChars, 'Your name cannot contain line breaks or control characters')
  .trim()
  .transform((v) => v || undefined)
  .optional();

const emptyAsUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);

export const frequencyField = z.preprocess(emptyAsUndefined, frequencySchema.default(DEFAULT_FREQUENCY));

export const signupSchema = z.object({
  email: emailField,
  name: nameField,
  frequency: frequencyField,
  /** Where the form lives, from a hidden field: our page ("form") or a news site's ("embed"). */
  source: z.preprocess(emptyAsUndefined, z.enum(['form', 'embed', 'api']).optional()).catch(undefined),
});

export const emailOnlySchema = z.object({ email: emailField });

/** The preferences form: the frequency is required there (the page always sends one). */
export const preferencesSchema = z.object({ frequency: frequencySchema });

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
