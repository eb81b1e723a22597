import { Router } from 'express';
import { z } from 'zod';
import type { Sessions } from '../../accounts/sessions';
import type { UserService } from '../../accounts/user-service';
import { AppError, fieldErrors } from '../../shared/errors';
import type { Pages } from '../pages';
import { limitPerIp, type FixedWindowRateLimiter } from '../rate-limit';
import { sendConsolePage } from './console-pages';
import { clientOf, consoleOf, cookieOptions, requireFormToken, requireSession, safeNext, SESSION_COOKIE, setFlash } from './console-session';

const signInSchema = z.object({
  email: z.string({ error: 'Enter your email address' }).trim().min(1, 'Enter your email address').max(254, 'Use at most 254 characters'),
  password: z.string({ error: 'Enter your password' }).min(1, 'Enter your password').max(1024, 'Use at most 1024 characters'),
});

/** Sign-in, set-password links and sign-out: the console's doors. */
export function signInRouter(deps: {
  sessions: Sessions;
  users: UserService;
  pages: Pages;
  limits: { perIp: FixedWindowRateLimiter; perAddress: FixedWindowRateLimiter };
  secureCookies: boolean;
}): Router {
  const router = Router();
  const { pages, sessions } = deps;
  const cookie = cookieOptions(deps.secureCookies);

  router.get('/admin/login', (req, res) => {
    if (consoleOf(res).session) return res.redirect(303, safeNext(req.query.next));
    sendConsolePage(pages, res, 'login', { values: {}, errors: {}, next: safeNext(req.query.next) });
  });

  router.post('/admin/login', limitPerIp(deps.limits.perIp), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body.next);
    const values = { email: typeof body.email === 'string' ? body.email : '' };
    const parsed = signInSchema.safeParse(body);
    if (!parsed.success) return sendConsolePage(pages, res, 'login', { values, errors: fieldErrors(parsed.error), next }, 400);
    deps.limits.perAddress.check(`admin:${parsed.data.email.toLowerCase()}`);
    const signedIn = await sessions.signIn(parsed.data.email, parsed.data.password, clientOf(req));
    if (!signedIn) {
      return sendConsolePage(pages, res, 'login', { values, errors: {}, failed: true, next }, 401);
    }
    // A new session id at every sign-in; the one this browser had before ends.
    await sessions.end(consoleOf(res).cookieToken);
    res.cookie(SESSION_COOKIE, signedIn.token, cookie);
    res.redirect(303, next);
  });

  router.get('/admin/password', async (req, res) => {
    const link = await deps.users.inspectLink(req.query.token);
    if (link.state !== 'ready') return sendConsolePage(pages, res, 'link-problem', { state: link.state }, link.state === 'expired' ? 410 : 404);
    sendConsolePage(pages, res, 'password', { token: req.query.token, purpose: link.purpose, email: link.email, errors: {} });
  });

  router.post('/admin/password', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      const user = await deps.users.setPassword(body.token, body.password, body.confirmation);
      await sessions.end(consoleOf(res).cookieToken);
      res.cookie(SESSION_COOKIE, await sessions.start(user, clientOf(req)), cookie);
      setFlash(res, { kind: 'ok', text: 'Your password is set. Welcome to the console.' }, deps.secureCookies);
      res.redirect(303, '/admin');
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      // The link's state says which page: its form again with the fields named, or why it cannot be used.
      const link = await deps.users.inspectLink(body.token);
      if (err.code === 'VALIDATION' && link.state === 'ready') {
        return sendConsolePage(pages, res, 'password', { token: body.token, purpose: link.purpose, email: link.email, errors: err.details.fields ?? {} }, 400);
      }
      const state = link.state === 'ready' ? 'invalid' : link.state;
      sendConsolePage(pages, res, 'link-problem', { state }, state === 'expired' ? 410 : 404);
    }
  });

  router.post('/admin/logout', requireSession, requireFormToken, async (_req, res) => {
    await sessions.end(consoleOf(res).cookieToken);
    res.clearCookie(SESSION_COOKIE, cookie);
    setFlash(res, { kind: 'ok', text: 'You are signed out.' }, deps.secureCookies);
    res.redirect(303, '/admin/login');
  });

  return router;
}
