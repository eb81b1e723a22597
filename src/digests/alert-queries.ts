import type { Article } from '../generated/prisma/client';
import { windowArticleFromRow, type WindowArticle, type WindowArticleRow } from './digest-queries';

/**
 * The alerts' SQL: the article an alert is made of, the alerts it already has, and the breaking
 * articles whose alerts are missing (the catch-up). The edition itself is written with the digests'
 * own INSERT_DIGEST_IF_ABSENT and the ledger's fan-out, in one transaction (alert-composer.ts).
 */

/** One article by its primary key, with its breaking flag (the alert is made from the stored row). */
export const ALERT_ARTICLE = `SELECT id, title, url, summary, author, image_url, published_at, categories, breaking
         FROM articles WHERE id = $1`;
export type AlertArticleRow = WindowArticleRow & { breaking: boolean };
export type AlertArticle = WindowArticle & Pick<Article, 'breaking'>;

export function alertArticleFromRow(r: AlertArticleRow): AlertArticle {
  return { ...windowArticleFromRow(r), breaking: r.breaking };
}

/**
 * Which of these newsletters already have the alert of an article: one probe per newsletter of
 * the unique (newsletter_id, edition_key) index. $1 edition key, $2 newsletter ids.
 */
export const NEWSLETTERS_WITH_EDITION = `SELECT newsletter_id FROM digests WHERE edition_key = $1 AND newsletter_id = ANY($2::int[])`;

/**
 * The catch-up: breaking articles written since $1 that some active alert newsletter should have
 * sent and has not: its category filter matches (none = all, compared without case), it has a
 * confirmed reader (otherwise the alert is rightly never made, and must not be retried every
 * minute), and it holds no edition keyed by the article. Recent articles are few, so the
 * newsletters are checked per article; each edition probe walks the unique (newsletter_id,
 * edition_key) index. Oldest first, so a backlog goes out in the order the news broke.
 */
export const MISSED_ALERT_ARTICLES = `SELECT a.id FROM articles a
        WHERE a.breaking AND a.updated_at >= $1
          AND EXISTS (
                SELECT 1 FROM newsletters n
                 WHERE n.kind = 'alert' AND n.archived_at IS NULL
                   AND (cardinality(n.categories) = 0
                        OR EXISTS (SELECT 1 FROM unnest(n.categories) nc, unnest(a.categories) ac WHERE lower(nc) = lower(ac)))
                   AND NOT EXISTS (SELECT 1 FROM digests g WHERE g.newsletter_id = n.id AND g.edition_key = 'article:' || a.id)
                   AND EXISTS (SELECT 1 FROM subscriptions sub JOIN subscribers s ON s.id = sub.subscriber_id
                                WHERE sub.newsletter_id = n.id AND s.status = 'confirmed' AND s.suppressed_at IS NULL))
        ORDER BY a.updated_at, a.id`;
