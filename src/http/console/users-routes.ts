import { Router, type Response } from 'express';
import { statusOf, type UserService } from '../../accounts/user-service';
import { AppError } from '../../shared/errors';
import { actorIn } from '../admin-auth';
import type { Pages } from '../pages';
import { pathId } from '../parse-input';
import { sendConsolePage } from './console-pages';
import { setFlash, type Flash } from './console-session';

const REFUSALS = { CONFLICT: 409, NOT_FOUND: 404, VALIDATION: 400 } as const;
/** Users (admins only): invite with a role, change roles, disable, enable, remove, new set-password links. */
export function usersRouter(deps: { users: UserService; pages: Pages; secureCookies: boolean }): Router {
  const router = Router();
  const { users, pages } = deps;

  /** The Users page; after an invite or a new link, with that link shown (once: it is not stored). */
  const usersPage = async (res: Response, extra: { values?: object; errors?: object; link?: object; notice?: Flash } = {}, status = 200) => {
    const me = actorIn(res).userId;
    const list = (await users.list()).map((u) => ({ id: u.id, email: u.email, role: u.role, status: statusOf(u), createdAt: u.createdAt, me: u.id === me }));
    sendConsolePage(pages, res, 'users', { users: list, values: { role: 'editor' }, errors: {}, ...extra }, status);
  };

  /** A change refused (the last admin, a user gone, a bad role): the Users page says why, nothing changed. */
  const refusing = async (res: Response, work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      if (!(err instanceof AppError) || !(err.code in REFUSALS)) throw err;
      await usersPage(res, { notice: { kind: 'warn', text: err.details.fields?.role ?? err.message } }, REFUSALS[err.code as keyof typeof REFUSALS]);
    }
  };

  /** A change done: to the Users page, with what happened. */
  const afterChange = (res: Response, change: () => Promise<string>) =>
    refusing(res, async () => {
      setFlash(res, { kind: 'ok', text: await change() }, deps.secureCookies);
      res.redirect(303, '/admin/users');
    });

  router.get('/admin/users', async (_req, res) => {
    await usersPage(res);
  });

  router.post('/admin/users', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      const { link } = await users.invite(actorIn(res), body);
      await usersPage(res, { link });
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'VALIDATION') throw err;
      await usersPage(res, { values: { email: body.email, role: body.role }, errors: err.details.fields ?? {} }, 400);
    }
  });

  router.post('/admin/users/:id/link', async (req, res) => {
    await refusing(res, async () => usersPage(res, { link: await users.issueLink(actorIn(res), userId(req.params.id)) }));
  });

  router.post('/admin/users/:id/role', async (req, res) => {
    await afterChange(res, async () => {
      const before = await users.changeRole(actorIn(res), userId(req.params.id), req.body?.role);
      return `${before.email} is now ${req.body.role === 'admin' ? 'an admin' : 'an editor'}.`;
    });
  });

  router.post('/admin/users/:id/disable', async (req, res) => {
    await afterChange(res, async () => `${(await users.setDisabled(actorIn(res), userId(req.params.id), true)).email} is disabled and signed out.`);
  });

  router.post('/admin/users/:id/enable', async (req, res) => {
    await afterChange(res, async () => `${(await users.setDisabled(actorIn(res), userId(req.params.id), false)).email} is enabled.`);
  });

  router.post('/admin/users/:id/remove', async (req, res) => {
    await afterChange(res, async () => `${(await users.remove(actorIn(res), userId(req.params.id))).email} is removed.`);
  });

  return router;
}

const userId = (raw: unknown): number => pathId(raw, 'No such user');
