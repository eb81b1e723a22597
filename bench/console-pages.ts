/**
 * The console's pages at 1,000,000 subscribers (issue 12, item 5: p95 under 300 ms): a fresh
 * database seeded with generate_series (1,000,000 subscribers over 30 days with their consent
 * records, 10,000 articles, 100 editions of which the newest has a ledger row per confirmed
 * subscriber), Bulletin started in this process without jobs, a signed-in session, then 50
 * requests in a row per page, timed from the client. Baseline of the same run: GET /readyz (one
 * bare `SELECT 1` through the same pool and HTTP stack). Also timed: the statistics' refresh (the
 * minute's job), which the pages never wait for.
 *
 *   node scripts/run-ts.js bench/console-pages.ts        (npm run bench:console)
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createAccounts } from '../src/accounts/create-accounts';
import { loadConfig } from '../src/config';
import { openPool } from '../src/db/database';
import { startBulletin } from '../src/main';
import { createLogger } from '../src/shared/logger';
import { systemClock } from '../src/shared/clock';
import { DashboardStatistics } from '../src/statistics/dashboard-statistics';
import { openBenchDatabase } from './database';
import { freePort } from './processes';
import { median, percentile, round } from './stats';

const SUBSCRIBERS = Number(process.env.BENCH_CONSOLE_SUBSCRIBERS ?? 1_000_000);
const REQUESTS = 50;
const WARM_UP = 5;
const PASSWORD = 'a long bench password for the console';
/** The API's lookup is timed beside the pages (the console's search shares its query). */
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef0123456789';
const log = (msg: string) => console.log(`[console] ${msg}`);

async function seed(pool: pg.Pool): Promise<void> {
  const t = performance.now();
  // One in 20 pending, one in 20 unsubscribed, one in 20 suppressed, the rest confirmed; joined over 30 days.
  await pool.query(
    `INSERT INTO subscribers (email, status, confirmed_at, unsubscribed_at, suppressed_at, created_at, updated_at)
     SELECT 'reader' || g || '@example.test',
            (CASE g % 20 WHEN 0 THEN 'pending' WHEN 1 THEN 'unsubscribed' ELSE 'confirmed' END)::"SubscriberStatus",
            CASE WHEN g % 20 <> 0 THEN now() END, CASE WHEN g % 20 = 1 THEN now() END, CASE WHEN g % 20 = 2 THEN now() END,
            now() - make_interval(secs => (g % (30 * 86400))), now()
       FROM generate_series(1, $1) g`,
    [SUBSCRIBERS],
  );
  await pool.query(`INSERT INTO subscriptions (subscriber_id, newsletter_id) SELECT s.id, n.id FROM subscribers s, newsletters n WHERE n.slug = 'daily'`);
  await pool.query(`INSERT INTO subscriptions (subscriber_id, newsletter_id) SELECT s.id, n.id FROM subscribers s, newsletters n WHERE n.slug = 'weekly' AND s.id % 2 = 0`);
  await pool.query(`INSERT INTO consents (subscriber_id, event, source, created_at) SELECT id, 'signup', 'form', created_at FROM subscribers`);
  await pool.query(`INSERT INTO consents (subscriber_id, event, source, created_at) SELECT id, 'unsubscribe', 'link', created_at + interval '1 hour' FROM subscribers WHERE status = 'unsubscribed'`);
  await pool.query(
    `INSERT INTO articles (source_id, title, url, summary, published_at, categories, updated_at)
     SELECT 'bench-' || g, 'Story ' || g, 'https://news.example.test/story/' || g, 'A summary.', now() - make_interval(mins => g * 10), ARRAY['City'], now()
       FROM generate_series(1, 10000) g`,
  );
  await pool.query(
    `INSERT INTO digests (newsletter_id, edition_key, edition_at, window_start, window_end, public_id, subject, html, text, article_ids, status)
     SELECT n.id, 'slot:' || g, now() - make_interval(days => g), now() - make_interval(days => g + 1), now() - make_interval(days => g),
            'benchedition' || lpad(g::text, 8, '0'), 'Edition ' || g, '<p>An edition</p>', 'An edition', '{1,2,3}', 'done'
       FROM generate_series(0, 99) g, newsletters n WHERE n.slug = 'daily'`,
  );
  // The newest edition went to every confirmed reader: its progress counts a million-row ledger.
  await pool.query(
    `INSERT INTO deliveries (digest_id, subscriber_id, status, attempts, sent_at)
     SELECT (SELECT id FROM digests WHERE edition_key = 'slot:0'), s.id, 'sent', 1, now()
       FROM subscribers s WHERE s.status = 'confirmed'`,
  );
  // As the composer keeps it (delivery-ledger.ts, keepRecipients): the progress reads sent as the rest.
  await pool.query(`UPDATE digests g SET recipients = (SELECT count(*) FROM deliveries d WHERE d.digest_id = g.id)`);
  for (const table of ['subscribers', 'subscriptions', 'consents', 'articles', 'digests', 'deliveries']) await pool.query(`VACUUM ANALYZE ${table}`);
  log(`seeded ${SUBSCRIBERS} subscribers in ${round((performance.now() - t) / 1000, 1)} s`);
}

/** p50 and p95 of REQUESTS sequential GETs (after a warm-up), in ms. */
async function time(url: string, cookie: string): Promise<{ p50: number; p95: number }> {
  const samples: number[] = [];
  for (let i = 0; i < WARM_UP + REQUESTS; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers: { cookie, accept: 'text/html', authorization: `Bearer ${ADMIN_TOKEN}` }, redirect: 'manual' });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    if (i >= WARM_UP) samples.push(performance.now() - t);
  }
  return { p50: round(median(samples), 1), p95: round(percentile(samples, 95), 1) };
}

