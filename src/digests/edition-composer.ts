import crypto from 'node:crypto';
import type pg from 'pg';
import { withTransaction } from '../db/transaction';
import type { Logger } from '../shared/logger';
import { compileStored, escapeHtml } from '../mail/personalize';
import type { DeliveryLedger } from './delivery-ledger';
import type { Newsletter } from '../newsletters/newsletter';
import { editionKeyOfSlot, latestSlot, slotBefore } from './slots';
import { genericLinks, type DigestRenderer } from './digest-renderer';
import type { DigestRepository } from './digest-repository';

export type ComposeOutcome =
  | { outcome: 'composed'; digestId: number; publicId: string; recipients: number; articles: number }
  /** The window had no articles: nothing is recorded and nobody is mailed. */
  | { outcome: 'empty'; windowStart: Date; previousEditionAt?: Date }
  /**
   * Articles, but no confirmed subscriber of this newsletter: nothing is recorded, so the articles
   * stay in the window of the next edition instead of being used up on nobody.
   */
  | { outcome: 'no-recipients'; articles: number }
  /** This slot (or a later one) already has an edition, made here or by another instance. */
  | { outcome: 'exists' };

/** Thrown inside the composing transaction to roll it back: the slot gets no edition, for this reason. */
class NoEdition extends Error {
  constructor(readonly outcome: Exclude<ComposeOutcome, { outcome: 'composed' }>) {
    super(outcome.outcome);
  }
}

/** The outcome a NoEdition carried out of its rolled-back transaction; any other error goes on. */
function rolledBack(err: unknown): NoEdition['outcome'] {
  if (err instanceof NoEdition) return err.outcome;
  throw err;
}

/** What composing reads of a digest newsletter. */
export type ComposedNewsletter = Pick<Newsletter, 'id' | 'slug' | 'name' | 'cron' | 'timeZone' | 'maxArticles' | 'categories' | 'replyTo'>;

/** Without a schedule (not expected of a digest), the first window looks back a day. */
const UNSCHEDULED_FIRST_WINDOW_MS = 24 * 3600_000;

/**
 * Makes one edition of a digest newsletter: window -> its articles (its category filter, its most
 * articles) -> render once -> digest row + recipient ledger in ONE transaction. The digest table's
 * unique (newsletter_id, edition_key), the key being the slot, makes a second compose of the same
 * slot (another instance, a retried job, a catch-up) a no-op; newsletters whose slots coincide
 * each get their own edition.
 */
export class EditionComposer {
  constructor(
    private readonly deps: {
      pool: pg.Pool;
      repository: DigestRepository;
      ledger: DeliveryLedger;
      renderer: DigestRenderer;
      publicUrl: string;
      logger: Logger;
      /** Told after a digest is committed, so the local sender starts at once instead of polling. */
      onComposed?: () => void;
    },
  ) {}

  async compose(newsletter: ComposedNewsletter, editionAt: Date): Promise<ComposeOutcome> {
    const { repository, ledger, renderer, logger } = this.deps;
    const log = { newsletter: newsletter.slug, editionAt };
    // A later edition already covers this slot's articles (e.g. an admin sent one by hand).
    if (await repository.hasEditionAtOrAfter(newsletter.id, editionAt)) return { outcome: 'exists' };
    const { windowStart, previous, articles } = await this.window(newsletter, editionAt);
    if (!articles.length) {
      logger.info(log, 'no matching articles in the window: no edition');
      return { outcome: 'empty', windowStart, previousEditionAt: previous?.editionAt };
    }
    const publicId = crypto.randomBytes(16).toString('base64url');
    const rendered = renderer.render({ newsletter, editionAt, publicId, articles });

    const outcome = await withTransaction(this.deps.pool, async (tx) => {
      const digestId = await repository.insertIfAbsent(tx, {
        newsletterId: newsletter.id,
        editionKey: editionKeyOfSlot(editionAt),
        editionAt,
        windowStart,
        windowEnd: editionAt,
        publicId,
        ...rendered,
        articleIds: articles.map((a) => a.id),
      });
      if (digestId === undefined) throw new NoEdition({ outcome: 'exists' });
      const recipients = await ledger.recordRecipients(tx, digestId, newsletter.id);
      // A digest row would start the next window after these articles, used up on nobody.
      if (recipients === 0) throw new NoEdition({ outcome: 'no-recipients', articles: articles.length });
      return { outcome: 'composed', digestId, publicId, recipients, articles: articles.length } as const;
    }).catch(rolledBack);
    if (outcome.outcome !== 'composed') {
      if (outcome.outcome === 'no-recipients') {
        logger.info({ ...log, articles: articles.length }, 'no confirmed subscribers: no edition, the window stays open');
      }
      return outcome;
    }
    await ledger.refreshStatistics();
    const { digestId, recipients } = outcome;
    logger.info({ ...log, digestId, recipients, articles: articles.length }, 'edition composed');
    this.deps.onComposed?.();
    return outcome;
  }

  /** The HTML an edition made now would have, with generic links; nothing is stored. */
  async preview(newsletter: ComposedNewsletter, now: Date): Promise<{ html: string; subject: string; articles: number }> {
    const { articles } = await this.window(newsletter, now);
    const rendered = this.deps.renderer.render({ newsletter, editionAt: now, publicId: 'preview', articles });
    return { html: this.fillGenericLinks(rendered.html), subject: rendered.subject, articles: articles.length };
  }

  /** The web view shows no one's personal links: the placeholders become the generic pages. */
  fillGenericLinks(html: string): string {
    // A shared page cannot carry anyone's signed link: each leads to "email me a link to manage".
    return compileStored(html, escapeHtml)(genericLinks(`${this.deps.publicUrl}/manage`));
  }

  /**
   * Since the newsletter's previous edition; the first edition since the slot before this one
   * (one period of its schedule), so a new newsletter does not send the whole archive.
   */
  private async window(newsletter: ComposedNewsletter, editionAt: Date) {
    const previous = await this.deps.repository.previousEdition(newsletter.id, editionAt);
    const windowStart = previous?.windowEnd ?? firstWindowStart(newsletter, editionAt);
    const articles = await this.deps.repository.articlesIn(windowStart, editionAt, newsletter.maxArticles, newsletter.categories);
    return { windowStart, previous, articles };
  }
}

/** The cron slot before the latest one at or before `editionAt` (for a scheduled slot: the previous slot). */
function firstWindowStart(newsletter: Pick<Newsletter, 'cron' | 'timeZone'>, editionAt: Date): Date {
  if (!newsletter.cron) return new Date(editionAt.getTime() - UNSCHEDULED_FIRST_WINDOW_MS);
  const latest = latestSlot(newsletter.cron, newsletter.timeZone, editionAt);
  return slotBefore(newsletter.cron, newsletter.timeZone, latest);
}
