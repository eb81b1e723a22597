/**
 * One catalogue of the errors that services raise on purpose. The HTTP error handler maps each
 * code to a status and a page; nothing below src/http knows about HTTP.
 */
export const errorCodes = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  TOKEN_INVALID: 404,
  TOKEN_EXPIRED: 410,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof errorCodes;

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

export function validationError(fields: Record<string, string>): AppError {
  return new AppError('VALIDATION', 'Some fields are not valid', { fields });
}
