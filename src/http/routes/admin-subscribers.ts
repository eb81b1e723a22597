import { Readable, Transform, pipeline } from 'node:stream';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { SubscriberAdmin } from '../../lists/create-lists';
import type { NewsletterRepository } from '../../newsletters/newsletter-repository';
import { AppError, validationError } from '../../shared/errors';
import { MAX_ROW_ID } from '../../shared/row-id';
import type { AuditLog } from '../../accounts/audit-log';
import { actorIn, requireAdmin, requireRole, type AdminApiAuth } from '../admin-auth';
import { parseInput } from '../parse-input';

const csvList = z.preprocess(
  (v) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter(Boolean),
  z.array(z.string().max(64, 'A newsletter slug has 64 characters at most')).min(1, 'Choose at least one newsletter, like newsletters=daily').max(100),
);
const column = z.string().trim().min(1, 'Name a column of the file').max(200).optional();

const importQuery = z.object({
  newsletters: csvList,
  status: z.enum(['confirmed', 'pending'], { error: 'Choose confirmed or pending' }),
  consent: z
    .string({ error: 'State how these people consented, e.g. consent=Signed up at our stand, 2026' })
    .trim()
    .min(1, 'State how these people consented, e.g. consent=Signed up at our stand, 2026')
    .max(2000, 'The consent statement can be 2000 characters at most'),
  email: column,
  name: column,
  skipInvalid: z.enum(['true', 'false'], { error: 'Use true or false' }).optional(),
});

const exportQuery = z.object({
  status: z.enum(['pending', 'confirmed', 'unsubscribed'], { error: 'Choose pending, confirmed or unsubscribed' }).optional(),
  newsletter: z.string().trim().min(1).max(64).optional(),
});

const lookupQuery = z.object({
  email: z.string({ error: 'Give the start of an address, like email=ann' }).trim().min(1, 'Give the start of an address, like email=ann').max(254),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

const idSchema = z.coerce.number().int().positive().max(MAX_ROW_ID);

/**
 * /api/admin/subscribers: import a list (text/csv body), export the subscribers as CSV (streamed),
 * find a subscriber by address prefix, and a reader's privacy requests (their data; erasure).
 * Admins only (ADMIN_TOKEN or an admin's API token): every route hands out or changes readers'
 * personal data. Each change or hand-out is in the audit log, with counts, never an address. The
 * rules live in src/lists and src/privacy.
 */
export function adminSubscribersRouter(
  deps: SubscriberAdmin & {
    newsletters: Pick<NewsletterRepository, 'active' | 'bySlug'>;
    auth: AdminApiAuth;
    audit: Pick<AuditLog, 'record'>;
    /** LIST_IMPORT_MAX_MB: a larger file is refused with 413. */
    maxImportMb: number;
  },
): Router {
  const routes = Router();

  routes.post('/import', async (req, res) => {
    const query = parseInput(importQuery, req.query);
    if (!req.is('text/csv')) throw validationError({ body: 'Send the file as the body, with Content-Type: text/csv' });
    const active = new Map((await deps.newsletters.active()).map((n) => [n.slug, n.id]));
    const missing = query.newsletters.filter((slug) => !active.has(slug));
    if (missing.length) throw validationError({ newsletters: `No active newsletter ${missing.map((s) => `"${s}"`).join(', ')}` });
    const report = await deps.imports.run(
      limited(req, deps.maxImportMb),
      {
        newsletterIds: [...new Set(query.newsletters.map((slug) => active.get(slug)!))],
        status: query.status,
        consent: query.consent,
        mapping: { email: query.email, name: query.name },
        skipInvalid: query.skipInvalid === 'true',
      },
      actorIn(res).label,
    );
    if (report.written) {
      const { format, rows, imported, merged, duplicates, skippedCount, invalidCount } = report;
      await deps.audit.record(actorIn(res), 'list_imported', undefined, {
        newsletters: query.newsletters,
        status: query.status,
        format,
        rows,
        imported,
        merged,
        duplicates,
        skipped: skippedCount,
        invalid: invalidCount,
      });
    }
    // A file with invalid rows and no skipInvalid: nothing written, the report says why.
    res.status(report.written ? 200 : 422).json(report);
  });

  routes.get('/export', async (req, res) => {
    const query = parseInput(exportQuery, req.query);
    let newsletterId: number | undefined;
    if (query.newsletter !== undefined) {
      const newsletter = await deps.newsletters.bySlug(query.newsletter);
      if (!newsletter) throw validationError({ newsletter: `No newsletter "${query.newsletter}"` });
      newsletterId = newsletter.id;
    }
    // Recorded before the first byte: a hand-out of the list is logged even if the client stops reading.
    await deps.audit.record(actorIn(res), 'subscribers_exported', undefined, { status: query.status ?? null, newsletter: query.newsletter ?? null });
    res.type('text/csv; charset=utf-8').attachment('subscribers.csv');
    // pipeline: the response's backpressure paces the pages, and a client that goes away stops them.
    await new Promise<void>((resolve) => {
      pipeline(Readable.from(deps.exports.csv({ status: query.status, newsletterId }, actorIn(res).label)), res, (err) => {
        if (err && !res.destroyed) res.destroy(err);
        resolve();
      });
    });
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

function subscriberId(req: Request): number {
  const id = idSchema.safeParse(req.params.id);
  if (!id.success) throw new AppError('NOT_FOUND', 'No subscriber has that id');
  return id.data;
}

/**
 * The request body, failing with 413 past `max` bytes (the file is read as it arrives). The rest of
 * an oversized body is read and dropped, so the client, still sending, gets the answer.
 */
function limited(req: Request, maxMb: number): Readable {
  const max = maxMb * 1024 * 1024;
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen <= max) return done(null, chunk);
      req.unpipe(counter);
      req.resume();
      done(new AppError('TOO_LARGE', `The file is larger than ${maxMb} MB (LIST_IMPORT_MAX_MB)`));
    },
  });
  req.on('error', (err) => counter.destroy(err));
  return req.pipe(counter);
}
