import request from 'supertest';
import { ConsoleClient, firstAdmin, invited, linkIn, PASSWORD } from '../helpers/console-client';
import { QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { query } from './subscription-test-kit';
import { ACCOUNTS_PURGE_QUEUE } from '../../src/accounts/account-jobs';
import { createAccounts } from '../../src/accounts/create-accounts';
import { openTestPool } from '../helpers/test-database';
import { noPrisma } from '../helpers/no-prisma';

describe('signing in to the console', () => {
  let app: TestBulletin;
  let admin: ConsoleClient;

  beforeAll(async () => {
    // Many sign-ins come from this one IP; the per-address limit is the default (10 per window).
    app = await startTestBulletin({ ...QUIET_SCHEDULES, ADMIN_SESSION_IDLE_MINUTES: '30', ADMIN_SESSION_MAX_HOURS: '12', ADMIN_LOGIN_LIMIT_PER_IP: '1000' });
    admin = await firstAdmin(app, 'chief@news.example');
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  test('when a page of the console is opened without a session, then it leads to sign-in and back to that page afterwards', async () => {
    const anonymous = new ConsoleClient(app);
    for (const path of ['/admin', '/admin/users', '/admin/tokens', '/admin/audit']) {
      const res = await anonymous.get(path);
      expect([path, res.status]).toEqual([path, 303]);
      expect(res.headers.location).toMatch(/^\/admin\/login/);
    }
    expect((await anonymous.get('/admin/users')).headers.location).toBe('/admin/login?next=%2Fadmin%2Fusers');
    // A form posted without a session changes nothing and leads to sign-in too.
    const post = await anonymous.post('/admin/users', { email: 'nobody@news.example', role: 'admin' });
    expect([post.status, post.headers.location]).toEqual([303, '/admin/login']);

    const login = await anonymous.get('/admin/login?next=%2Fadmin%2Fusers');
    expect(login.status).toBe(200);
    expect(login.text).toContain('value="/admin/users"');
    const signedIn = await anonymous.agent.post('/admin/login').type('form').send({ email: 'Chief@News.Example ', password: PASSWORD, next: '/admin/users' });
    expect([signedIn.status, signedIn.headers.location]).toEqual([303, '/admin/users']);
    expect((await anonymous.get('/admin/users')).text).toContain('chief@news.example');
  });

  test('when next names another site, then sign-in leads to the console home instead', async () => {
    for (const next of ['https://evil.example/admin', '//evil.example/admin', '/\\evil.example', '/public-page', '/admin\\@evil.example']) {
      const res = await new ConsoleClient(app).agent.post('/admin/login').type('form').send({ email: 'chief@news.example', password: PASSWORD, next });
      expect([next, res.status, res.headers.location]).toEqual([next, 303, '/admin']);
    }
  });

  test('when the session cookie is set, then it is HttpOnly, SameSite=Lax, scoped to /admin and new at each sign-in', async () => {
    const first = await new ConsoleClient(app).agent.post('/admin/login').type('form').send({ email: 'chief@news.example', password: PASSWORD });
    const cookie = first.headers['set-cookie']![0]!;
    expect(cookie).toMatch(/^bulletin_session=[A-Za-z0-9_-]{43}; Path=\/admin; HttpOnly; SameSite=Lax$/);
    // Signing in again from the same browser replaces its session: the old cookie no longer works.
    const old = cookie.split(';')[0]!;
    const again = await request(app.url).post('/admin/login').set('Cookie', old).type('form').send({ email: 'chief@news.example', password: PASSWORD });
    expect(again.headers['set-cookie']![0]!.split(';')[0]).not.toBe(old);
    expect((await request(app.url).get('/admin').set('Cookie', old)).status).toBe(303);
  });

  test('when the address is unknown or the password wrong, then the answer is the same 401 and no session is made', async () => {
    const sessionsBefore = await sessionCount();
    const answers = [];
    for (const [email, password] of [['nobody@news.example', PASSWORD], ['chief@news.example', 'wrong password here']] as const) {
      const res = await new ConsoleClient(app).agent.post('/admin/login').type('form').set('Accept', 'text/html').send({ email, password });
      expect(String(res.headers['set-cookie'] ?? '')).not.toContain('bulletin_session=');
      answers.push([res.status, res.text.replace(email, 'EMAIL')]);
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]![0]).toBe(401);
    expect(answers[0]![1]).toContain('do not match an account');
    expect(await sessionCount()).toBe(sessionsBefore);
  });

  test('when a field is missing, then the form comes back with 400, the field named and the address kept', async () => {
    const res = await new ConsoleClient(app).agent.post('/admin/login').type('form').set('Accept', 'text/html').send({ email: 'chief@news.example', password: '' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('id="password-error"');
    expect(res.text).toContain('value="chief@news.example"');
  });

  test('when one address gets too many attempts, then sign-in answers 429 even with the right password', async () => {
    const email = 'target@news.example';
    await invited(admin, email, 'editor');
    for (let i = 0; i < 10; i++) expect((await new ConsoleClient(app).signIn(email, 'not the password')).status).toBe(401);
    const blocked = await new ConsoleClient(app).signIn(email);
    expect(blocked.status).toBe(429);
    expect(blocked.headers['retry-after']).toBeDefined();
  });

  test('when a session is idle longer than ADMIN_SESSION_IDLE_MINUTES, then it has ended; a used one lives on', async () => {
    const idle = await invited(admin, 'idle@news.example', 'editor');
    const busy = new ConsoleClient(app);
    expect((await busy.signIn('idle@news.example')).status).toBe(303);

    app.clock.skip(20 * 60_000);
    expect((await busy.get('/admin')).status).toBe(200);
    app.clock.skip(20 * 60_000);
    // 40 minutes after sign-in: the idle one ended at 30, the busy one was seen 20 minutes ago.
    expect((await idle.get('/admin')).status).toBe(303);
    expect((await busy.get('/admin')).status).toBe(200);
    expect((await idle.get('/admin/tokens')).headers.location).toBe('/admin/login?next=%2Fadmin%2Ftokens');
  });

  test('when a session reaches ADMIN_SESSION_MAX_HOURS, then it ends however busy it was', async () => {
    admin = await reSignIn(admin);
    const user = await invited(admin, 'long-day@news.example', 'editor');
    // A request every 25 minutes (under the 30 idle ones) for 700 minutes: still signed in.
    for (let i = 0; i < 28; i++) {
      app.clock.skip(25 * 60_000);
      expect([i, (await user.get('/admin')).status]).toEqual([i, 200]);
    }
    // 721 minutes after sign-in, 21 after the last request: over the 12 hours.
    app.clock.skip(21 * 60_000);
    expect((await user.get('/admin')).status).toBe(303);
    admin = await reSignIn(admin);
  });

  test('when the user signs out, then the session ends on the server too', async () => {
    const user = await invited(admin, 'leaving@news.example', 'editor');
    const cookie = (await user.agent.get('/admin')).request.cookies;
    const out = await user.post('/admin/logout');
    expect([out.status, out.headers.location]).toEqual([303, '/admin/login']);
    expect((await user.get('/admin/login')).text).toContain('You are signed out.');
    // The cookie as it was before signing out: refused.
    expect((await request(app.url).get('/admin').set('Cookie', cookie)).status).toBe(303);
  });

  test('when users whose sessions ended never come back, then the hourly sweep deletes those sessions and keeps the live ones, without Prisma', async () => {
    admin = await reSignIn(admin);
    const gone = await invited(admin, 'gone@news.example', 'editor');
    const sessionsOf = async (email: string) =>
      (await query<{ n: number }>(app, 'SELECT count(*)::int AS n FROM admin_sessions s JOIN admin_users u ON u.id = s.user_id WHERE u.email = $1', [email]))[0]!.n;
    expect(await sessionsOf('gone@news.example')).toBe(1);
    // Two invitations never taken up: one expired two days ago (swept), one still open (kept).
    await admin.invite('late@news.example', 'editor');
    await query(app, `UPDATE admin_user_tokens t SET expires_at = now() - interval '2 days' FROM admin_users u WHERE u.id = t.user_id AND u.email = 'late@news.example'`);
    await admin.invite('soon@news.example', 'editor');
    app.clock.skip(20 * 60_000);
    expect((await admin.get('/admin')).status).toBe(200);
    app.clock.skip(20 * 60_000);

    const db = openTestPool(app.db.url, 1);
    try {
      // Every instance that runs jobs may run the sweep: it must not load Prisma's compiler there.
      const accounts = createAccounts({ prisma: noPrisma, pool: db.pool, clock: app.clock, publicUrl: app.config.PUBLIC_URL, config: app.config });
      expect(await accounts.sessions.purgeEnded()).toEqual({ sessions: expect.any(Number), links: 1 });
    } finally {
      await db.close();
    }
    expect(await sessionsOf('gone@news.example')).toBe(0);
    expect(await sessionsOf('chief@news.example')).toBeGreaterThanOrEqual(1);
    expect(await query(app, 'SELECT u.email FROM admin_user_tokens t JOIN admin_users u ON u.id = t.user_id WHERE t.used_at IS NULL')).toEqual([{ email: 'soon@news.example' }]);
    expect((await admin.get('/admin')).status).toBe(200);
    // One instance runs it every hour (pg-boss's schedule is shared by all).
    expect(await query(app, 'SELECT cron FROM pgboss.schedule WHERE name = $1', [ACCOUNTS_PURGE_QUEUE])).toEqual([{ cron: '17 * * * *' }]);
  });

  const sessionCount = async () => (await query<{ n: number }>(app, 'SELECT count(*)::int AS n FROM admin_sessions'))[0]!.n;

  /** A fresh session for a client whose session ran out while time was skipped. */
  async function reSignIn(client: ConsoleClient): Promise<ConsoleClient> {
    const fresh = new ConsoleClient(client.app);
    expect((await fresh.signIn('chief@news.example')).status).toBe(303);
    return fresh;
  }
});

describe('set-password links', () => {
  let app: TestBulletin;
  let admin: ConsoleClient;

  beforeAll(async () => {
    app = await startTestBulletin(QUIET_SCHEDULES);
    admin = await firstAdmin(app, 'chief@news.example');
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  const open = (link: string) => request(app.url).get(new URL(link).pathname + new URL(link).search).set('Accept', 'text/html');
  const submit = (link: string, password: string, confirmation = password) =>
    request(app.url).post('/admin/password').type('form').set('Accept', 'text/html').send({ token: new URL(link).searchParams.get('token'), password, confirmation });

  test('when the link is opened, then it shows a form and changes nothing; once used, it does not work again', async () => {
    const link = await admin.invite('new@news.example', 'editor');
    expect((await open(link)).status).toBe(200);
    expect((await open(link)).text).toContain('Choose your password');
    const used = await submit(link, PASSWORD);
    expect([used.status, used.headers.location]).toEqual([303, '/admin']);
    const again = await submit(link, 'another long password');
    expect(again.status).toBe(404);
    expect(again.text).toContain('This link has been used');
    expect((await open(link)).text).toContain('This link has been used');
    expect((await new ConsoleClient(app).signIn('new@news.example', 'another long password')).status).toBe(401);
    expect((await new ConsoleClient(app).signIn('new@news.example')).status).toBe(303);
  });

  test('when the link is over an hour old, then it has expired and sets nothing', async () => {
    const link = await admin.invite('late@news.example', 'editor');
    app.clock.skip(61 * 60_000);
    expect((await open(link)).status).toBe(410);
    const res = await submit(link, PASSWORD);
    expect(res.status).toBe(410);
    expect(res.text).toContain('This link has expired');
    expect((await new ConsoleClient(app).signIn('late@news.example')).status).toBe(401);
    admin = new ConsoleClient(app);
    expect((await admin.signIn('chief@news.example')).status).toBe(303);
  });

  test('when the password is too short, is the address or the two differ, then the form names the field and the link still works', async () => {
    const link = await admin.invite('careful@news.example', 'editor');
    const cases: Array<[string, string, string]> = [
      ['short pass', 'short pass', 'password'],
      ['careful@news.example', 'careful@news.example', 'password'],
      ['a long enough password', 'a different long password', 'confirmation'],
    ];
    for (const [password, confirmation, field] of cases) {
      const res = await submit(link, password, confirmation);
      expect([password, res.status]).toEqual([password, 400]);
      expect(res.text).toContain(`id="${field}-error"`);
      // Passwords are never sent back in a page.
      expect(res.text).not.toMatch(/name="(password|confirmation)"[^>]*value=/);
    }
    expect((await submit(link, PASSWORD)).status).toBe(303);
  });

  test('when a password is set through a reset link, then every other session of that user ends', async () => {
    const user = await invited(admin, 'forgetful@news.example', 'editor');
    const otherBrowser = new ConsoleClient(app);
    expect((await otherBrowser.signIn('forgetful@news.example')).status).toBe(303);
    const userId = (await query<{ id: number }>(app, "SELECT id FROM admin_users WHERE email = 'forgetful@news.example'"))[0]!.id;
    await admin.get('/admin/users');
    const reset = linkIn((await admin.post(`/admin/users/${userId}/link`)).text);
    const fresh = new ConsoleClient(app);
    expect((await fresh.setPassword(reset, 'a brand new passphrase')).status).toBe(303);
    expect((await fresh.get('/admin')).status).toBe(200);
    expect((await user.get('/admin')).status).toBe(303);
    expect((await otherBrowser.get('/admin')).status).toBe(303);
    expect((await new ConsoleClient(app).signIn('forgetful@news.example')).status).toBe(401);
    expect((await new ConsoleClient(app).signIn('forgetful@news.example', 'a brand new passphrase')).status).toBe(303);
  });
});

describe('your account', () => {
  let app: TestBulletin;
  let admin: ConsoleClient;

  beforeAll(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES, ADMIN_LOGIN_LIMIT_PER_ADDRESS: '5' });
    admin = await firstAdmin(app, 'chief@news.example');
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  const NEW_PASSWORD = 'a brand new passphrase for the desk';
  const change = (client: ConsoleClient, fields: Record<string, string>) => client.post('/admin/account/password', fields);

  test('when an editor changes their password, then the old one stops working, their other session ends and this one goes on', async () => {
    const editor = await invited(admin, 'desk@news.example', 'editor');
    const elsewhere = new ConsoleClient(app);
    expect((await elsewhere.signIn('desk@news.example')).status).toBe(303);
    const page = await editor.get('/admin/account');
    expect(page.text).toContain('Signed in as <strong>desk@news.example</strong>, an editor');
    expect(page.text).toContain('<a class="console-who" href="/admin/account" aria-current="page">');

    const res = await change(editor, { current: PASSWORD, password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    expect([res.status, res.headers.location]).toEqual([303, '/admin/account']);
    expect((await editor.get('/admin/account')).text).toContain('Your password is changed.');
    expect((await elsewhere.get('/admin')).status).toBe(303);
    expect((await new ConsoleClient(app).signIn('desk@news.example')).status).toBe(401);
    expect((await new ConsoleClient(app).signIn('desk@news.example', NEW_PASSWORD)).status).toBe(303);
    expect(await query(app, `SELECT action FROM audit_log WHERE action = 'password_changed'`)).toHaveLength(1);
  });

  test('when the current password is wrong, the new one too short or the two differ, then the form names the field and nothing changes', async () => {
    const editor = await invited(admin, 'typo@news.example', 'editor');
    await editor.get('/admin/account');
    const wrong = await change(editor, { current: 'not my password at all', password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('This is not your current password');
    const short = await change(editor, { current: PASSWORD, password: 'short', confirmation: 'short' });
    expect([short.status, short.text.includes('id="password-error"')]).toEqual([400, true]);
    const differ = await change(editor, { current: PASSWORD, password: NEW_PASSWORD, confirmation: `${NEW_PASSWORD}!` });
    expect(differ.text).toContain('The two passwords differ');
    // A stale form token is refused before anything is checked.
    expect((await change(editor, { _csrf: 'x'.repeat(43), current: PASSWORD, password: NEW_PASSWORD, confirmation: NEW_PASSWORD })).status).toBe(403);
    expect((await new ConsoleClient(app).signIn('typo@news.example')).status).toBe(303);
    expect((await editor.get('/admin')).status).toBe(200);
  });

  test('when a left-open session is used to guess the current password, then the address\'s sign-in limit stops it', async () => {
    const editor = await invited(admin, 'guess@news.example', 'editor');
    await editor.get('/admin/account');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await change(editor, { current: `guess number ${i} of many`, password: NEW_PASSWORD, confirmation: NEW_PASSWORD })).status);
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
  });
});
