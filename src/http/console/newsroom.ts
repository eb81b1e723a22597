
import type { AuditLog } from '../../accounts/audit-log';
import type { DeliveryStatus } from '../../generated/prisma/enums';
import type { DigestRepository } from '../../digests/digest-repository';
import type { EditionComposer } from '../../digests/edition-composer';
import type { EditionDesk } from '../../digests/edition-desk';
import type { EditionCurator } from '../../digests/edition-curator';
import type { Newsletter } from '../../newsletters/newsletter';
import type { NewsletterRepository } from '../../newsletters/newsletter-repository';
import type { NewsletterService } from '../../newsletters/newsletter-service';
import { AppError } from '../../shared/errors';
import type { Clock } from '../../shared/clock';
import type { DashboardStatistics } from '../../statistics/dashboard-statistics';

/** What the console's newsroom pages (dashboard, editions, newsletters) work with. */
export interface Newsroom {
  repository: Pick<DigestRepository, 'list' | 'page' | 'summary'>;
  composer: Pick<EditionComposer, 'preview'>;
  desk: EditionDesk;
  curator: EditionCurator;
  newsletters: Pick<NewsletterRepository, 'all' | 'bySlug'>;
  newsletterService: NewsletterService;
  statistics: DashboardStatistics;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
}

/**
 * An active digest by slug: the only kind whose editions are previewed, curated and sent by hand
 * (an alert's are its breaking articles). 404 for no such newsletter, 409 for one that is not.
 */
export async function sendableNewsletter(newsletters: Pick<NewsletterRepository, 'bySlug'>, slug: unknown): Promise<Newsletter> {
  const newsletter = typeof slug === 'string' ? await newsletters.bySlug(slug) : undefined;
  if (!newsletter) throw new AppError('NOT_FOUND', 'No such newsletter');
  if (newsletter.archivedAt) throw new AppError('CONFLICT', `${newsletter.name} is archived: restore it to preview, curate or send`);
  if (newsletter.kind !== 'digest') throw new AppError('CONFLICT', `${newsletter.name} is an alert newsletter: its editions are single breaking articles`);
  return newsletter;
}

/** "14:05 UTC" (a count's time), "2026-11-29 14:05 UTC" (an edition's). */
export const clockTime = (d: Date): string => `${d.toISOString().slice(11, 16)} UTC`;
export const dateTime = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** An edition's ledger as the console shows it: every count, the total, and how much is settled. */
export function progressOf(counts: Record<DeliveryStatus, number>) {
  const total = counts.pending + counts.sending + counts.sent + counts.failed + counts.skipped;
  const settled = counts.sent + counts.failed + counts.skipped;
  return { ...counts, total, percent: total ? Math.floor((settled / total) * 100) : 100 };
}
