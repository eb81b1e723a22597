import type pg from 'pg';
import type { Queryable } from '../db/transaction';
import type { Newsletter } from '../newsletters/newsletter';
import type { CurationRepository, StoredCuration } from './curation-repository';
import type { DigestArticle } from './digest-renderer';
import type { DigestRepository } from './digest-repository';
import { arrange, curatedArticles, type Arranged } from './edition-curation';
import { latestSlot, slotBefore } from './slots';

/** What reading the next edition needs of its newsletter. */
export type WindowedNewsletter = Pick<Newsletter, 'id' | 'cron' | 'timeZone' | 'maxArticles' | 'categories'>;

/**
 * Most articles of a window an editor can arrange (the newest ones): enough to promote any story
 * of a day or a week past the newsletter's most articles (at most 100), few enough for one page.
 */
export const CURATION_CANDIDATES = 100;

/** Without a schedule (not expected of a digest), the first window looks back a day. */
const UNSCHEDULED_FIRST_WINDOW_MS = 24 * 3600_000;

export interface NextEdition {
  windowStart: Date;
  previous?: { editionAt: Date; windowEnd: Date };
  curation?: StoredCuration;
  /** The window's articles, newest first: with a curation (or `forCuration`) up to CURATION_CANDIDATES, else the edition's. */
  candidates: DigestArticle[];
  /** What the edition holds, in its order: the curated ones, or the newest `maxArticles`. */
  articles: DigestArticle[];
}

/**
 * The next edition of a digest newsletter as it stands at `at`: its window, the editor's
 * curation if any, and the articles it would hold. The composer reads it in its transaction, the
 * preview and the curation page on the pool; all three therefore show and send the same thing.
 */
export class NextEditionReader {
  constructor(private readonly deps: { pool: pg.Pool; repository: DigestRepository; curations: CurationRepository }) {}

  async read(newsletter: WindowedNewsletter, at: Date, db: Queryable = this.deps.pool, opts: { forCuration?: boolean } = {}): Promise<NextEdition> {
    const { repository, curations } = this.deps;
    const previous = await repository.previousEdition(newsletter.id, at, db);
    const windowStart = previous?.windowEnd ?? firstWindowStart(newsletter, at);
    const curation = await curations.of(db, newsletter.id);
    // Without a curation the edition reads only what it sends, as before curations existed.
    const limit = curation || opts.forCuration ? Math.max(CURATION_CANDIDATES, newsletter.maxArticles) : newsletter.maxArticles;
    const candidates = await repository.articlesIn(windowStart, at, limit, newsletter.categories, db);
    const articles = curatedArticles(candidates, curation, newsletter.maxArticles);
    return { windowStart, previous, curation, candidates, articles };
  }

  /** Every candidate where the curation puts it: what the curation page lists. */
  arranged(newsletter: WindowedNewsletter, next: NextEdition): Arranged<DigestArticle>[] {
    return arrange(next.candidates, next.curation, newsletter.maxArticles);
  }
}

/** The cron slot before the latest one at or before `at` (for a scheduled slot: the previous slot). */
function firstWindowStart(newsletter: Pick<Newsletter, 'cron' | 'timeZone'>, at: Date): Date {
  if (!newsletter.cron) return new Date(at.getTime() - UNSCHEDULED_FIRST_WINDOW_MS);
  const latest = latestSlot(newsletter.cron, newsletter.timeZone, at);
  return slotBefore(newsletter.cron, newsletter.timeZone, latest);
}
