import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { AppError, DATABASE_RETRY_AFTER_SECONDS, errorCodes, isDatabaseUnavailable } from '../shared/errors';
import type { Templates } from '../mail/templates';
import type { Logger } from '../shared/logger';
import { requestIdOf } from './request-log';

interface ErrorBody {
  status: number;
  error: string;
  fields?: Record<string, string>;
}

/** Browsers get a page, API clients JSON: decided by the Accept header. */
export function wantsHtml(req: Request): boolean {
  return req.accepts(['json', 'html']) === 'html';
}

export function sendError(req: Request, res: Response, templates: Templates, body: ErrorBody): void {
  res.status(body.status);
  if (wantsHtml(req)) {
    res.type('html').send(templates.page('error', { status: body.status, message: body.error }));
  } else {
    res.json({ error: body.error, ...(body.fields ? { fields: body.fields } : {}) });
  }
}

export function notFoundHandler(templates: Templates): RequestHandler {
  return (req, res) => sendError(req, res, templates, { status: 404, error: 'Page not found' });
}

/**
 * The one place that turns errors into responses. Deliberate errors (AppError) carry a code from
 * the catalogue; body-parser's errors carry a status (400 malformed JSON, 413 too large); anything
 * else is a bug: logged with the request id, answered with a 500 that reveals nothing.
 */
export function errorHandler(templates: Templates, logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof AppError) {
      if (err.details.retryAfterSeconds) res.setHeader('Retry-After', String(err.details.retryAfterSeconds));
      return sendError(req, res, templates, {
        status: errorCodes[err.code],
        error: err.message,
        fields: err.details.fields,
      });
    }
    if (isDatabaseUnavailable(err)) {
      // Logged without the error's text: it may quote the statement and its values.
      logger.warn({ reqId: requestIdOf(req), code: err?.code }, 'database unavailable: answered 503');
      res.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      return sendError(req, res, templates, { status: errorCodes.DATABASE_UNAVAILABLE, error: 'The service is busy for a moment. Please try again shortly.' });
    }
    const status = typeof err?.status === 'number' ? err.status : 500;
    if (status >= 400 && status < 500) {
      const message =
        err.type === 'entity.parse.failed'
          ? 'Malformed JSON body'
          : err.type === 'entity.too.large'
            ? 'Request body too large'
            : 'Bad request';
      return sendError(req, res, templates, { status, error: message });
    }
    logger.error({ err, reqId: requestIdOf(req) }, 'unhandled error');
    return sendError(req, res, templates, { status: 500, error: 'Something went wrong on our side' });
  };
}
