import { Router, type Response } from 'express';
import type { ApiTokens } from '../../accounts/api-tokens';
import { AppError } from '../../shared/errors';
import { actorIn } from '../admin-auth';
import type { Pages } from '../pages';
import { pathId } from '../parse-input';
import { sendConsolePage } from './console-pages';
import { setFlash } from './console-session';

/** My API tokens: every user makes, sees and revokes their own. A new token is shown once. */
export function tokensRouter(deps: { apiTokens: ApiTokens; pages: Pages; secureCookies: boolean; publicUrl: string }): Router {
  const router = Router();
  const { apiTokens, pages } = deps;

  const tokensPage = async (res: Response, extra: object = {}, status = 200) => {
    const tokens = await apiTokens.list(actorIn(res).userId!);
    sendConsolePage(pages, res, 'tokens', { tokens, values: {}, errors: {}, publicUrl: deps.publicUrl, ...extra }, status);
  };

  router.get('/admin/tokens', async (_req, res) => {
    await tokensPage(res);
  });

  router.post('/admin/tokens', async (req, res) => {
    try {
      await tokensPage(res, { created: await apiTokens.create(actorIn(res), req.body ?? {}) });
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'VALIDATION') throw err;
      await tokensPage(res, { values: { name: req.body?.name }, errors: err.details.fields ?? {} }, 400);
    }
  });

  router.post('/admin/tokens/:id/revoke', async (req, res) => {
    await apiTokens.revoke(actorIn(res), pathId(req.params.id, 'No such token'));
    setFlash(res, { kind: 'ok', text: 'The token is revoked: it no longer opens the admin API.' }, deps.secureCookies);
    res.redirect(303, '/admin/tokens');
  });

  return router;
}
