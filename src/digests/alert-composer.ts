import crypto from 'node:crypto';
import type pg from 'pg';
import { withTransaction } from '../db/transaction';
import type { Newsletter } from '../newsletters/newsletter';
import { passesCategoryFilter } from '../shared/categories';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { ALERT_ARTICLE, MISSED_ALERT_ARTICLES, NEWSLETTERS_WITH_EDITION, alertArticleFromRow, type AlertArticle, type AlertArticleRow } from './alert-queries';
import type { AlertRenderer } from './alert-renderer';
import type { DeliveryLedger } from './delivery-ledger';
import type { DigestRepository } from './digest-repository';

export type AlertOutcome =
  | { newsletter: string; outcome: 'composed'; digestId: number; recipients: number }
  /** Another call (a repeat, another instance) made this newsletter's alert of the article first. */
  | { newsletter: string; outcome: 'exists' }
  /** No confirmed reader: nothing is recorded, so a later call (the catch-up) may still make it. */
  | { newsletter: string; outcome: 'no-recipients' };

/** Thrown inside the alert's transaction to roll it back: the newsletter gets no edition. */
class NoAlert extends Error {
  constructor(readonly outcome: Exclude<AlertOutcome, { outcome: 'composed' }>) {
    super(outcome.outcome);
  }
}

/**
 * How far back the catch-up looks: news older than this is no longer breaking, and is left to the
 * digests rather than sent as an alert hours late.
 */
export const CATCH_UP_MS = 60 * 60_000;

/** An alert's edition key: one alert per article and newsletter, by the digests' unique key. */
export function alertEditionKey(articleId: number): string {
  return `article:${articleId}`;
}

/**
 * Makes the alerts of one breaking article: for each active alert newsletter whose filter it
 * matches, render once, then store the edition (key `article:<id>`) and its recipients in ONE
 * transaction, as EditionComposer does for a digest. The unique (newsletter_id, edition_key) makes
 * every repeat (the article posted or updated again, a retried job, two instances at once, the
 * catch-up) insert nothing: exactly one alert per article and newsletter.
 */
export class AlertComposer {
  constructor(
    private readonly deps: {
      pool: pg.Pool;
      repository: Pick<DigestRepository, 'insertIfAbsent'>;
      ledger: Pick<DeliveryLedger, 'recordRecipients' | 'refreshStatistics'>;
      newsletters: { active(): Promise<Newsletter[]> };
      renderer: AlertRenderer;
      clock: Clock;
      logger: Logger;
      /** Told after each alert is committed, so the local sender starts at once instead of polling. */
      onComposed?: () => void;
    },
  ) {}

  async composeFor(articleId: number): Promise<AlertOutcome[]> {
    const article = await this.article(articleId);
    // Deleted, or no longer breaking, by the time the job ran: nothing to announce.
    if (!article?.breaking) return [];
    const candidates = (await this.deps.newsletters.active()).filter(
      (n) => n.kind === 'alert' && passesCategoryFilter(n.categories, article.categories),
    );
    if (!candidates.length) return [];
    // A repeat stops here, before rendering anything.
    const done = await this.newslettersWithAlert(articleId, candidates);
    const outcomes: AlertOutcome[] = [];
    for (const newsletter of candidates) {
      if (done.has(newsletter.id)) outcomes.push({ newsletter: newsletter.slug, outcome: 'exists' });
      else outcomes.push(await this.composeOne(newsletter, article));
    }
    if (outcomes.some((o) => o.outcome === 'composed')) {
      // After the sender was woken: fresh statistics help its claims, but must not delay the first send.
      await this.deps.ledger.refreshStatistics();
    }
    return outcomes;
  }

  /**
   * Makes the alerts that were missed: breaking articles written in the last CATCH_UP_MS whose
   * matching newsletters lack their alert (the process died between the article's write and its
   * job, the job queue refused it, a command imported the article). Returns the articles handled.
   */
  async catchUp(): Promise<number> {
    const since = new Date(this.deps.clock.now().getTime() - CATCH_UP_MS);
    const { rows } = await this.deps.pool.query<{ id: number }>(MISSED_ALERT_ARTICLES, [since]);
    for (const { id } of rows) {
      const outcomes = await this.composeFor(id);
      // Only an alert the catch-up itself made was missed; one made first by the job is no news.
      if (outcomes.some((o) => o.outcome === 'composed')) this.deps.logger.warn({ articleId: id, outcomes }, 'missed alert made by the catch-up');
    }
    return rows.length;
  }

  private async composeOne(newsletter: Newsletter, article: AlertArticle): Promise<AlertOutcome> {
    const { logger } = this.deps;
    const publicId = crypto.randomBytes(16).toString('base64url');
    const rendered = this.deps.renderer.render({ newsletter, article, publicId });
    const now = this.deps.clock.now();
    const outcome = await withTransaction(this.deps.pool, async (tx): Promise<AlertOutcome> => {
      const digestId = await this.deps.repository.insertIfAbsent(tx, {
        newsletterId: newsletter.id,
        editionKey: alertEditionKey(article.id),
        editionAt: now,
        // An alert covers no window: the article is named in articleIds.
        windowStart: now,
        windowEnd: now,
        publicId,
        ...rendered,
        articleIds: [article.id],
      });
      if (digestId === undefined) throw new NoAlert({ newsletter: newsletter.slug, outcome: 'exists' });
      const recipients = await this.deps.ledger.recordRecipients(tx, digestId, newsletter.id);
      // An edition with no recipients would stand for an alert nobody got, and stop a later one.
      if (recipients === 0) throw new NoAlert({ newsletter: newsletter.slug, outcome: 'no-recipients' });
      return { newsletter: newsletter.slug, outcome: 'composed', digestId, recipients };
    }).catch((err: unknown) => {
      if (err instanceof NoAlert) return err.outcome;
      throw err;
    });
    if (outcome.outcome === 'composed') {
      logger.info({ digestId: outcome.digestId, newsletter: newsletter.slug, articleId: article.id, recipients: outcome.recipients }, 'alert composed');
      this.deps.onComposed?.();
    } else {
      logger.info({ newsletter: newsletter.slug, articleId: article.id, outcome: outcome.outcome }, 'no alert made');
    }
    return outcome;
  }

  private async article(id: number): Promise<AlertArticle | undefined> {
    const { rows } = await this.deps.pool.query<AlertArticleRow>(ALERT_ARTICLE, [id]);
    return rows[0] && alertArticleFromRow(rows[0]);
  }

  private async newslettersWithAlert(articleId: number, newsletters: Newsletter[]): Promise<Set<number>> {
    const { rows } = await this.deps.pool.query<{ newsletter_id: number }>(NEWSLETTERS_WITH_EDITION, [
      alertEditionKey(articleId),
      newsletters.map((n) => n.id),
    ]);
    return new Set(rows.map((r) => r.newsletter_id));
  }
}
