import type { Request, RequestHandler, Response } from 'express';
import type { LiveSession, Sessions } from '../../accounts/sessions';
import { csrfMatches } from '../../accounts/sessions';
import { AppError } from '../../shared/errors';
import { isSameOrigin } from '../cors';

export const SESSION_COOKIE = 'bulletin_session';
const FLASH_COOKIE = 'bulletin_flash';

export interface Flash {
  kind: 'ok' | 'warn';
  text: string;
}

/** What every console page knows about its request, in res.locals.console. */
export interface ConsoleLocals {
  session: LiveSession | null;
  flash: Flash | null;
  /** The session cookie as sent (to end or replace that session). */
  cookieToken: string | undefined;
}

export function consoleOf(res: Response): ConsoleLocals {
  return res.locals.console as ConsoleLocals;
}

/** The live session of a route behind requireSession. */
export function sessionOf(res: Response): LiveSession {
  const session = consoleOf(res).session;
  if (!session) throw new Error('no session: the route is mounted before requireSession');
  return session;
}

/** Cookies scoped to the console: never sent to the public pages or the API. */
export function cookieOptions(secure: boolean) {
  return { path: '/admin', httpOnly: true, sameSite: 'lax' as const, secure };
}

/**
 * Reads the session cookie and the flash message of every /admin request. No Cache-Control on a
 * console page lets a shared computer's back button show it after sign-out.
 */
export function loadConsole(sessions: Sessions, secure: boolean): RequestHandler {
  return async (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    // helmet's no-referrer makes browsers send `Origin: null` even on the console's own forms;
    // same-origin keeps the real Origin there and still tells other sites nothing.
    res.setHeader('Referrer-Policy', 'same-origin');
    const cookies = parseCookies(req.get('cookie'));
    const cookieToken = cookies.get(SESSION_COOKIE);
    const session = cookieToken ? await sessions.resolve(cookieToken) : null;
    const flash = readFlash(cookies.get(FLASH_COOKIE));
    if (cookies.has(FLASH_COOKIE)) res.clearCookie(FLASH_COOKIE, cookieOptions(secure));
    const locals: ConsoleLocals = { session, flash, cookieToken };
    res.locals.console = locals;
    if (session) res.locals.actor = session.actor;
    next();
  };
}

/**
 * A form from another site is refused before anything reads it: browsers say where a request
 * comes from, and only this service's own pages may post to the console. Sec-Fetch-Site when the
 * browser sends it (all current ones); else the Origin. Requests with neither (old browsers,
 * scripts) still need the form token of a session.
 */
export function sameOriginForms(publicUrl: string): RequestHandler {
  return (req, _res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const site = req.get('sec-fetch-site');
    const origin = req.get('origin');
    const crossSite = site !== undefined ? site !== 'same-origin' : origin !== undefined && !isSameOrigin(req, publicUrl);
    if (crossSite) return next(new AppError('FORBIDDEN', 'This form was sent from another site: nothing was changed'));
    next();
  };
}

/** Pages behind sign-in: without a live session, to the sign-in page, coming back here afterwards. */
export const requireSession: RequestHandler = (req, res, next) => {
  if (consoleOf(res).session) return next();
  const back = req.method === 'GET' ? req.originalUrl : undefined;
  res.redirect(303, back && back !== '/admin' ? `/admin/login?next=${encodeURIComponent(back)}` : '/admin/login');
};

/** Every form of a session carries its token: a stale, foreign or missing one changes nothing. */
export const requireFormToken: RequestHandler = (req, res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  if (!csrfMatches(sessionOf(res), (req.body as Record<string, unknown> | undefined)?._csrf)) {
    return next(new AppError('FORBIDDEN', 'This form has expired: nothing was changed. Reload the page and try again.'));
  }
  next();
};

/** Where to go after sign-in: only a console path of this site, never another host. */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/admin(?:[/?][^\\\s]*)?$/.test(value) && !value.startsWith('//') ? value : '/admin';
}

/** A message shown once, on the page the redirect leads to. */
export function setFlash(res: Response, flash: Flash, secure: boolean): void {
  res.cookie(FLASH_COOKIE, JSON.stringify(flash), { ...cookieOptions(secure), maxAge: 60_000 });
}

function readFlash(value: string | undefined): Flash | null {
  if (!value) return null;
  try {
    const flash = JSON.parse(value) as Partial<Flash>;
    return (flash.kind === 'ok' || flash.kind === 'warn') && typeof flash.text === 'string' ? { kind: flash.kind, text: flash.text.slice(0, 300) } : null;
  } catch {
    return null;
  }
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    if (cookies.has(name)) continue;
    try {
      cookies.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // A malformed value is no cookie of ours.
    }
  }
  return cookies;
}

export function clientOf(req: Request): { ip?: string; userAgent?: string } {
  return { ip: req.ip, userAgent: req.get('user-agent') };
}
