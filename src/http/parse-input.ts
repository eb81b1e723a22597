import { z } from 'zod';
import { AppError, fieldErrors, validationError } from '../shared/errors';
import { MAX_ROW_ID } from '../shared/row-id';

const rowIdSchema = z.coerce.number().int().positive().max(MAX_ROW_ID);

/** The row id in a path: anything else names no row, so `notFound` (404), never a query that would overflow. */
export function pathId(raw: unknown, notFound: string): number {
  const id = rowIdSchema.safeParse(raw);
  if (!id.success) throw new AppError('NOT_FOUND', notFound);
  return id.data;
}

/** A request's query or body through its schema; what does not fit is a 400 naming each field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw validationError(fieldErrors(parsed.error));
  return parsed.data;
}
