import { Router } from 'express';
import type { AuditLog } from '../../accounts/audit-log';
import type { Pages } from '../pages';
import { sendConsolePage } from './console-pages';

const PAGE_SIZE = 50;

/** The audit log (admins only), newest first, a page at a time by cursor (`?before=<id>`). */
export function auditRouter(deps: { audit: AuditLog; pages: Pages }): Router {
  const router = Router();
  router.get('/admin/audit', async (req, res) => {
    const before = typeof req.query.before === 'string' && /^\d{1,18}$/.test(req.query.before) ? BigInt(req.query.before) : undefined;
    const { entries, nextCursor } = await deps.audit.page(PAGE_SIZE, before);
    sendConsolePage(deps.pages, res, 'audit', {
      entries: entries.map((e) => ({ ...e, details: e.details ? JSON.stringify(e.details) : '' })),
      next: nextCursor === null ? null : `/admin/audit?before=${nextCursor}`,
      first: before !== undefined,
    });
  });
  return router;
}
