import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { AppError, DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable, type ErrorCode } from '../shared/errors';
import type { Pages } from './pages';
import type { Logger } from '../shared/logger';
import { requestIdOf } from './request-log';

/** What each code of the catalogue (src/shared/errors.ts) answers. */
const STATUS: Record<ErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  TOKEN_INVALID: 404,
  TOKEN_EXPIRED: 410,
  CONFLICT: 409,
  TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
};

interface ErrorBody {
  status: number;
  error: string;
  fields?: Record<string, string>;
}

/** Browsers get a page, API clients JSON: decided by the Accept header. */
export function wantsHtml(req: Request): boolean {
  return req.accepts(['json', 'html']) === 'html';
}

export function sendError(req: Request, res: Response, pages: Pages, body: ErrorBody): void {
  res.status(body.status);
  if (wantsHtml(req)) {
    res.type('html').send(pages.render('error', { status: body.status, message: body.error }));
  } else {
    res.json({ error: body.error, ...(body.fields ? { fields: body.fields } : {}) });
  }
}

export function notFoundHandler(pages: Pages): RequestHandler {
  return (req, res) => sendError(req, res, pages, { status: 404, error: 'Page not found' });
}

/**
 * The one place that turns errors into responses. Deliberate errors (AppError) carry a code from
 * the catalogue; body-parser's errors carry a status (400 malformed JSON, 413 too large); anything
 * else is a bug: logged with the request id, answered with a 500 that reveals nothing.
 */
export function errorHandler(pages: Pages, logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof AppError) {
      if (err.details.retryAfterSeconds) res.setHeader('Retry-After', String(err.details.retryAfterSeconds));
      return sendError(req, res, pages, {
        status: STATUS[err.code],
        error: err.message,
        fields: err.details.fields,
      });
    }
    if (isDatabaseUnavailable(err)) {
      // Logged without the error's text: it may quote the statement and its values.
      logger.warn({ reqId: requestIdOf(req), code: err?.code }, 'database unavailable: answered 503');
      res.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      return sendError(req, res, pages, { status: STATUS.DATABASE_UNAVAILABLE, error: 'The service is busy for a moment. Please try again shortly.' });
    }
    const status = typeof err?.status === 'number' ? err.status : 500;
    if (status >= 400 && status < 500) {
      const malformed = err.type === 'entity.parse.failed';
      const message = malformed ? 'Malformed JSON body' : err.type === 'entity.too.large' ? 'Request body too large' : 'Bad request';
      // Every 400 has the one shape {error, fields}: here the field at fault is the body itself.
      const fields = status === 400 ? { body: malformed ? 'is not valid JSON' : 'could not be read' } : undefined;
      return sendError(req, res, pages, { status, error: message, fields });
    }
    logger.error({ err, reqId: requestIdOf(req) }, 'unhandled error');
    return sendError(req, res, pages, { status: 500, error: 'Something went wrong on our side' });
  };
}
