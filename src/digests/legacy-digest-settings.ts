import type pg from 'pg';
import type { Config } from '../config';
import type { Logger } from '../shared/logger';

/** The settings that made the schedules before newsletters existed. */
export type LegacyDigestConfig = Partial<Pick<Config, 'DIGEST_DAILY_CRON' | 'DIGEST_WEEKLY_CRON' | 'DIGEST_TIMEZONE' | 'DIGEST_MAX_ARTICLES'>>;

/**
 * Writes the settings given to one of the upgrade's newsletters, each only when set ($2..$4 null:
 * kept), and only to an active digest: an archived `daily` stays as the operator left it.
 * $1 slug, $2 cron, $3 time zone, $4 most articles.
 */
const APPLY_LEGACY_SETTINGS = `UPDATE newsletters
          SET cron = coalesce($2, cron), time_zone = coalesce($3, time_zone), max_articles = coalesce($4, max_articles),
              updated_at = now()
        WHERE slug = $1 AND kind = 'digest' AND archived_at IS NULL
          AND (cron IS DISTINCT FROM coalesce($2, cron) OR time_zone <> coalesce($3, time_zone) OR max_articles <> coalesce($4, max_articles))`;

/**
 * DIGEST_DAILY_CRON, DIGEST_WEEKLY_CRON, DIGEST_TIMEZONE and DIGEST_MAX_ARTICLES, when set in the
 * environment, keep meaning what they meant: they are applied at start to the newsletters `daily`
 * and `weekly` that the upgrade made of the two frequencies. Unset, nothing is applied, and the
 * newsletters keep what the operator gave them.
 */
export async function applyLegacyDigestSettings(pool: pg.Pool, config: LegacyDigestConfig, logger: Logger): Promise<void> {
  const crons = { daily: config.DIGEST_DAILY_CRON, weekly: config.DIGEST_WEEKLY_CRON };
  for (const [slug, cron] of Object.entries(crons)) {
    if (cron === undefined && config.DIGEST_TIMEZONE === undefined && config.DIGEST_MAX_ARTICLES === undefined) continue;
    const { rowCount } = await pool.query(APPLY_LEGACY_SETTINGS, [slug, cron ?? null, config.DIGEST_TIMEZONE ?? null, config.DIGEST_MAX_ARTICLES ?? null]);
    if (rowCount) logger.info({ newsletter: slug }, 'legacy DIGEST_* settings applied to the newsletter');
  }
}
