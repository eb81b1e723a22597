import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { applyMigrations } from '../../src/db/migrate';
import { databaseUrl, runPrefix, withAdmin } from '../helpers/test-database';

/**
 * The newsletters migration on a database filled under the schema before it: every subscriber,
 * consent, token, digest and delivery comes through, the frequencies becoming newsletters.
 */
const MIGRATIONS_DIR = path.resolve(__dirname, '../../prisma/migrations');
const PREVIOUS = '20261129090000_signup_throttle';
const NEWSLETTERS = '20261129110444_newsletters';

const STATUSES = ['pending', 'confirmed', 'unsubscribed'] as const;
const FREQUENCIES = ['daily', 'weekly'] as const;
// Slots with milliseconds and a late hour: the key must be exactly JavaScript's toISOString().
const EDITIONS = [
  { frequency: 'daily', editionAt: '2026-11-27T07:00:00.000Z' },
  { frequency: 'daily', editionAt: '2026-11-28T23:59:59.123Z' },
  { frequency: 'weekly', editionAt: '2026-11-23T07:00:00.000Z' },
] as const;

let url: string;
let dbName: string;
const tempDirs: string[] = [];

/** Every value as PostgreSQL writes it (text), so "unchanged" means unchanged to the character. */
async function rows(sql: string, params: unknown[] = []): Promise<Array<Record<string, string | null>>> {
  const client = new pg.Client({ connectionString: url, types: { getTypeParser: () => (v: string) => v } });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** A folder holding the project's migrations up to and including `last`. */
function migrationsUpTo(last: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulletin-upgrade-'));
  tempDirs.push(dir);
  for (const name of fs.readdirSync(MIGRATIONS_DIR)) {
    if (name <= last || name === 'migration_lock.toml') fs.cpSync(path.join(MIGRATIONS_DIR, name), path.join(dir, name), { recursive: true });
  }
  return dir;
}

/** Subscribers of both frequencies in every status (one confirmed reader suppressed), and their history. */
async function fillUnderThePreviousSchema(): Promise<void> {
  for (const frequency of FREQUENCIES) {
    for (const status of STATUSES) {
      for (const n of [1, 2]) {
        await rows(
          `INSERT INTO subscribers (email, name, status, frequency, confirmation_sent_at, confirmed_at, unsubscribed_at, hard_bounces, suppressed_at, created_at, updated_at)
           VALUES ($1, $2, $3, $4, '2026-11-20T08:00:00Z', $5, $6, $7, $8, '2026-11-20T08:00:00Z', '2026-11-21T09:30:00.250Z')`,
          [
            `${status}-${frequency}-${n}@readers.example`,
            n === 1 ? `Reader ${status}` : null,
            status,
            frequency,
            status === 'pending' ? null : '2026-11-20T08:05:00Z',
            status === 'unsubscribed' ? '2026-11-25T10:00:00Z' : null,
            n === 2 && status === 'confirmed' ? 5 : 0,
            n === 2 && status === 'confirmed' ? '2026-11-26T07:00:01Z' : null,
          ],
        );
      }
    }
  }
  await rows(`INSERT INTO consents (subscriber_id, event, ip, user_agent, source, created_at)
              SELECT id, 'signup', '203.0.113.7', 'Mozilla/5.0 (test)', 'form', created_at FROM subscribers`);
  await rows(`INSERT INTO consents (subscriber_id, event, ip, user_agent, source, created_at)
              SELECT id, 'confirmation', '203.0.113.8', NULL, 'confirm-link', confirmed_at FROM subscribers WHERE confirmed_at IS NOT NULL`);
  await rows(`INSERT INTO consents (subscriber_id, event, ip, user_agent, source, created_at)
              SELECT id, 'unsubscribe', NULL, NULL, 'one-click', unsubscribed_at FROM subscribers WHERE status = 'unsubscribed'`);
  await rows(`INSERT INTO tokens (subscriber_id, purpose, hash, expires_at, used_at, created_at)
              SELECT id, CASE WHEN status = 'pending' THEN 'confirm' ELSE 'manage' END::"TokenPurpose",
                     encode(sha256(email::bytea), 'hex'), '2026-11-30T00:00:00Z',
                     CASE WHEN status = 'pending' THEN NULL ELSE timestamp '2026-11-20T08:05:00Z' END, created_at
                FROM subscribers`);
  await rows(`INSERT INTO articles (source_id, title, url, published_at, categories, updated_at)
              VALUES ('a1', 'Harbour reopens', 'https://news.example/harbour', '2026-11-26T20:00:00Z', '{Local}', now()),
                     ('a2', 'Cup final', 'https://news.example/cup', '2026-11-27T21:00:00Z', '{Sport}', now())`);
  for (const [i, e] of EDITIONS.entries()) {
    await rows(
      `INSERT INTO digests (frequency, edition_at, window_start, window_end, public_id, subject, html, text, article_ids, status, created_at, completed_at)
       VALUES ($1, $2, $2::timestamp - interval '1 day', $2, $3, $4, $5, $6, '{1,2}', $7, $2, $8)`,
      [e.frequency, e.editionAt, `edition${i}${randomBytes(6).toString('hex')}`, `Edition ${i} · Bulletin`, `<p>edition ${i} %%unsubscribe:nonce%%</p>`, `edition ${i}`,
       i === 1 ? 'sending' : 'done', i === 1 ? null : e.editionAt],
    );
  }
  // The ledger of each edition: its frequency's confirmed readers, in every delivery state.
  await rows(`INSERT INTO deliveries (digest_id, subscriber_id, status, attempts, lease_until, next_attempt_at, last_error, message_id, sent_at)
              SELECT d.id, s.id,
                     (ARRAY['sent','failed','pending','sending','skipped'])[1 + (s.id + d.id) % 5]::"DeliveryStatus",
                     (s.id + d.id) % 3, d.edition_at + interval '5 minutes', NULL,
                     CASE WHEN (s.id + d.id) % 5 = 1 THEN '550 5.1.1 no such user' END,
                     '<' || d.id || '.' || s.id || '@bulletin>', d.edition_at + interval '1 minute'
                FROM digests d JOIN subscribers s ON s.frequency = d.frequency AND s.status <> 'pending'`);
  await rows(`INSERT INTO mail_requests (kind, subscriber_id) SELECT 'welcome', id FROM subscribers WHERE status = 'confirmed'`);
  await rows(`INSERT INTO manage_requests (address_hash, requested_at) VALUES (repeat('a', 64), '2026-11-28T12:00:00Z')`);
}

const SNAPSHOTS = {
  consents: 'SELECT id, subscriber_id, event, ip, user_agent, source, created_at FROM consents ORDER BY id',
  tokens: 'SELECT * FROM tokens ORDER BY id',
  // The columns the ledger had then: later migrations add their own (claimed_by), null for these rows.
  deliveries: `SELECT digest_id, subscriber_id, status, attempts, lease_until, next_attempt_at, last_error, message_id, sent_at
                 FROM deliveries ORDER BY digest_id, subscriber_id`,
  articles: 'SELECT id, source_id, title, url, summary, author, image_url, published_at, categories, created_at, updated_at FROM articles ORDER BY id',
  mail_requests: 'SELECT * FROM mail_requests ORDER BY id',
  manage_requests: 'SELECT * FROM manage_requests',
  subscribers: `SELECT id, email, name, status, confirmation_sent_at, confirmed_at, unsubscribed_at, hard_bounces, suppressed_at, created_at, updated_at
                  FROM subscribers ORDER BY id`,
  digests: `SELECT id, edition_at, window_start, window_end, public_id, subject, html, text, article_ids, status, created_at, completed_at
              FROM digests ORDER BY id`,
};

async function snapshot(): Promise<Record<string, unknown[]>> {
  const taken: Record<string, unknown[]> = {};
  for (const [table, sql] of Object.entries(SNAPSHOTS)) taken[table] = await rows(sql);
  return taken;
}

describe('the newsletters upgrade', () => {
  let before: Record<string, unknown[]>;
  let frequencyOf: Map<string, string>;
  let digestFrequency: Map<string, string>;

  beforeAll(async () => {
    dbName = `${runPrefix()}_upgrade_${randomBytes(5).toString('hex')}`;
    await withAdmin((c) => c.query(`CREATE DATABASE "${dbName}"`));
    url = databaseUrl(dbName);
    const upToPrevious = await applyMigrations({ databaseUrl: url, migrationsDir: migrationsUpTo(PREVIOUS) });
    expect(upToPrevious.applied.at(-1)).toBe(PREVIOUS);
    await fillUnderThePreviousSchema();
    before = await snapshot();
    frequencyOf = new Map((await rows('SELECT id, frequency FROM subscribers')).map((r) => [r.id!, r.frequency!]));
    digestFrequency = new Map((await rows('SELECT id, frequency FROM digests')).map((r) => [r.id!, r.frequency!]));

    const upgrade = await applyMigrations({ databaseUrl: url, migrationsDir: MIGRATIONS_DIR });
    expect(upgrade.applied).toContain(NEWSLETTERS);
  }, 60_000);

  afterAll(async () => {
    if (dbName) await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('when it has run, then the filled data covers both frequencies in every status (the test is not empty)', () => {
    expect(frequencyOf.size).toBe(12);
    expect(new Set(frequencyOf.values())).toEqual(new Set(FREQUENCIES));
    expect(before.deliveries!.length).toBeGreaterThan(10);
    expect(new Set((before.deliveries as Array<{ status: string }>).map((d) => d.status))).toEqual(new Set(['sent', 'failed', 'pending', 'sending', 'skipped']));
  });

  test('when it has run, then the newsletters daily and weekly exist as the frequencies were', async () => {
    const newsletters = await rows(
      `SELECT slug, name, kind, cron, time_zone, max_articles, categories, offered, position, public_archive, from_name, reply_to, archived_at
         FROM newsletters ORDER BY position`,
    );
    const common = { kind: 'digest', time_zone: 'UTC', max_articles: '20', categories: '{}', offered: 't', public_archive: 't', from_name: null, reply_to: null, archived_at: null };
    expect(newsletters).toEqual([
      { slug: 'daily', name: 'Daily', cron: '0 7 * * *', position: '1', ...common },
      { slug: 'weekly', name: 'Weekly', cron: '0 7 * * 1', position: '2', ...common },
    ]);
  });

  test('when it has run, then each subscriber, whatever their status, has exactly the subscription of their old frequency', async () => {
    const subscriptions = await rows(
      `SELECT s.subscriber_id, n.slug FROM subscriptions s JOIN newsletters n ON n.id = s.newsletter_id ORDER BY s.subscriber_id`,
    );
    expect(subscriptions).toEqual([...frequencyOf].sort(([a], [b]) => Number(a) - Number(b)).map(([id, frequency]) => ({ subscriber_id: id, slug: frequency })));
  });

  test('when it has run, then each digest is an edition of its frequency\'s newsletter keyed by its slot', async () => {
    const digests = await rows(`SELECT d.id, n.slug, d.edition_key FROM digests d JOIN newsletters n ON n.id = d.newsletter_id ORDER BY d.id`);
    expect(digests).toEqual(
      EDITIONS.map((e, i) => ({ id: [...digestFrequency.keys()][i], slug: e.frequency, edition_key: `slot:${new Date(e.editionAt).toISOString()}` })),
    );
    expect(digests.map((d) => digestFrequency.get(d.id!))).toEqual(digests.map((d) => d.slug));
  });

  test('when it has run, then each edition made before recipients were kept has them from its ledger', async () => {
    const kept = await rows(`SELECT d.recipients, (SELECT count(*) FROM deliveries l WHERE l.digest_id = d.id) AS ledger FROM digests d ORDER BY d.id`);
    expect(kept).toHaveLength(EDITIONS.length);
    for (const edition of kept) expect(Number(edition.recipients)).toBe(Number(edition.ledger));
    expect(kept.every((e) => Number(e.recipients) > 0)).toBe(true);
  });

  test('when it has run, then subscribers, consents, tokens, digests, deliveries and the rest are unchanged in count and content', async () => {
    expect(await snapshot()).toEqual(before);
    // Events from before newsletters were about the address as a whole.
    expect(await rows('SELECT DISTINCT newsletter_id FROM consents')).toEqual([{ newsletter_id: null }]);
    expect(await rows('SELECT DISTINCT breaking FROM articles')).toEqual([{ breaking: 'f' }]);
  });
});
