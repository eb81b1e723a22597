import crypto from 'node:crypto';
import type pg from 'pg';
import { withTransaction } from '../db/transaction';
import type { Logger } from '../shared/logger';
import { compileStored, escapeHtml } from '../mail/personalize';
import type { DeliveryLedger } from './delivery-ledger';
import type { Newsletter } from '../newsletters/newsletter';
import { editionKeyOfSlot } from './slots';
import { genericLinks, type DigestRenderer } from './digest-renderer';
import type { DigestRepository } from './digest-repository';
import type { CurationRepository } from './curation-repository';
import type { NextEditionReader } from './next-edition';

export type ComposeOutcome =
  /** `curated`: made as an editor arranged it (their curation is now used up). */
  | { outcome: 'composed'; digestId: number; publicId: string; recipients: number; articles: number; curated: boolean }
  /**
   * The window had no articles (or an editor dropped every one, `dropped` of them): nothing is
   * recorded and nobody is mailed.
   */
  | { outcome: 'empty'; windowStart: Date; previousEditionAt?: Date; dropped?: number }
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

/**
 * Makes one edition of a digest newsletter: window -> its articles (its category filter, its most
 * articles, an editor's curation) -> render once -> digest row + recipient ledger, all in ONE
 * transaction. The digest table's unique (newsletter_id, edition_key), the key being the slot,
 * makes a second compose of the same slot (another instance, a retried job, a catch-up) a no-op;
 * newsletters whose slots coincide each get their own edition. The transaction starts with the
 * newsletter's next-edition lock (curation-queries.ts): compositions and curation saves of one
 * newsletter happen one after the other, so a curation is applied to exactly one edition and
 * deleted with it, and a composition sees the editions made before it.
 */
export class EditionComposer {
  constructor(
    private readonly deps: {
      pool: pg.Pool;
      repository: DigestRepository;
      curations: CurationRepository;
      nextEdition: NextEditionReader;
      ledger: DeliveryLedger;
      renderer: DigestRenderer;
      publicUrl: string;
      logger: Logger;
      /** Told after a digest is committed, so the local sender starts at once instead of polling. */
      onComposed?: () => void;
    },
  ) {}

  async compose(newsletter: ComposedNewsletter, editionAt: Date): Promise<ComposeOutcome> {
    const { repository, curations, ledger, renderer, logger } = this.deps;
    const log = { newsletter: newsletter.slug, editionAt };
    // A later edition already covers this slot's articles (e.g. an admin sent one by hand): no
    // transaction for the common repeat. Asked again under the lock, where it is certain.
    if (await repository.hasEditionAtOrAfter(newsletter.id, editionAt)) return { outcome: 'exists' };
    const publicId = crypto.randomBytes(16).toString('base64url');

    const outcome = await withTransaction(this.deps.pool, async (tx) => {
      await curations.lockNextEdition(tx, newsletter.id);
      if (await repository.hasEditionAtOrAfter(newsletter.id, editionAt, tx)) throw new NoEdition({ outcome: 'exists' });
      const next = await this.deps.nextEdition.read(newsletter, editionAt, tx);
      const { windowStart, previous, articles, curation } = next;
      if (!articles.length) {
        const dropped = curation && next.candidates.length ? { dropped: next.candidates.length } : {};
        throw new NoEdition({ outcome: 'empty', windowStart, previousEditionAt: previous?.editionAt, ...dropped });
      }
      const rendered = renderer.render({ newsletter, editionAt, publicId, articles, note: curation?.note });
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
      // A digest row would start the next window after these articles, used up on nobody (the curation stays too).
      if (recipients === 0) throw new NoEdition({ outcome: 'no-recipients', articles: articles.length });
      // Used up by this edition: the next one goes out as composed unless someone curates it.
      if (curation) await curations.remove(tx, newsletter.id);
      return { outcome: 'composed', digestId, publicId, recipients, articles: articles.length, curated: !!curation } as const;
    }).catch(rolledBack);
    if (outcome.outcome !== 'composed') {
      if (outcome.outcome === 'empty') logger.info({ ...log, dropped: outcome.dropped }, 'no matching articles in the window: no edition');
      if (outcome.outcome === 'no-recipients') {
        logger.info({ ...log, articles: outcome.articles }, 'no confirmed subscribers: no edition, the window stays open');
      }
      return outcome;
    }
    await ledger.refreshStatistics();
    const { digestId, recipients, articles, curated } = outcome;
    logger.info({ ...log, digestId, recipients, articles, curated }, 'edition composed');
    this.deps.onComposed?.();
    return outcome;
  }

  /** The HTML an edition made now would have (curated, if it is), with generic links; nothing is stored. */
  async preview(newsletter: ComposedNewsletter, now: Date): Promise<{ html: string; subject: string; articles: number; curated: boolean }> {
    const { articles, curation } = await this.deps.nextEdition.read(newsletter, now);
    const rendered = this.deps.renderer.render({ newsletter, editionAt: now, publicId: 'preview', articles, note: curation?.note });
    return { html: this.fillGenericLinks(rendered.html), subject: rendered.subject, articles: articles.length, curated: !!curation };
  }

  /** The web view shows no one's personal links: the placeholders become the generic pages. */
  fillGenericLinks(html: string): string {
    // A shared page cannot carry anyone's signed link: each leads to "email me a link to manage".
    return compileStored(html, escapeHtml)(genericLinks(`${this.deps.publicUrl}/manage`));
  }
}
