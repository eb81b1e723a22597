import request from 'supertest';
import { adminCreate, apiTokenOf, ConsoleClient, invited, linkIn, type Newsroom, openNewsroom } from '../helpers/console-client';
import type { DigestFixtures } from '../helpers/digest-fixtures';
import { adminAuth, type TestBulletin } from '../helpers/test-bulletin';
import { query } from './subscription-test-kit';

describe('users\' API tokens on the admin API', () => {
  let app: TestBulletin;
  let admin: ConsoleClient;
  let editor: ConsoleClient;
  let fx: DigestFixtures;

  let newsroom: Newsroom;

  beforeAll(async () => {
    ({ app, fx, admin, editor } = newsroom = await openNewsroom());
  }, 60_000);
  afterAll(() => newsroom?.stop());

  const makeToken = apiTokenOf;
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  test('when a token is made, then it opens the admin API until it is revoked', async () => {
    const token = await makeToken(admin, 'CMS publishing');
    expect((await request(app.url).get('/api/admin/articles').set(bearer(token))).status).toBe(200);
    expect((await request(app.url).get('/api/admin/articles').set(bearer(`${token}x`))).status).toBe(401);
    const lastUsed = await query<{ last_used_at: Date | null }>(app, "SELECT last_used_at FROM admin_api_tokens WHERE name = 'CMS publishing'");
    expect(lastUsed[0]!.last_used_at).not.toBeNull();

    const id = (await query<{ id: number }>(app, "SELECT id FROM admin_api_tokens WHERE name = 'CMS publishing'"))[0]!.id;
    // Another user cannot revoke it.
    await editor.get('/admin/tokens');
    expect((await editor.post(`/admin/tokens/${id}/revoke`)).status).toBe(404);
    expect((await request(app.url).get('/api/admin/articles').set(bearer(token))).status).toBe(200);

    await admin.get('/admin/tokens');
    const revoked = await admin.post(`/admin/tokens/${id}/revoke`);
    expect([revoked.status, revoked.headers.location]).toEqual([303, '/admin/tokens']);
    expect((await request(app.url).get('/api/admin/articles').set(bearer(token))).status).toBe(401);
  });

  test('when a token is made without a name, then the form names the field (400)', async () => {
    await admin.get('/admin/tokens');
    const res = await admin.post('/admin/tokens', { name: '  ' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('id="token-name-error"');
  });

  test('when an editor\'s token is used, then editors\' routes work and admin-only ones answer 403', async () => {
    const token = await makeToken(editor, 'Editor script');
    expect((await request(app.url).get('/api/admin/newsletters').set(bearer(token))).status).toBe(200);
    expect((await request(app.url).get('/api/admin/digests').set(bearer(token))).status).toBe(200);
    const article = await request(app.url).post('/api/admin/articles').set(bearer(token)).send({ title: 'Editor story', url: 'https://news.example/editor' });
    expect(article.status).toBe(201);

    const create = await request(app.url).post('/api/admin/newsletters').set(bearer(token)).send({ slug: 'editors-own', name: 'Nope', kind: 'digest', cron: '0 0 1 1 *' });
    expect(create.status).toBe(403);
    expect(create.body).toEqual({ error: 'Only an admin may do this' });
    expect((await request(app.url).patch('/api/admin/newsletters/daily').set(bearer(token)).send({ name: 'Changed' })).status).toBe(403);
    expect((await request(app.url).delete('/api/admin/newsletters/weekly').set(bearer(token))).status).toBe(403);
    expect((await request(app.url).get('/api/admin/newsletters/daily').set(adminAuth)).body.newsletter.name).not.toBe('Changed');
  });

  test('when a disabled user\'s token is used, then it no longer works', async () => {
    const user = await invited(admin, 'gone@news.example', 'editor');
    const token = await makeToken(user, 'Soon gone');
    expect((await request(app.url).get('/api/admin/digests').set(bearer(token))).status).toBe(200);
    const id = (await query<{ id: number }>(app, "SELECT id FROM admin_users WHERE email = 'gone@news.example'"))[0]!.id;
    await admin.get('/admin/users');
    expect((await admin.post(`/admin/users/${id}/disable`)).status).toBe(303);
    expect((await request(app.url).get('/api/admin/digests').set(bearer(token))).status).toBe(401);
  });

  test('when an edition is sent through the API, then the audit log names the token\'s user, or ADMIN_TOKEN', async () => {
    await fx.subscribers(1);
    const token = await makeToken(editor, 'Sender');
    await fx.article({ title: 'First story' });
    app.clock.skip(60_000);
    const byEditor = await request(app.url).post('/api/admin/digests').set(bearer(token)).send({ newsletter: 'daily' });
    expect(byEditor.status).toBe(201);
    await fx.article({ title: 'Second story', publishedAt: app.clock.now() });
    app.clock.skip(60_000);
    const byToken = await request(app.url).post('/api/admin/digests').set(adminAuth).send({ newsletter: 'daily' });
    expect(byToken.status).toBe(201);

    const rows = await query<{ actor_label: string; actor_user_id: number | null; subject_id: string; details: unknown }>(
      app,
      "SELECT actor_label, actor_user_id, subject_id, details FROM audit_log WHERE action = 'edition_sent' ORDER BY id",
    );
    const editorId = (await query<{ id: number }>(app, "SELECT id FROM admin_users WHERE email = 'editor@news.example'"))[0]!.id;
    expect(rows).toEqual([
      // The first edition also takes the editor's story posted in the test before.
      { actor_label: 'editor@news.example', actor_user_id: editorId, subject_id: String(byEditor.body.digest.id), details: { newsletter: 'daily', recipients: 1, articles: 2 } },
      { actor_label: 'ADMIN_TOKEN', actor_user_id: null, subject_id: String(byToken.body.digest.id), details: { newsletter: 'daily', recipients: 1, articles: 1 } },
    ]);
    const made = await query<{ action: string; actor_label: string }>(app, "SELECT action, actor_label FROM audit_log WHERE action LIKE 'api_token_%' ORDER BY id");
    expect(made).toEqual(expect.arrayContaining([{ action: 'api_token_created', actor_label: 'editor@news.example' }, { action: 'api_token_revoked', actor_label: 'chief@news.example' }]));
  });

  test('when npm run admin:create is run, then it prints a one-hour link that sets the first admin\'s password', async () => {
    const run = (args: string[]) => adminCreate(app, args);
    const made = await run(['Night.Editor@News.Example']);
    expect(made.stderr).toBe('');
    expect([made.code, made.stdout.split('\n')[0]]).toEqual([0, 'Created the admin night.editor@news.example.']);
    const link = linkIn(made.stdout);
    expect(link.startsWith(`${app.config.PUBLIC_URL}/admin/password?token=`)).toBe(true);

    const client = new ConsoleClient(app);
    expect((await client.setPassword(link)).status).toBe(303);
    expect((await client.get('/admin/users')).status).toBe(200);

    // Again for the same address: a fresh link (the way back in), the old one spent.
    const again = await run(['night.editor@news.example']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already has an account (admin); this link replaces its password.');
    expect(linkIn(again.stdout)).not.toBe(link);

    const bad = await run(['not-an-address']);
    expect([bad.code, bad.stderr.trim()]).toEqual([2, 'admin:create: Enter a valid email address, like name@example.com']);
  }, 60_000);
});
