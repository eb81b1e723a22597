import { z } from 'zod';
import { isSingleLine } from './single-line';

/**
 * A reader's address and name as every door takes them: the signup form, the preferences and
 * manage forms, and an operator's list import. One definition, so an imported row is held to the
 * rules of a signup and normalised the same way (trimmed, lower case).
 */

export const emailField = z
  .string({ error: 'Enter your email address' })
  .max(254, 'That email address is too long (254 characters at most)')
  .refine(isSingleLine, 'An email address cannot contain line breaks or control characters')
  .trim()
  .toLowerCase()
  .pipe(z.string().min(1, 'Enter your email address').pipe(z.email('Enter a valid email address, like name@example.com')));

export const nameField = z
  .string({ error: 'Your name must be text' })
  .max(100, 'Your name can be 100 characters at most')
  .refine(isSingleLine, 'Your name cannot contain line breaks or control characters')
  .trim()
  .transform((v) => v || undefined)
  .optional();
