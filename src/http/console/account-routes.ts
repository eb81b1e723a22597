import { Router } from 'express';
import type { Sessions } from '../../accounts/sessions';
import type { UserService } from '../../accounts/user-service';
import { AppError } from '../../shared/errors';
import type { Pages } from '../pages';
import type { FixedWindowRateLimiter } from '../rate-limit';
import { sendConsolePage } from './console-pages';
import { clientOf, consoleOf, cookieOptions, SESSION_COOKIE, sessionOf, setFlash } from './console-session';

/**
 * Your account (every signed-in user): who you are, and a new password given the current one.
 * Wrong current passwords count against the sign-in limit of the address: a left-open session
 * cannot be used to guess the password.
 */
export function accountRouter(deps: { users: UserService; sessions: Sessions; pages: Pages; perAddress: FixedWindowRateLimiter; secureCookies: boolean }): Router {
  const router = Router();
  const { pages } = deps;

  router.get('/admin/account', (_req, res) => {
    sendConsolePage(pages, res, 'account', { errors: {} });
  });

  router.post('/admin/account/password', async (req, res) => {
    const { user } = sessionOf(res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      deps.perAddress.check(`admin:${user.email}`);
      await deps.users.changePassword(user, { current: body.current, password: body.password, confirmation: body.confirmation });
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'VALIDATION') throw err;
      return sendConsolePage(pages, res, 'account', { errors: err.details.fields ?? {} }, 400);
    }
    // Every session of the user ended with the old password; this browser gets a new one.
    await deps.sessions.end(consoleOf(res).cookieToken);
    res.cookie(SESSION_COOKIE, await deps.sessions.start(user, clientOf(req)), cookieOptions(deps.secureCookies));
    setFlash(res, { kind: 'ok', text: 'Your password is changed. Any other session of yours has ended.' }, deps.secureCookies);
    res.redirect(303, '/admin/account');
  });

  return router;
}
