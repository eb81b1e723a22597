import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../shared/errors';

/**
 * Admin routes take `Authorization: Bearer <ADMIN_TOKEN>`. Hashing both sides first gives equal-length
 * buffers, so the comparison is constant-time whatever the caller sends. No token configured: the
 * admin API is closed to everyone.
 */
export function requireAdmin(adminToken: string | undefined): RequestHandler {
  const expected = adminToken ? digest(adminToken) : undefined;
  return (req, _res, next) => {
    const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    if (!expected || !given || !crypto.timingSafeEqual(expected, digest(given))) {
      return next(new AppError('UNAUTHORIZED', 'A valid admin token is required'));
    }
    next();
  };
}

function digest(value: string): Buffer {
  return crypto.createHash('sha256').update(value).digest();
}
