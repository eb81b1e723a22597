import pg from 'pg';

export interface EditionRow {
  subject: string;
  /** ISO time of the slot; the edition key is made from it. */
  editionAt: string;
  /** 16 to 32 characters of [A-Za-z0-9_-], as the web version's route wants. */
  publicId: string;
}

/** Editions of a newsletter written straight into `digests`: the archive only reads them. */
export async function addEditions(databaseUrl: string, slug: string, editions: EditionRow[]): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const e of editions) {
      await client.query(
        `INSERT INTO digests (newsletter_id, edition_key, edition_at, window_start, window_end, public_id, subject, html, text, article_ids, status)
         SELECT id, $5, $2::timestamp, $2::timestamp - interval '1 day', $2::timestamp, $3, $4, '<p>An edition</p>', 'An edition', '{}', 'done'
           FROM newsletters WHERE slug = $1`,
        [slug, e.editionAt, e.publicId, e.subject, `slot:${new Date(e.editionAt).toISOString()}`],
      );
    }
  } finally {
    await client.end();
  }
}
