import crypto from 'node:crypto';
import { Router, type Request } from 'express';
import { AppError } from '../../shared/errors';
import { isFromThisMachine } from '../local-request';

export interface MetricsExposition {
  exposition(): Promise<{ contentType: string; body: string }>;
}

/** Who may read /metrics: let in, refused as a wrong token (401), or not told it exists (404). */
export type MetricsAccess = 'allowed' | 'wrong-token' | 'hidden';

/**
 * GET /metrics, the Prometheus text format. Served to this machine (isFromThisMachine: a
 * Prometheus or agent beside the service) and to anyone sending `Authorization: Bearer
 * <METRICS_TOKEN>`. Anyone else gets the site's ordinary 404, so a scan learns nothing; a request
 * that does send a bearer token when METRICS_TOKEN is set gets 401 when it is wrong, so an
 * operator sees a typo as a typo and not as a missing route.
 */
export function metricsRouter(deps: { metrics: MetricsExposition; token: string | undefined }): Router {
  const router = Router();
  const access = metricsAccess(deps.token);
  router.get('/metrics', async (req, res) => {
    const verdict = access(req);
    if (verdict === 'hidden') throw new AppError('NOT_FOUND', 'Not found');
    if (verdict === 'wrong-token') {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new AppError('UNAUTHORIZED', 'A valid metrics token is required');
    }
    const { contentType, body } = await deps.metrics.exposition();
    res.setHeader('Cache-Control', 'no-store');
    res.type(contentType).send(body);
  });
  return router;
}

/** The access rule alone, for the route and its tests. */
export function metricsAccess(token: string | undefined): (req: Request) => MetricsAccess {
  // Hashing both sides gives equal lengths, so the comparison is constant-time (as requireAdmin).
  const expected = token ? digest(token) : undefined;
  return (req) => {
    const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    if (expected && given !== undefined) {
      if (crypto.timingSafeEqual(expected, digest(given))) return 'allowed';
      return 'wrong-token';
    }
    return isFromThisMachine(req) ? 'allowed' : 'hidden';
  };
}

function digest(value: string): Buffer {
  return crypto.createHash('sha256').update(value).digest();
}
