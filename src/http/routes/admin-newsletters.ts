import { Router } from 'express';
import type { Newsletter } from '../../newsletters/newsletter';
import type { NewsletterService } from '../../newsletters/newsletter-service';
import { requireAdmin, requireRole, type AdminApiAuth } from '../admin-auth';

/**
 * /api/admin/newsletters: create, list (with confirmed subscriber counts), read, change, and
 * delete or archive. Validation lives in the service (newsletter-input.ts). Editors may read;
 * creating, changing and deleting newsletters (what readers are offered, schedules, senders) is an
 * admin's.
 */
export function adminNewslettersRouter(deps: { newsletterService: NewsletterService; auth: AdminApiAuth }): Router {
  const service = deps.newsletterService;
  const routes = Router();
  const adminOnly = requireRole('admin');
  routes.use((req, res, next) => (req.method === 'GET' ? next() : adminOnly(req, res, next)));

  routes.get('/', async (_req, res) => {
    const all = await service.list();
    res.json({ newsletters: all.map(({ newsletter, confirmedSubscribers }) => ({ ...toJson(newsletter), confirmedSubscribers })) });
  });

  routes.post('/', async (req, res) => {
    res.status(201).json({ newsletter: toJson(await service.create(req.body)) });
  });

  routes.get('/:slug', async (req, res) => {
    const { newsletter, confirmedSubscribers } = await service.get(req.params.slug);
    res.json({ newsletter: { ...toJson(newsletter), confirmedSubscribers } });
  });

  routes.patch('/:slug', async (req, res) => {
    res.json({ newsletter: toJson(await service.patch(req.params.slug, req.body)) });
  });

  routes.delete('/:slug', async (req, res) => {
    const result = await service.remove(req.params.slug);
    if (result.outcome === 'deleted') {
      res.json({ outcome: 'deleted', message: 'The newsletter was deleted.' });
      return;
    }
    const { subscriptions, editions, consents } = result.use;
    res.json({
      outcome: 'archived',
      message:
        `Archived instead of deleted: it has ${subscriptions} subscription(s), ${editions} edition(s) and ${consents} consent record(s), ` +
        'which keep their history. It is no longer offered, scheduled or sent; PATCH {"archived": false} restores it.',
      newsletter: toJson(result.newsletter),
    });
  });

  const router = Router();
  // Scoped to the path: a bare router.use() would demand the token from every later router too.
  router.use('/api/admin/newsletters', requireAdmin(deps.auth), routes);
  return router;
}

function toJson(n: Newsletter) {
  return {
    id: n.id,
    slug: n.slug,
    name: n.name,
    description: n.description,
    kind: n.kind,
    cron: n.cron,
    timeZone: n.timeZone,
    maxArticles: n.maxArticles,
    categories: n.categories,
    offered: n.offered,
    position: n.position,
    publicArchive: n.publicArchive,
    fromName: n.fromName,
    replyTo: n.replyTo,
    archived: n.archivedAt !== null,
    archivedAt: n.archivedAt?.toISOString() ?? null,
    createdAt: n.createdAt.toISOString(),
    updatedAt: n.updatedAt.toISOString(),
  };
}
