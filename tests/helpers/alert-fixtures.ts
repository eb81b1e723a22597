import pg from 'pg';

/**
 * Newsletters and their readers for the alert tests, written straight into the database (the
 * newsletters API and the signup flow are tested elsewhere).
 */
export class AlertFixtures {
  readonly pool: pg.Pool;
  private seq = 0;

  constructor(databaseUrl: string) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  }

  async newsletter(slug: string, opts: { kind?: 'alert' | 'digest'; name?: string; categories?: string[]; archived?: boolean } = {}): Promise<number> {
    const { rows } = await this.pool.query<{ id: number }>(
      `INSERT INTO newsletters (slug, name, kind, cron, categories, archived_at, updated_at)
       VALUES ($1, $2, $3::"NewsletterKind", $4, $5, $6, now()) RETURNING id`,
      [
        slug,
        opts.name ?? slug,
        opts.kind ?? 'alert',
        (opts.kind ?? 'alert') === 'digest' ? '0 0 1 1 *' : null,
        opts.categories ?? [],
        opts.archived ? new Date() : null,
      ],
    );
    return rows[0]!.id;
  }

  /** Readers subscribed to the newsletters of these slugs, in one statement each; id order. */
  async readers(count: number, slugs: string[], opts: { status?: 'confirmed' | 'pending'; prefix?: string } = {}) {
    const prefix = opts.prefix ?? `alert-reader${++this.seq}-`;
    const { rows } = await this.pool.query<{ id: number; email: string }>(
      `WITH s AS (
         INSERT INTO subscribers (email, status, confirmed_at, updated_at)
         SELECT $1 || g || '@example.test', $2::"SubscriberStatus", CASE WHEN $2 = 'confirmed' THEN now() END, now()
           FROM generate_series(1, $3) g
         RETURNING id, email
       ), sub AS (
         INSERT INTO subscriptions (subscriber_id, newsletter_id)
         SELECT s.id, n.id FROM s CROSS JOIN newsletters n WHERE n.slug = ANY($4::text[])
       )
       SELECT id, email FROM s ORDER BY id`,
      [prefix, opts.status ?? 'confirmed', count, slugs],
    );
    return rows;
  }

  /** An existing reader joins the newsletter of this slug. */
  async subscribe(email: string, slug: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO subscriptions (subscriber_id, newsletter_id)
       SELECT s.id, n.id FROM subscribers s, newsletters n WHERE s.email = $1 AND n.slug = $2`,
      [email, slug],
    );
  }

  /** The alert editions of an article: one row per newsletter that has it. */
  async alertsOf(articleId: number): Promise<Array<{ id: number; slug: string; recipients: number }>> {
    const { rows } = await this.pool.query(
      `SELECT g.id, n.slug, (SELECT count(*)::int FROM deliveries d WHERE d.digest_id = g.id) AS recipients
         FROM digests g JOIN newsletters n ON n.id = g.newsletter_id
        WHERE g.edition_key = $1 ORDER BY n.slug`,
      [`article:${articleId}`],
    );
    return rows;
  }

  /** An article as the admin API would have written it, without anything after the write (a crash). */
  async writtenArticle(a: { title: string; categories?: string[]; breaking?: boolean }): Promise<number> {
    const n = ++this.seq;
    const { rows } = await this.pool.query<{ id: number }>(
      `INSERT INTO articles (source_id, title, url, published_at, categories, breaking, updated_at)
       VALUES ($1, $2, $3, now(), $4, $5, now()) RETURNING id`,
      [`crash-${n}-${Date.now()}`, a.title, `https://news.example.test/crash/${n}`, a.categories ?? [], a.breaking ?? true],
    );
    return rows[0]!.id;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
