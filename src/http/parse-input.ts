import type { z } from 'zod';
import { fieldErrors, validationError } from '../shared/errors';

/** A request's query or body through its schema; what does not fit is a 400 naming each field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw validationError(fieldErrors(parsed.error));
  return parsed.data;
}
