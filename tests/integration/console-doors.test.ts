import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { ConsoleClient, firstAdmin, invited } from '../helpers/console-client';
import { QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { query } from './subscription-test-kit';

/**
 * Every route of the console, found in its source, against its door: without a session nothing
 * but sign-in and set-password answers, and an editor gets 403 wherever only admins may go. The
 * table names each route's door; a route added without an entry fails the first test, so no new
 * page can be left open by forgetting its guard.
 */
type Door = 'open' | 'signed-in' | 'admin';
const DOORS: Record<string, Door> = {
  'GET /admin/login': 'open',
  'POST /admin/login': 'open',
  'GET /admin/password': 'open',
  'POST /admin/password': 'open',
  'POST /admin/logout': 'signed-in',
  'GET /admin': 'signed-in',
  'GET /admin/account': 'signed-in',
  'POST /admin/account/password': 'signed-in',
  'GET /admin/editions': 'signed-in',
  'GET /admin/editions/:id': 'signed-in',
  'GET /admin/editions/:id/counts': 'signed-in',
  'POST /admin/editions/:id/retry': 'signed-in',
  'GET /admin/newsletters': 'signed-in',
  'GET /admin/newsletters/new': 'admin',
  'POST /admin/newsletters': 'admin',
  'GET /admin/newsletters/:slug/edit': 'admin',
  'POST /admin/newsletters/:slug': 'admin',
  'POST /admin/newsletters/:slug/${path}': 'admin',
  'GET /admin/newsletters/:slug/preview': 'signed-in',
  'POST /admin/newsletters/:slug/send': 'signed-in',
  'GET /admin/newsletters/:slug/next': 'signed-in',
  'POST /admin/newsletters/:slug/next': 'signed-in',
  'POST /admin/newsletters/:slug/next/reset': 'signed-in',
  'GET /admin/articles': 'signed-in',
  'GET /admin/articles/:id': 'signed-in',
  'POST /admin/articles/:id': 'signed-in',
  'POST /admin/articles/:id/breaking': 'signed-in',
  'GET /admin/articles/:id/delete': 'signed-in',
  'POST /admin/articles/:id/delete': 'signed-in',
  'GET /admin/feeds': 'signed-in',
  'POST /admin/feeds': 'signed-in',
  'GET /admin/feeds/:id': 'signed-in',
  'POST /admin/feeds/:id': 'signed-in',
  'POST /admin/feeds/:id/pause': 'signed-in',
  'POST /admin/feeds/:id/resume': 'signed-in',
  'POST /admin/feeds/:id/remove': 'signed-in',
  'GET /admin/tokens': 'signed-in',
  'POST /admin/tokens': 'signed-in',
  'POST /admin/tokens/:id/revoke': 'signed-in',
  'GET /admin/subscribers': 'admin',
  'GET /admin/subscribers/:id': 'admin',
  'GET /admin/subscribers/:id/data': 'admin',
  'GET /admin/subscribers/:id/erase': 'admin',
  'POST /admin/subscribers/:id/erase': 'admin',
  'POST /admin/subscribers/:id/suppress': 'admin',
  'POST /admin/subscribers/:id/unsuppress': 'admin',
  'GET /admin/import': 'admin',
  'POST /admin/import': 'admin',
  'GET /admin/export.csv': 'admin',
  'GET /admin/users': 'admin',
  'POST /admin/users': 'admin',
  'POST /admin/users/:id/link': 'admin',
  'POST /admin/users/:id/role': 'admin',
  'POST /admin/users/:id/disable': 'admin',
  'POST /admin/users/:id/enable': 'admin',
  'POST /admin/users/:id/remove': 'admin',
  'GET /admin/audit': 'admin',
  'GET /admin/webhooks': 'admin',
  'POST /admin/webhooks': 'admin',
  'GET /admin/webhooks/:id': 'admin',
  'POST /admin/webhooks/:id/delete': 'admin',
};

/** `router.get('/admin/…'` and `router.post(…` in src/http/console, as "GET /admin/…". */
function routesInSource(): string[] {
  const dir = path.resolve(__dirname, '../../src/http/console');
  const found = new Set<string>();
  for (const file of fs.readdirSync(dir)) {
    const source = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const m of source.matchAll(/router\.(get|post)\(\s*(['`])(\/admin[^'`]*)\2/g)) found.add(`${m[1]!.toUpperCase()} ${m[3]}`);
  }
  return [...found].sort();
}

/** A concrete path for a route: ids of rows that exist (the admin's own user, the first row of each table). */
function concrete(route: string, ids: Record<string, number>): string[] {
  const [, pathTemplate] = route.split(' ') as [string, string];
  const section = pathTemplate.split('/')[2] ?? '';
  const filled = pathTemplate.replace(':slug', 'daily').replace(':id', String(ids[section] ?? 1));
  return filled.includes('${path}') ? ['archive', 'restore'].map((p) => filled.replace('${path}', p)) : [filled];
}

describe('the doors of every console route', () => {
  let app: TestBulletin;
  let admin: ConsoleClient;
  let editor: ConsoleClient;
  let ids: Record<string, number>;

  beforeAll(async () => {
    app = await startTestBulletin(QUIET_SCHEDULES);
    admin = await firstAdmin(app, 'chief@news.example');
    editor = await invited(admin, 'editor@news.example', 'editor');
    await query(app, `INSERT INTO subscribers (email, status, confirmed_at, updated_at) VALUES ('reader@readers.example', 'confirmed', now(), now())`);
    await query(app, `INSERT INTO articles (source_id, title, url, published_at, updated_at) VALUES ('door-1', 'A story', 'https://news.example/a', now(), now())`);
    await query(app, `INSERT INTO feeds (url) VALUES ('https://news.example/feed.xml')`);
    const first = async (table: string) => (await query<{ id: number }>(app, `SELECT min(id)::int AS id FROM ${table}`))[0]!.id;
    ids = { users: await first('admin_users'), subscribers: await first('subscribers'), articles: await first('articles'), feeds: await first('feeds'), tokens: 1, editions: 1 };
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  /** What a refused request must leave as it was: every row a console form can change, and the audit log. */
  const everything = () =>
    query(
      app,
      `SELECT (SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM admin_users t) AS users,
              (SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM subscribers t) AS subscribers,
              (SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM articles t) AS articles,
              (SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM feeds t) AS feeds,
              (SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM newsletters t) AS newsletters,
              (SELECT count(*) FROM digests) AS digests, (SELECT count(*) FROM admin_api_tokens) AS tokens,
              (SELECT count(*) FROM edition_curations) AS curations, (SELECT count(*) FROM audit_log) AS audit`,
    );

  test('when the console\'s source is read, then each of its routes has a door in this table, and each entry a route', () => {
    expect(routesInSource()).toEqual(Object.keys(DOORS).sort());
  });

  test('when someone without a session opens or posts to any route but sign-in, then they are sent to sign in and nothing changes', async () => {
    const before = await everything();
    for (const [route, door] of Object.entries(DOORS)) {
      if (door === 'open') continue;
      for (const target of concrete(route, ids)) {
        const anonymous = request(app.url);
        const res = route.startsWith('GET') ? await anonymous.get(target) : await anonymous.post(target).type('form').send({ _csrf: 'x'.repeat(43), name: 'x', email: 'x@x.example' });
        expect([route, target, res.status, String(res.headers.location).startsWith('/admin/login')]).toEqual([route, target, 303, true]);
      }
    }
    expect(await everything()).toEqual(before);
  });

  test('when an editor opens or posts to any admin route, with their own form token, then it answers 403 and nothing changes', async () => {
    await editor.get('/admin');
    const before = await everything();
    for (const [route, door] of Object.entries(DOORS)) {
      if (door !== 'admin') continue;
      for (const target of concrete(route, ids)) {
        const res = route.startsWith('GET') ? await editor.get(target) : await editor.post(target, { email: 'x@x.example', role: 'admin', reason: 'x', confirm: 'yes', name: 'Sneaky' });
        expect([route, target, res.status]).toEqual([route, target, 403]);
      }
    }
    expect(await everything()).toEqual(before);
  });

  test('when an editor opens the pages they may use, then none of them answers 403', async () => {
    for (const [route, door] of Object.entries(DOORS)) {
      if (door !== 'signed-in' || !route.startsWith('GET')) continue;
      for (const target of concrete(route, ids)) {
        const res = await editor.get(target);
        expect([route, target, res.status === 200 || res.status === 404]).toEqual([route, target, true]);
      }
    }
  });
});