async function main(): Promise<void> {
  const db = await openBenchDatabase(log);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    await seed(pool);
    const port = await freePort();
    const config = loadConfig({
      DATABASE_URL: db.url,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      SECRET_KEY: 'bench-secret-key-0123456789abcdef0123456789',
      RUN_JOBS: 'false',
      ADMIN_TOKEN: ADMIN_TOKEN,
      // A shared machine's stalls must show in the figures, not end the run with a 503.
      DATABASE_CONNECT_TIMEOUT_MS: '30000',
      DATABASE_QUERY_TIMEOUT_MS: '30000',
      LOG_LEVEL: 'warn',
      OUTBOX_DIR: '/tmp/bulletin-bench-outbox',
    });
    const statistics = new DashboardStatistics({ pool, clock: systemClock });
    const refresh: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await statistics.refresh();
      refresh.push(performance.now() - t);
    }
    const app = await startBulletin(config, createLogger('warn'));
    try {
      const accountsDb = openPool(db.url, 1, () => {}, { connectMs: config.DATABASE_CONNECT_TIMEOUT_MS, queryMs: config.DATABASE_QUERY_TIMEOUT_MS });
      const accounts = createAccounts({ prisma: accountsDb.prisma, pool: accountsDb.pool, clock: systemClock, publicUrl: app.url, config });
      const { link } = await accounts.users.createFromCommandLine('bench@news.example').finally(() => accountsDb.close());
      const token = new URL(link.url).searchParams.get('token')!;
      const signIn = await fetch(`${app.url}/admin/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, password: PASSWORD, confirmation: PASSWORD }),
        redirect: 'manual',
      });
      const cookie = (signIn.headers.get('set-cookie') ?? '').match(/bulletin_session=[^;]+/)?.[0];
      if (!cookie) throw new Error(`sign-in answered ${signIn.status} without a session`);
      const newest = (await pool.query<{ id: number }>(`SELECT id FROM digests WHERE edition_key = 'slot:0'`)).rows[0]!.id;
      const article = (await pool.query<{ id: number }>(`SELECT id FROM articles WHERE source_id = 'bench-5000'`)).rows[0]!.id;
      // Every console page an editor or admin opens, with the figures they would see at a million.
      const pages: Record<string, string> = {
        'GET /readyz (baseline: SELECT 1)': '/readyz',
        'GET /admin (dashboard)': '/admin',
        'GET /admin/editions': '/admin/editions',
        [`GET /admin/editions/:id (${SUBSCRIBERS * 0.9} deliveries)`]: `/admin/editions/${newest}`,
        'GET /admin/editions/:id/counts (the poll)': `/admin/editions/${newest}/counts`,
        'GET /admin/newsletters': '/admin/newsletters',
        'GET /admin/newsletters/daily/preview': '/admin/newsletters/daily/preview',
        'GET /admin/newsletters/daily/next (curation)': '/admin/newsletters/daily/next',
        'GET /admin/articles': '/admin/articles',
        'GET /admin/articles?q= (title search, 10,000 articles)': '/admin/articles?q=story%20999',
        'GET /admin/articles/:id': `/admin/articles/${article}`,
        'GET /admin/feeds': '/admin/feeds',
        'GET /admin/users': '/admin/users',
        'GET /admin/tokens': '/admin/tokens',
        'GET /admin/audit': '/admin/audit',
        'GET /api/admin/subscribers?email= (prefix lookup)': '/api/admin/subscribers?email=reader12345',
        'GET /admin/subscribers (newest first)': '/admin/subscribers',
        'GET /admin/subscribers?q=r (a one-letter prefix)': '/admin/subscribers?q=r',
        'GET /admin/subscribers?q=reader4242': '/admin/subscribers?q=reader4242',
        'GET /admin/subscribers?state=suppressed': '/admin/subscribers?state=suppressed',
        'GET /admin/subscribers?state=pending&newsletter=weekly': '/admin/subscribers?state=pending&newsletter=weekly',
        // The seed's unsubscribed readers have odd ids and weekly's even ones: no reader in common, the worst case.
        'GET /admin/subscribers?state=unsubscribed&newsletter=weekly (none in common)': '/admin/subscribers?state=unsubscribed&newsletter=weekly',
        'GET /admin/subscribers?q=reader&state=unsubscribed&newsletter=weekly (the same, by address)': '/admin/subscribers?q=reader&state=unsubscribed&newsletter=weekly',
        'GET /admin/subscribers/:id': `/admin/subscribers/${Math.floor(SUBSCRIBERS / 2)}`,
        'GET /admin/import (its newsletters)': '/admin/import',
        'GET /admin/account': '/admin/account',
      };
      const figures: Record<string, { p50: number; p95: number }> = {};
      for (const [name, path] of Object.entries(pages)) figures[name] = await time(`${app.url}${path}`, cookie);
      console.log(JSON.stringify({ subscribers: SUBSCRIBERS, requests: REQUESTS, statisticsRefreshMs: refresh.map((v) => round(v)), figures }, null, 2));
    } finally {
      await app.stop();
    }
  } finally {
    await pool.end();
    // BENCH_CONSOLE_KEEP=1 leaves the seeded database for EXPLAIN ANALYZE of a slow page.
    if (process.env.BENCH_CONSOLE_KEEP === '1') log(`kept ${db.url}`);
    else await db.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
