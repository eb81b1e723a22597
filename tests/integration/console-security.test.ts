import request from 'supertest';
import { ConsoleClient, firstAdmin, invited } from '../helpers/console-client';
import { QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { query } from './subscription-test-kit';

describe('the console refuses what a session did not ask for', () => {
  let app: TestBulletin;
  let admin: ConsoleClient;
  let editor: ConsoleClient;

  beforeAll(async () => {
    app = await startTestBulletin(QUIET_SCHEDULES);
    admin = await firstAdmin(app, 'chief@news.example');
    editor = await invited(admin, 'editor@news.example', 'editor');
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  const userCount = async () => (await query<{ n: number }>(app, 'SELECT count(*)::int AS n FROM admin_users'))[0]!.n;
  const idOf = async (email: string) => (await query<{ id: number }>(app, 'SELECT id FROM admin_users WHERE email = $1', [email]))[0]!.id;
  const roleOf = async (email: string) => (await query<{ role: string }>(app, 'SELECT role::text FROM admin_users WHERE email = $1', [email]))[0]?.role;

  test('when a form comes with a missing, stale or foreign token, then it answers 403 and nothing changes', async () => {
    await admin.get('/admin/users');
    const before = await userCount();
    // Another user's token (editor's session), a token of an ended session, none at all.
    const foreign = editor.csrf;
    const ended = new ConsoleClient(app);
    await ended.signIn('chief@news.example');
    const stale = ended.csrf;
    await ended.post('/admin/logout');
    for (const [label, token] of [['missing', undefined], ['empty', ''], ['foreign', foreign], ['stale', stale], ['forged', 'x'.repeat(43)]] as const) {
      const res = await admin.agent.post('/admin/users').type('form').set('Accept', 'text/html').send({ email: `${label}@news.example`, role: 'admin', ...(token === undefined ? {} : { _csrf: token }) });
      expect([label, res.status]).toEqual([label, 403]);
      expect(res.text).toContain('nothing was changed');
    }
    const revoke = await admin.agent.post(`/admin/users/${await idOf('editor@news.example')}/role`).type('form').send({ role: 'admin', _csrf: foreign });
    expect(revoke.status).toBe(403);
    expect(await roleOf('editor@news.example')).toBe('editor');
    expect(await userCount()).toBe(before);
    // With its own token the same form works.
    expect((await admin.post('/admin/users', { email: 'valid@news.example', role: 'editor' })).status).toBe(200);
  });

  test('when a browser says the form came from another site, then it answers 403 before reading it, even with the right token', async () => {
    await admin.get('/admin/tokens');
    const crossSite = await admin.post('/admin/tokens', { name: 'from elsewhere' }).set('Sec-Fetch-Site', 'cross-site');
    expect(crossSite.status).toBe(403);
    const foreignOrigin = await admin.post('/admin/tokens', { name: 'from elsewhere' }).set('Origin', 'https://evil.example');
    expect(foreignOrigin.status).toBe(403);
    // Even sign-in, which has no session yet (login CSRF).
    const login = await request(app.url).post('/admin/login').set('Origin', 'https://evil.example').type('form').send({ email: 'chief@news.example', password: 'x' });
    expect(login.status).toBe(403);
    expect(await query(app, "SELECT 1 FROM admin_api_tokens WHERE name = 'from elsewhere'")).toEqual([]);
    const sameSite = await admin.post('/admin/tokens', { name: 'from here' }).set('Sec-Fetch-Site', 'same-origin').set('Origin', app.url);
    expect(sameSite.status).toBe(200);
  });

  test('when an editor opens or posts to an admin page, then it answers 403; their own pages work', async () => {
    for (const path of ['/admin/users', '/admin/audit']) {
      const res = await editor.get(path);
      expect([path, res.status]).toEqual([path, 403]);
      expect(res.text).toContain('Only an admin may do this');
    }
    await editor.get('/admin');
    const before = await userCount();
    expect((await editor.post('/admin/users', { email: 'sneaky@news.example', role: 'admin' })).status).toBe(403);
    expect((await editor.post(`/admin/users/${await idOf('editor@news.example')}/role`, { role: 'admin' })).status).toBe(403);
    expect(await roleOf('editor@news.example')).toBe('editor');
    expect(await userCount()).toBe(before);
    expect((await editor.get('/admin')).status).toBe(200);
    expect((await editor.get('/admin/tokens')).status).toBe(200);
    expect((await editor.get('/admin')).text).not.toContain('href="/admin/users"');
  });

  test('when the last active admin would be demoted, disabled or removed, then it is refused and they stay admin', async () => {
    const chief = await idOf('chief@news.example');
    await admin.get('/admin/users');
    for (const [path, fields] of [[`/admin/users/${chief}/role`, { role: 'editor' }], [`/admin/users/${chief}/disable`, {}], [`/admin/users/${chief}/remove`, {}]] as const) {
      const res = await admin.post(path, fields);
      expect([path, res.status]).toEqual([path, 409]);
      expect(res.text).toContain('last active admin');
    }
    expect(await query(app, "SELECT role::text, disabled_at FROM admin_users WHERE email = 'chief@news.example'")).toEqual([{ role: 'admin', disabled_at: null }]);

    // With a second admin, the first may step down; then the second is the last one.
    const deputy = await invited(admin, 'deputy@news.example', 'admin');
    expect((await admin.post(`/admin/users/${chief}/role`, { role: 'editor' })).status).toBe(303);
    expect(await roleOf('chief@news.example')).toBe('editor');
    await deputy.get('/admin/users');
    expect((await deputy.post(`/admin/users/${await idOf('deputy@news.example')}/remove`)).status).toBe(409);
    expect((await deputy.post(`/admin/users/${chief}/role`, { role: 'admin' })).status).toBe(303);
    admin = deputy;
  });

  test('when an admin disables a user, then their sessions end and they cannot sign in; enabled, they can again', async () => {
    const victim = await invited(admin, 'temp@news.example', 'editor');
    const id = await idOf('temp@news.example');
    await admin.get('/admin/users');
    const res = await admin.post(`/admin/users/${id}/disable`);
    expect([res.status, res.headers.location]).toEqual([303, '/admin/users']);
    expect((await admin.get('/admin/users')).text).toContain('temp@news.example is disabled and signed out.');
    expect((await victim.get('/admin')).status).toBe(303);
    expect((await new ConsoleClient(app).signIn('temp@news.example')).status).toBe(401);
    expect((await admin.post(`/admin/users/${id}/enable`)).status).toBe(303);
    expect((await new ConsoleClient(app).signIn('temp@news.example')).status).toBe(303);
    expect((await admin.post(`/admin/users/${id}/remove`)).status).toBe(303);
    expect(await roleOf('temp@news.example')).toBeUndefined();
  });

  test('when people are invited, changed and removed, then the audit log names who did it, newest first', async () => {
    const rows = await query<{ actor_label: string; action: string; subject_type: string; details: Record<string, unknown> }>(
      app,
      `SELECT actor_label, action, subject_type, details FROM audit_log WHERE action IN ('user_invited', 'user_role_changed', 'user_disabled', 'user_removed') ORDER BY id`,
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        { actor_label: 'command line', action: 'user_invited', subject_type: 'user', details: { email: 'chief@news.example', role: 'admin' } },
        { actor_label: 'chief@news.example', action: 'user_invited', subject_type: 'user', details: { email: 'editor@news.example', role: 'editor' } },
        { actor_label: 'chief@news.example', action: 'user_role_changed', subject_type: 'user', details: { email: 'chief@news.example', from: 'admin', to: 'editor' } },
        { actor_label: 'deputy@news.example', action: 'user_disabled', subject_type: 'user', details: { email: 'temp@news.example' } },
        { actor_label: 'deputy@news.example', action: 'user_removed', subject_type: 'user', details: { email: 'temp@news.example', role: 'editor' } },
      ]),
    );
    const signIns = await query(app, "SELECT 1 FROM audit_log WHERE action = 'signed_in' AND actor_label = 'chief@news.example'");
    expect(signIns.length).toBeGreaterThan(0);

    const page = (await admin.get('/admin/audit')).text;
    expect(page.indexOf('user removed')).toBeLessThan(page.indexOf('user disabled'));
    expect(page).toContain('deputy@news.example');
  });

  test('when the audit log has more than a page, then older entries come by cursor, without repeats', async () => {
    const total = (await query<{ n: number }>(app, 'SELECT count(*)::int AS n FROM audit_log'))[0]!.n;
    for (let i = total; i < 60; i++) await admin.post('/admin/tokens', { name: `token ${i}` });
    const first = (await admin.get('/admin/audit')).text;
    const next = /href="(\/admin\/audit\?before=\d+)"/.exec(first)?.[1];
    expect(next).toBeDefined();
    const second = (await admin.get(next!)).text;
    const times = (html: string) => [...html.matchAll(/<tr>\s*<td><time/g)].length;
    const all = (await query<{ n: number }>(app, 'SELECT count(*)::int AS n FROM audit_log'))[0]!.n;
    expect(times(first)).toBe(50);
    expect(times(first) + times(second)).toBe(Math.min(all, 100));
  });
});
