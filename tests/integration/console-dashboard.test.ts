import request from 'supertest';
import { DashboardStatistics } from '../../src/statistics/dashboard-statistics';
import { STATISTICS_QUEUE } from '../../src/statistics/statistics-jobs';
import { ConsoleClient, firstAdmin } from '../helpers/console-client';
import { QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { openTestPool } from '../helpers/test-database';
import { linkIn, query, relative, submitSignup, subscribeAndConfirm, uniqueEmail } from './subscription-test-kit';

/** The figure of a dashboard tile ("confirmed", "pending"...). */
function tile(html: string, label: string): number {
  const m = new RegExp(`<span class="stat-value">([\\d,]+)</span><span class="stat-label">${label}</span>`).exec(html);
  if (!m) throw new Error(`no ${label} tile on the dashboard`);
  return Number(m[1]!.replace(/,/g, ''));
}

describe('the console dashboard', () => {
  let app: TestBulletin;
  let admin: ConsoleClient;
  let db: ReturnType<typeof openTestPool>;
  let statistics: DashboardStatistics;

  beforeAll(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES, RATE_LIMIT_PER_IP: '10000' });
    admin = await firstAdmin(app, 'chief@news.example');
    db = openTestPool(app.db.url, 2);
    statistics = new DashboardStatistics({ pool: db.pool, clock: app.clock });
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await app?.stop();
  });

  const stateCounts = async () =>
    (
      await query<Record<string, number>>(
        app,
        `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
                count(*) FILTER (WHERE status = 'confirmed' AND suppressed_at IS NULL)::int AS confirmed,
                count(*) FILTER (WHERE status = 'unsubscribed')::int AS unsubscribed,
                count(*) FILTER (WHERE status = 'confirmed' AND suppressed_at IS NOT NULL)::int AS suppressed
           FROM subscribers`,
      )
    )[0]!;

  test('when readers sign up, confirm, unsubscribe and bounce, then after a count the dashboard shows what the database holds', async () => {
    await submitSignup(app, { email: uniqueEmail('pending') }).expect(200);
    await submitSignup(app, { email: uniqueEmail('pending') }).expect(200);
    const stays = await subscribeAndConfirm(app, uniqueEmail('stays'));
    const leaves = await subscribeAndConfirm(app, uniqueEmail('leaves'));
    const bounces = await subscribeAndConfirm(app, uniqueEmail('bounces'));
    await request(app.url).post(relative(linkIn(leaves.welcome, '/unsubscribe'))).field('List-Unsubscribe', 'One-Click').expect(200);
    await query(app, 'UPDATE subscribers SET suppressed_at = now() WHERE id = $1', [bounces.subscriberId]);

    await statistics.refresh();
    const page = await admin.get('/admin');
    expect(page.status).toBe(200);
    const expected = await stateCounts();
    expect(expected).toEqual({ pending: 2, confirmed: 1, unsubscribed: 1, suppressed: 1 });
    for (const state of ['pending', 'confirmed', 'unsubscribed', 'suppressed']) {
      expect([state, tile(page.text, state)]).toEqual([state, expected[state]]);
    }
    // By newsletter: every signup named `daily`; the confirmed one still receiving, the two pending.
    expect(page.text).toMatch(/Daily[^<]*<code>daily<\/code>[^]*?data-label="Confirmed">1<\/td><td class="num" data-label="Pending">2</);
    expect(stays.subscriberId).toBeGreaterThan(0);

    // Today's row of the chart's numbers: five addresses signed up, one left.
    const today = new Date().toISOString().slice(0, 10);
    expect(page.text).toContain(`<tr><td>${today}</td><td data-label="Signups">5</td><td data-label="Unsubscribes">1</td></tr>`);
  });

  test('when the dashboard is shown, then its chart has a bar of signups and one of unsubscribes for each of 30 days, titled and described', async () => {
    const page = await admin.get('/admin');
    expect(page.text.match(/<rect class="bar signup"/g)).toHaveLength(30);
    expect(page.text.match(/<rect class="bar unsubscribe"/g)).toHaveLength(30);
    expect(page.text).toMatch(/<svg[^>]*role="img"[^>]*aria-labelledby="chart-svg-title chart-svg-desc"/);
    expect(page.text).toMatch(/<title id="chart-svg-title">Signups and unsubscribes per day/);
    // The numbers as a table too (30 days, one row each).
    const table = /<details class="chart-numbers">[^]*?<\/details>/.exec(page.text)![0];
    expect(table.match(/<tr><td>\d{4}-\d\d-\d\d<\/td>/g)).toHaveLength(30);
    // No script, no CDN: the page loads only its own assets.
    expect(page.text).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)[^"]*\.(js|css)/);
  });

  test('when readers sign up after a count, then the dashboard shows the kept count (no count per view) until the next one', async () => {
    await statistics.refresh();
    await submitSignup(app, { email: uniqueEmail('late') }).expect(200);
    const live = (await stateCounts()).pending;
    // The minute's job may count in between: compare with the row as kept at the time of the page.
    const kept = async () => (await query<{ counted_at: Date; data: { subscribers: { pending: number } } }>(app, "SELECT counted_at, data FROM console_statistics WHERE name = 'dashboard'"))[0]!;
    for (;;) {
      const before = await kept();
      const shown = tile((await admin.get('/admin')).text, 'pending');
      const after = await kept();
      if (before.counted_at.getTime() !== after.counted_at.getTime()) continue;
      expect(shown).toBe(before.data.subscribers.pending);
      break;
    }
    await statistics.refresh();
    const after = await admin.get('/admin');
    expect(tile(after.text, 'pending')).toBe(live);
    expect(after.text).toMatch(/counted at \d\d:\d\d UTC/);
  });

  test('when the service runs its jobs, then the statistics are counted on a cron schedule of every minute', async () => {
    const rows = await query<{ cron: string }>(app, 'SELECT cron FROM pgboss.schedule WHERE name = $1', [STATISTICS_QUEUE]);
    expect(rows).toEqual([{ cron: '* * * * *' }]);
  });

  test('when there are no editions yet, then the dashboard says how to send one', async () => {
    const page = await admin.get('/admin');
    expect(page.text).toContain('No edition has been sent yet');
    expect(page.text).toContain('href="/admin/newsletters"');
  });

  test('when nobody is signed in, then the dashboard leads to the sign-in page', async () => {
    const res = await request(app.url).get('/admin');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/login');
  });
});
