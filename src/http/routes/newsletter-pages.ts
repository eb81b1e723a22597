import { Router } from 'express';
import type { ArchiveCursor } from '../../newsletters/edition-archive';
import type { NewsletterService } from '../../newsletters/newsletter-service';
import { validationError } from '../../shared/errors';
import { MAX_ROW_ID } from '../../shared/row-id';
import type { Pages } from '../pages';

/**
 * GET /newsletters/:slug, a newsletter's public page: its signup box and, unless the operator
 * turned its archive off, its past editions (newest first, `?before=` for older ones) linking to
 * their web versions. Archived and unknown newsletters are 404.
 */
export function newsletterPagesRouter(deps: { newsletterService: NewsletterService; pages: Pages; confirmationTtlHours: number }): Router {
  const router = Router();
  router.get('/newsletters/:slug', async (req, res) => {
    const page = await deps.newsletterService.archivePage(req.params.slug, cursorFrom(req.query.before));
    const { newsletter } = page;
    // Dates as the newsletter's readers live them: in the time zone of its schedule.
    const day = new Intl.DateTimeFormat('en-GB', { timeZone: newsletter.timeZone, weekday: 'short', day: 'numeric', month: 'long', year: 'numeric' });
    deps.pages.send(res, 'newsletter', {
      newsletter,
      editions: page.editions?.map((e) => ({ subject: e.subject, href: `/digests/${e.publicId}`, iso: e.editionAt.toISOString(), day: day.format(e.editionAt) })),
      olderHref: page.next ? `/newsletters/${page.newsletter.slug}?before=${page.next.editionAt.getTime()}~${page.next.id}` : undefined,
      isOlderPage: req.query.before !== undefined,
      ttlHours: deps.confirmationTtlHours,
    });
  });
  return router;
}

/** `<edition time in ms>~<id>`, as the "Older editions" link writes it. */
function cursorFrom(raw: unknown): ArchiveCursor | undefined {
  if (raw === undefined) return undefined;
  const match = typeof raw === 'string' ? /^(\d{1,15})~(\d{1,10})$/.exec(raw) : null;
  const editionAt = new Date(Number(match?.[1]));
  const id = Number(match?.[2]);
  if (!match || Number.isNaN(editionAt.getTime()) || id > MAX_ROW_ID) throw validationError({ before: 'must be the link of "Older editions"' });
  return { editionAt, id };
}
