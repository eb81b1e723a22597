import { Router } from 'express';
import { z } from 'zod';
import { actorIn, requireAdmin, type AdminApiAuth } from '../admin-auth';
import { parseInput, pathId } from '../parse-input';
import { AppError, validationError } from '../../shared/errors';
import type { Clock } from '../../shared/clock';
import { LEGACY_FREQUENCIES, slugSchema, type Newsletter } from '../../newsletters/newsletter';
import type { NewsletterRepository } from '../../newsletters/newsletter-repository';
import type { DigestRepository } from '../../digests/digest-repository';
import type { EditionComposer } from '../../digests/edition-composer';
import type { EditionDesk } from '../../digests/edition-desk';

/** `newsletter: "<slug>"`, or the old clients' `frequency: "daily" | "weekly"` (the newsletter of that slug). */
const editionQuery = z
  .object({
    newsletter: slugSchema.optional(),
    frequency: z.enum(LEGACY_FREQUENCIES, { error: 'Choose daily or weekly' }).optional(),
  })
  .refine((q) => q.newsletter !== undefined || q.frequency !== undefined, {
    path: ['newsletter'],
    message: 'Name the newsletter, like "daily"',
  });
/** Admin API of the digests (editors and admins). Shows counts and subjects only: never an address or a token. */
export function adminDigestsRouter(deps: {
  auth: AdminApiAuth;
  composer: Pick<EditionComposer, 'preview'>;
  desk: EditionDesk;
  repository: DigestRepository;
  newsletters: Pick<NewsletterRepository, 'bySlug'>;
  clock: Clock;
  publicUrl: string;
}): Router {
  const router = Router();
  router.use('/api/admin/digests', requireAdmin(deps.auth));

  router.get('/api/admin/digests', async (_req, res) => {
    const digests = await deps.repository.list(100);
    res.json({ digests: digests.map((d) => ({ ...d, webUrl: `${deps.publicUrl}/digests/${d.publicId}` })) });
  });

  router.get('/api/admin/digests/preview', async (req, res) => {
    const newsletter = await digestNewsletter(parseInput(editionQuery, req.query));
    const preview = await deps.composer.preview(newsletter, deps.clock.now());
    if (!preview.articles) throw new AppError('NOT_FOUND', 'No articles since the previous edition: nothing would be sent');
    res.setHeader('X-Digest-Subject', encodeURIComponent(preview.subject));
    res.type('html').send(preview.html);
  });

  router.post('/api/admin/digests', async (req, res) => {
    const newsletter = await digestNewsletter(parseInput(editionQuery, req.body ?? {}));
    const result = await deps.desk.sendNow(actorIn(res), newsletter);
    if (result.outcome === 'exists') throw new AppError('CONFLICT', 'An edition for this time already exists');
    if (result.outcome === 'empty') {
      res.json({ digest: null, message: 'No articles since the previous edition: nothing to send' });
      return;
    }
    if (result.outcome === 'no-recipients') {
      res.json({ digest: null, message: `No confirmed ${newsletter.slug} subscribers: nothing sent, the articles wait for the next edition` });
      return;
    }
    res.status(201).json({
      digest: {
        id: result.digestId,
        newsletter: newsletter.slug,
        publicId: result.publicId,
        recipients: result.recipients,
        articles: result.articles,
        webUrl: `${deps.publicUrl}/digests/${result.publicId}`,
      },
    });
  });

  /** The active digest newsletter named; anything else is a 400 naming the field it came in. */
  async function digestNewsletter(query: z.infer<typeof editionQuery>): Promise<Newsletter> {
    const field = query.newsletter !== undefined ? 'newsletter' : 'frequency';
    const slug = (query.newsletter ?? query.frequency) as string;
    const newsletter = await deps.newsletters.bySlug(slug);
    if (!newsletter || newsletter.archivedAt) throw validationError({ [field]: `No active newsletter "${slug}"` });
    if (newsletter.kind !== 'digest') {
      throw validationError({ [field]: `"${slug}" is an alert newsletter: its editions are single breaking articles, not made here` });
    }
    return newsletter;
  }

  router.post('/api/admin/digests/:id/retry-failed', async (req, res) => {
    const id = pathId(req.params.id, 'No such digest');
    if (!(await deps.repository.byId(id))) throw new AppError('NOT_FOUND', 'No such digest');
    const requeued = await deps.desk.retryFailed(actorIn(res), id);
    res.json({ requeued });
  });

  return router;
}

