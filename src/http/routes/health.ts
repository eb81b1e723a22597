import { Router } from 'express';

/** A probe that waits longer than this is worse than a "no": orchestrators time out and pile up. */
const READINESS_BOUND_MS = 1000;

/** /healthz: the process answers. /readyz: it can serve, i.e. the database answers, within 1 s. */
export function healthRouter(isDatabaseReachable: () => Promise<boolean>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const database = await withinBound(isDatabaseReachable());
    res.setHeader('Cache-Control', 'no-store');
    res.status(database ? 200 : 503).json({ status: database ? 'ready' : 'unavailable', database });
  });
  return router;
}

/** The check's answer, or false when it has not answered in time (it finishes on its own later). */
function withinBound(check: Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), READINESS_BOUND_MS);
  });
  return Promise.race([check.catch(() => false), late]).finally(() => clearTimeout(timer));
}
