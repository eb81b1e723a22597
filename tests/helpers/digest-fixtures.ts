import pg from 'pg';
import type { SMTPServer } from 'smtp-server';
import type { SmtpCapture } from './smtp-capture';

/** Test data for digest tests, written straight into the database (the signup flow is not under test). */
export class DigestFixtures {
  readonly pool: pg.Pool;
  private seq = 0;

  constructor(databaseUrl: string) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  }

  /**
   * Confirmed subscribers in one statement, each subscribed to the newsletters named (slugs; by
   * default `daily`, or `frequency`, the legacy name of the same thing); returns them in id order.
   */
  async subscribers(count: number, opts: { frequency?: 'daily' | 'weekly'; newsletters?: string[]; prefix?: string } = {}) {
    const prefix = opts.prefix ?? `reader${++this.seq}-`;
    const slugs = opts.newsletters ?? [opts.frequency ?? 'daily'];
    const { rows } = await this.pool.query<{ id: number; email: string }>(
      `WITH made AS (
         INSERT INTO subscribers (email, status, confirmed_at, updated_at)
         SELECT $1 || g || '@example.test', 'confirmed', now(), now() FROM generate_series(1, $3) g
         RETURNING id, email
       ), subscribed AS (
         INSERT INTO subscriptions (subscriber_id, newsletter_id)
         SELECT m.id, n.id FROM made m CROSS JOIN newsletters n WHERE n.slug = ANY ($2::text[])
       )
       SELECT id, email FROM made`,
      [prefix, slugs, count],
    );
    return rows.sort((a, b) => a.id - b.id);
  }

  /** A newsletter (a digest by default, on a far-away schedule); returns its id. */
  async newsletter(n: {
    slug: string;
    name?: string;
    kind?: 'digest' | 'alert';
    cron?: string | null;
    timeZone?: string;
    maxArticles?: number;
    categories?: string[];
    fromName?: string;
    replyTo?: string;
    archived?: boolean;
  }): Promise<number> {
    const kind = n.kind ?? 'digest';
    const { rows } = await this.pool.query<{ id: number }>(
      `INSERT INTO newsletters (slug, name, kind, cron, time_zone, max_articles, categories, from_name, reply_to, archived_at, position, updated_at)
       VALUES ($1, $2, $3::"NewsletterKind", $4, $5, $6, $7, $8, $9, CASE WHEN $10 THEN now() END, 10, now()) RETURNING id`,
      [
        n.slug,
        n.name ?? n.slug,
        kind,
        n.cron === undefined ? (kind === 'digest' ? '0 0 1 1 *' : null) : n.cron,
        n.timeZone ?? 'UTC',
        n.maxArticles ?? 20,
        n.categories ?? [],
        n.fromName ?? null,
        n.replyTo ?? null,
        n.archived ?? false,
      ],
    );
    return rows[0]!.id;
  }

  /** The newsletter's id by slug. */
  async newsletterId(slug: string): Promise<number> {
    const { rows } = await this.pool.query<{ id: number }>(`SELECT id FROM newsletters WHERE slug = $1`, [slug]);
    return rows[0]!.id;
  }

  async article(a: { title: string; publishedAt?: Date; summary?: string; author?: string; imageUrl?: string; categories?: string[] }) {
    const n = ++this.seq;
    const { rows } = await this.pool.query<{ id: number; url: string }>(
      `INSERT INTO articles (source_id, title, url, summary, author, image_url, published_at, categories, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now()) RETURNING id, url`,
      [
        `test-${n}-${Date.now()}`,
        a.title,
        `https://news.example.test/story/${n}`,
        a.summary ?? null,
        a.author ?? null,
        a.imageUrl ?? null,
        a.publishedAt ?? new Date(Date.now() - 60_000),
        a.categories ?? [],
      ],
    );
    return rows[0]!;
  }

  async deliveryCounts(digestId: number): Promise<Record<string, number>> {
    const { rows } = await this.pool.query<{ status: string; n: number }>(
      `SELECT status::text, count(*)::int AS n FROM deliveries WHERE digest_id = $1 GROUP BY status`,
      [digestId],
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  /**
   * Polls until the digest has nothing pending or in flight (or the deadline passes). `meanwhile`
   * runs between polls: a test jumps the service's clock there, so retries scheduled for later and
   * outage pauses come due at once instead of in real time.
   */
  async waitUntilSettled(digestId: number, timeoutMs = 20_000, meanwhile?: () => void): Promise<Record<string, number>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const counts = await this.deliveryCounts(digestId);
      if (!counts.pending && !counts.sending) return counts;
      if (Date.now() > deadline) throw new Error(`digest ${digestId} not settled: ${JSON.stringify(counts)}`);
      meanwhile?.();
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Recipients who got more than one copy, and how many extra copies there were. */
export function duplicates(smtp: SmtpCapture): { extra: number; addresses: string[] } {
  const seen = new Map<string, number>();
  for (const m of smtp.messages) for (const to of m.to) seen.set(to, (seen.get(to) ?? 0) + 1);
  const addresses = [...seen].filter(([, n]) => n > 1).map(([a]) => a);
  return { extra: [...seen.values()].reduce((sum, n) => sum + n - 1, 0), addresses };
}

/**
 * An outage, not a polite shutdown: SmtpCapture.stop() lets open connections finish for up to 30 s,
 * during which pooled connections keep delivering. This drops them at once and refuses new ones.
 */
export async function stopSmtpAbruptly(smtp: SmtpCapture): Promise<void> {
  const server = (smtp as unknown as { server: SMTPServer & { connections: Set<{ close(): void }> } }).server;
  const closed = new Promise<void>((resolve) => server.server.close(() => resolve()));
  for (const connection of server.connections) connection.close();
  await closed;
}
