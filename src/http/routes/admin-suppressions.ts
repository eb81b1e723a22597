import { Router } from 'express';
import { z } from 'zod';
import type { AuditLog } from '../../accounts/audit-log';
import type { Suppressions } from '../../lists/suppressions';
import { MAX_ROW_ID } from '../../shared/row-id';
import { actorIn, requireAdmin, requireRole, type AdminApiAuth } from '../admin-auth';
import { parseInput, pathId } from '../parse-input';

const listQuery = z.object({
  after: z.coerce.number({ error: 'Use the "next" of the page before' }).int().positive().max(MAX_ROW_ID).optional(),
  limit: z.coerce.number({ error: 'Give a number from 1 to 500' }).int().min(1, 'Give a number from 1 to 500').max(500, 'Give a number from 1 to 500').default(100),
});

/** The reason is checked where suppressions are made (src/lists/suppressions.ts), as for the console's form. */
const addBody = z.object({
  email: z.string({ error: 'Give the address to suppress' }).trim().min(1, 'Give the address to suppress').max(254, 'An address has 254 characters at most'),
  reason: z.unknown(),
});

/**
 * /api/admin/suppressions: the suppression list (addresses left out of every send, by a bounce, a
 * complaint or an operator), adding a subscriber's address to it, and lifting it. Admins only, as
 * the other reader routes; each change is in the audit log by subscriber id, never the address.
 * An address that is no subscriber's cannot be added: there is nobody to mail (say so, 404).
 */
export function adminSuppressionsRouter(deps: { suppressions: Suppressions; auth: AdminApiAuth; audit: Pick<AuditLog, 'record'> }): Router {
  const routes = Router();

  routes.get('/', async (req, res) => {
    const query = parseInput(listQuery, req.query);
    res.json(await deps.suppressions.list(query.after, query.limit));
  });

  routes.post('/', async (req, res) => {
    const body = parseInput(addBody, req.body ?? {});
    const id = await deps.suppressions.subscriberOf(body.email);
    await deps.suppressions.suppress(id, body.reason, actorIn(res).label);
    await deps.audit.record(actorIn(res), 'reader_suppressed', { type: 'subscriber', id });
    res.status(201).json({ id, suppressed: true });
  });

  routes.delete('/:id', async (req, res) => {
    const id = pathId(req.params.id, 'No subscriber has that id');
    await deps.suppressions.unsuppress(id, actorIn(res).label);
    await deps.audit.record(actorIn(res), 'reader_unsuppressed', { type: 'subscriber', id });
    res.json({ id, suppressed: false });
  });

  const router = Router();
  router.use('/api/admin/suppressions', requireAdmin(deps.auth), requireRole('admin'), routes);
  return router;
}
