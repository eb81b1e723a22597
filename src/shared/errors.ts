import type { z } from 'zod';

/**
 * One catalogue of the errors that services raise on purpose. What each code means to a client
 * (its status and page) is decided in src/http/error-handler.ts: nothing here knows about HTTP.
 */
export type ErrorCode =
  | 'VALIDATION'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'TOKEN_INVALID'
  | 'TOKEN_EXPIRED'
  | 'CONFLICT'
  | 'TOO_LARGE'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'DATABASE_UNAVAILABLE';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { fields?: Record<string, string>; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** Invalid input, every field named with its reason: answered `400 {error, fields}` (JSON). */
export function validationError(fields: Record<string, string>): AppError {
  return new AppError('VALIDATION', 'Some fields are not valid', { fields });
}

/**
 * zod's issues in the one shape of `fields`: `{field: message}`, the first message per field. A
 * nested field is named by its path (`categories.1`); input that is not an object at all, `body`.
 */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.join('.') : 'body';
    fields[key] ??= issue.message;
  }
  return fields;
}

/** What a client should wait before retrying when the database did not answer in time. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

// The database did not answer in time, refused or dropped the connection, or is starting or
// stopping: a passing condition, answered 503 + Retry-After rather than a 500.
const UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect', // pg-pool: no free connection in time
  'Connection terminated', // pg: connection timeout, or the server went away
  'Query read timeout', // pg: query_timeout, the server stopped answering
];
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);
// SQLSTATE: 08 connection exceptions, 57014 statement_timeout, 57P01-03 shutdown or start-up,
// 53300 too many connections. Prisma: P1001 unreachable, P1002/P1008 timed out, P1017 closed,
// P2024 no connection from the pool in time, P2028 a transaction could not start in time.
const UNAVAILABLE_CODES = /^(08...|57014|57P0[123]|53300|P1001|P1002|P1008|P1017|P2024|P2028)$/;

/**
 * Whether an error means "the database is unavailable right now". Looks through the wrappers
 * (Prisma's errors keep the driver adapter's error in `meta.driverAdapterError`, with the driver's
 * code and kind as its cause).
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    meta?: unknown;
    driverAdapterError?: unknown;
    originalCode?: unknown;
    kind?: unknown;
  };
  for (const code of [e.code, e.originalCode]) {
    if (typeof code === 'string' && (UNAVAILABLE_NODE_CODES.has(code) || UNAVAILABLE_CODES.test(code))) return true;
  }
  if (['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections'].includes(e.kind as string)) return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.some((m) => (e.message as string).includes(m))) return true;
  return [e.cause, e.meta, e.driverAdapterError].some((inner) => isDatabaseUnavailable(inner, depth + 1));
}
