import { Router, type Request } from 'express';
import { z } from 'zod';
import type { AuditedLists } from '../../lists/audited-lists';
import type { SubscriberAdmin } from '../../lists/create-lists';
import { validationError } from '../../shared/errors';
import type { AuditLog } from '../../accounts/audit-log';
import { actorIn, requireAdmin, requireRole, type AdminApiAuth } from '../admin-auth';
import { sendCsv } from '../csv-download';
import { parseInput, pathId } from '../parse-input';
import { sizeLimited } from '../upload-limit';

const lookupQuery = z.object({
  email: z.string({ error: 'Give the start of an address, like email=ann' }).trim().min(1, 'Give the start of an address, like email=ann').max(254),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/**
 * /api/admin/subscribers: import a list (text/csv body), export the subscribers as CSV (streamed),
 * find a subscriber by address prefix, and a reader's privacy requests (their data; erasure).
 * Admins only (ADMIN_TOKEN or an admin's API token): every route hands out or changes readers'
 * personal data. Each change or hand-out is in the audit log, with counts, never an address. The
 * rules live in src/lists and src/privacy.
 */
export function adminSubscribersRouter(
  deps: SubscriberAdmin & {
    /** Import and export with their input rules and audit entries, shared with the console. */
    lists: AuditedLists;
    auth: AdminApiAuth;
    audit: Pick<AuditLog, 'record'>;
    /** LIST_IMPORT_MAX_MB: a larger file is refused with 413. */
    maxImportMb: number;
  },
): Router {
  const routes = Router();

  routes.post('/import', async (req, res) => {
    const options = await deps.lists.importOptions(req.query);
    if (!req.is('text/csv')) throw validationError({ body: 'Send the file as the body, with Content-Type: text/csv' });
    const report = await deps.lists.import(actorIn(res), sizeLimited(req, deps.maxImportMb), options);
    // A file with invalid rows and no skipInvalid: nothing written, the report says why.
    res.status(report.written ? 200 : 422).json(report);
  });

  routes.get('/export', async (req, res) => {
    const lines = await deps.lists.export(actorIn(res), req.query);
    await sendCsv(res, lines, 'subscribers.csv');
  });

  routes.get('/', async (req, res) => {
    const query = parseInput(lookupQuery, req.query);
    res.json({ subscribers: await deps.lookup.byPrefix(query.email, query.limit) });
  });

  routes.get('/:id/data', async (req, res) => {
    const id = subscriberId(req);
    const data = await deps.readerData.of(id, actorIn(res).label);
    await deps.audit.record(actorIn(res), 'reader_data_exported', { type: 'subscriber', id });
    res.json(data);
  });

  routes.delete('/:id', async (req, res) => {
    const id = subscriberId(req);
    const result = await deps.erasure.erase(id, actorIn(res).label);
    await deps.audit.record(actorIn(res), 'reader_erased', { type: 'subscriber', id }, { ...result });
    res.json({ erased: true, ...result });
  });

  const router = Router();
  // Scoped to the path: a bare router.use() would demand the token from every later router too.
  router.use('/api/admin/subscribers', requireAdmin(deps.auth), requireRole('admin'), routes);
  return router;
}

const subscriberId = (req: Request): number => pathId(req.params.id, 'No subscriber has that id');
