import type { Request, RequestHandler } from 'express';
import type { Pages } from './pages';
import { sendError } from './error-handler';

/**
 * Cross-origin rules for the signup endpoint. A plain HTML form posted from a news site's page is
 * always welcome (that is the embeddable snippet; browsers send it without a preflight). JSON from
 * another origin is accepted only from the origins listed in CORS_ORIGINS, including the OPTIONS
 * preflight, and refused server-side too, so a script on any other site cannot use the API.
 */
export function signupCors(opts: { allowedOrigins: readonly string[]; publicUrl: string; pages: Pages }): RequestHandler {
  const allowed = new Set(opts.allowedOrigins.map(normalizeOrigin));
  return (req, res, next) => {
    const origin = req.get('origin');
    if (!origin || isSameOrigin(req, opts.publicUrl)) return next();
    const permitted = allowed.has(normalizeOrigin(origin));
    if (permitted) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.vary('Origin');
    }
    if (req.method === 'OPTIONS') {
      if (!permitted) return void res.status(403).end();
      res.setHeader('Access-Control-Allow-Methods', 'POST');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Accept');
      res.setHeader('Access-Control-Max-Age', '600');
      return void res.status(204).end();
    }
    if (!permitted && req.is('application/json')) {
      return sendError(req, res, opts.pages, { status: 403, error: 'This origin may not use the signup API' });
    }
    next();
  };
}

/** The page's origin, when the request came from a browser on a different site; else undefined. */
export function foreignOrigin(req: Request, publicUrl: string): string | undefined {
  const origin = req.get('origin');
  if (!origin || origin === 'null' || isSameOrigin(req, publicUrl)) return undefined;
  return origin;
}

/** Whether the request's Origin is this service's own (PUBLIC_URL, or the address it was reached at). */
export function isSameOrigin(req: Request, publicUrl: string): boolean {
  const origin = normalizeOrigin(req.get('origin') ?? '');
  return origin === normalizeOrigin(publicUrl) || origin === normalizeOrigin(`${req.protocol}://${req.get('host')}`);
}

function normalizeOrigin(value: string): string {
  try {
    return new URL(value).origin;
  } catch {
    return value;
  }
}
