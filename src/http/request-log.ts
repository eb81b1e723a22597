import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../shared/logger';

/** The request's id, also in the X-Request-Id response header: one id ties a report to the log. */
export function requestIdOf(req: Request): string {
  return (req as Request & { id?: string }).id ?? 'unknown';
}

/**
 * One log line per finished request (method, path, status, duration) at info level; with a
 * quieter LOG_LEVEL nothing is attached to the request at all (failures are logged by the error
 * handler). Written by hand rather than with pino-http: under signup load pino-http's per-request
 * child logger and serializers cost about a tenth of the process's CPU, whether or not the line was
 * written. The id comes from a well-formed incoming X-Request-Id (a proxy's) or is made here.
 * Query strings carry tokens (confirmation links): only the path is logged.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && /^[\w-]{1,64}$/.test(incoming) ? incoming : crypto.randomUUID();
    (req as Request & { id: string }).id = id;
    res.setHeader('X-Request-Id', id);
    if (!logger.isLevelEnabled('info')) return next();
    const started = performance.now();
    res.once('finish', () => {
      const level = res.statusCode >= 500 ? 'error' : 'info';
      logger[level](
        {
          reqId: id,
          method: req.method,
          path: req.originalUrl.split('?')[0],
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        'request completed',
      );
    });
    next();
  };
}
