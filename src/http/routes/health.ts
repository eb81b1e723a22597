import { Router } from 'express';

/** /healthz: the process answers. /readyz: it can serve, i.e. the database answers. */
export function healthRouter(isDatabaseReachable: () => Promise<boolean>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const database = await isDatabaseReachable();
    res.status(database ? 200 : 503).json({ status: database ? 'ready' : 'unavailable', database });
  });
  return router;
}
