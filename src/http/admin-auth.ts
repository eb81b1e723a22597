import crypto from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { ADMIN_TOKEN_ACTOR, type Actor, type AdminRole } from '../accounts/actor';
import { AppError } from '../shared/errors';

/** How the admin API knows its callers: the configured ADMIN_TOKEN, and users' own API tokens. */
export interface AdminApiAuth {
  adminToken: string | undefined;
  apiTokens: { authenticate(bearer: string): Promise<Actor | null> };
}

/**
 * Admin routes take `Authorization: Bearer <token>`: ADMIN_TOKEN (full rights, actor
 * "ADMIN_TOKEN") or a user's API token (that user's role). Hashing both sides of the ADMIN_TOKEN
 * comparison first gives equal-length buffers, so it is constant-time whatever the caller sends.
 * The actor is left in res.locals.actor for the role checks and the audit log.
 */
export function requireAdmin(auth: AdminApiAuth): RequestHandler {
  const expected = auth.adminToken ? digest(auth.adminToken) : undefined;
  return async (req, res, next) => {
    const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    const actor = !given
      ? null
      : expected && crypto.timingSafeEqual(expected, digest(given))
        ? ADMIN_TOKEN_ACTOR
        : await auth.apiTokens.authenticate(given);
    if (!actor) return next(new AppError('UNAUTHORIZED', 'A valid admin token is required'));
    res.locals.actor = actor;
    next();
  };
}

/** After requireAdmin (or the console's session): 403 unless the actor has the role. */
export function requireRole(role: AdminRole): RequestHandler {
  return (_req, res, next) => {
    if (role === 'admin' && actorIn(res).role !== 'admin') return next(new AppError('FORBIDDEN', 'Only an admin may do this'));
    next();
  };
}

/** The caller that requireAdmin or the console's session let in. */
export function actorIn(res: Response): Actor {
  const actor = res.locals.actor as Actor | undefined;
  if (!actor) throw new Error('no actor: the route is mounted without requireAdmin or a session');
  return actor;
}

function digest(value: string): Buffer {
  return crypto.createHash('sha256').update(value).digest();
}
