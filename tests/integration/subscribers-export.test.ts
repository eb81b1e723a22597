import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { DigestFixtures } from '../helpers/digest-fixtures';
import { startTestBulletin, type TestBulletin, adminAuth, QUIET_SCHEDULES } from '../helpers/test-bulletin';
import { apiTokenOf, firstAdmin, invited } from '../helpers/console-client';
import { addNewsletter, query, uniqueEmail } from './subscription-test-kit';

/** The export's rows as objects, read back by a CSV parser (so quoting is checked, not assumed). */
function rowsOf(csv: string): Record<string, string>[] {
  return parse(csv, { columns: true });
}

describe('subscribers export and lookup', () => {
  let app: TestBulletin;
  let fixtures: DigestFixtures;
  beforeAll(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES });
    fixtures = new DigestFixtures(app.db.url);
    await addNewsletter(app, { slug: 'sports', name: 'Sports' });
  });
  afterAll(async () => {
    await fixtures?.close();
    await app?.stop();
  });

  const exportCsv = (params: Record<string, string> = {}) =>
    request(app.url)
      .get('/api/admin/subscribers/export')
      .query(params)
      .set(adminAuth)
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => done(null, text));
      });

  test('when many subscribers are exported, then every one comes once, in id order, across pages, as an attachment', async () => {
    const made = await fixtures.subscribers(2_345, { prefix: 'many-', newsletters: ['daily', 'sports'] });

    const res = await exportCsv().expect(200);

    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="?subscribers\.csv"?$/);
    expect((res.body as string).split('\r\n')[0]).toBe('email,name,status,newsletters,created_at,confirmed_at,unsubscribed_at,suppressed');
    const rows = rowsOf(res.body).filter((r) => r.email!.startsWith('many-'));
    expect(rows.map((r) => r.email)).toEqual(made.map((m) => m.email));
    expect(rows[0]).toMatchObject({ status: 'confirmed', newsletters: 'daily;sports', suppressed: 'false', unsubscribed_at: '' });
    expect(new Date(rows[0]!.created_at!).toISOString()).toBe(rows[0]!.created_at);
  });

  test('when names hold formulas, quotes, commas and line breaks, then cells are neutralised and quoted so a parser reads them back', async () => {
    const names = ['=HYPERLINK("http://evil.example","click")', '+1 555', '-2+3', '@SUM(A1)', '\tTabbed', 'Said "hi", left', 'Two\nlines'];
    const emails = names.map((_, i) => `cells-${i}@example.org`);
    for (const [i, name] of names.entries()) {
      await query(app, `INSERT INTO subscribers (email, name, status, updated_at) VALUES ($1, $2, 'pending', now())`, [emails[i], name]);
    }
    await query(app, `INSERT INTO subscribers (email, name, status, updated_at) VALUES ('=cmd@example.org', NULL, 'pending', now())`);

    const res = await exportCsv({ status: 'pending' }).expect(200);

    const rows = rowsOf(res.body);
    const byEmail = new Map(rows.map((r) => [r.email, r.name]));
    expect(emails.map((e) => byEmail.get(e))).toEqual([
      `'=HYPERLINK("http://evil.example","click")`,
      `'+1 555`,
      `'-2+3`,
      `'@SUM(A1)`,
      `'\tTabbed`,
      'Said "hi", left',
      'Two\nlines',
    ]);
    expect(byEmail.has(`'=cmd@example.org`)).toBe(true);
    expect(res.body).toContain('"\'=HYPERLINK(""http://evil.example"",""click"")"');
  });

  test('when filtered by status or newsletter, then only those subscribers are exported', async () => {
    const [inSports] = await fixtures.subscribers(1, { prefix: 'filter-sports-', newsletters: ['sports'] });
    const [inDaily] = await fixtures.subscribers(1, { prefix: 'filter-daily-', newsletters: ['daily'] });
    await query(app, `INSERT INTO subscribers (email, status, unsubscribed_at, updated_at) VALUES ('filter-left@example.org', 'unsubscribed', now(), now())`);

    const sports = rowsOf((await exportCsv({ newsletter: 'sports' }).expect(200)).body).map((r) => r.email);
    expect(sports).toContain(inSports!.email);
    expect(sports).not.toContain(inDaily!.email);

    const left = rowsOf((await exportCsv({ status: 'unsubscribed' }).expect(200)).body);
    expect(left.map((r) => r.email)).toEqual(['filter-left@example.org']);
    expect(left[0]!.unsubscribed_at).not.toBe('');

    const bad = await exportCsv({ status: 'gone' }).expect(400);
    expect(JSON.parse(bad.body)).toMatchObject({ fields: { status: expect.any(String) } });
    expect(JSON.parse((await exportCsv({ newsletter: 'nope' }).expect(400)).body)).toEqual({ error: expect.any(String), fields: { newsletter: 'No newsletter "nope"' } });
  });

  test('when an editor\'s API token is used, then every subscriber route answers 403 and nothing changes', async () => {
    const admin = await firstAdmin(app, 'chief@lists.example');
    const editor = await invited(admin, 'editor@lists.example', 'editor');
    const token = { Authorization: `Bearer ${await apiTokenOf(editor, 'Editor script')}` };
    const [reader] = await fixtures.subscribers(1, { prefix: 'editor-view-' });

    await request(app.url).get('/api/admin/subscribers/export').set(token).expect(403);
    await request(app.url).get('/api/admin/subscribers').query({ email: 'editor-view-' }).set(token).expect(403);
    await request(app.url).get(`/api/admin/subscribers/${reader!.id}/data`).set(token).expect(403);
    await request(app.url).delete(`/api/admin/subscribers/${reader!.id}`).set(token).expect(403);
    const imported = uniqueEmail('by-editor');
    await request(app.url)
      .post('/api/admin/subscribers/import')
      .query({ newsletters: 'daily', status: 'confirmed', consent: 'x' })
      .set(token)
      .set('Content-Type', 'text/csv')
      .send(`email\n${imported}\n`)
      .expect(403);

    expect(await query(app, 'SELECT email FROM subscribers WHERE id = $1 OR email = $2', [reader!.id, imported])).toEqual([{ email: reader!.email }]);
  });

  test('when an admin exports, then the audit log records who, with the filters', async () => {
    await exportCsv({ status: 'confirmed', newsletter: 'sports' }).expect(200);
    const [entry] = await query<{ actor_label: string; details: unknown }>(
      app,
      `SELECT actor_label, details FROM audit_log WHERE action = 'subscribers_exported' ORDER BY id DESC LIMIT 1`,
    );
    expect(entry).toEqual({ actor_label: 'ADMIN_TOKEN', details: { status: 'confirmed', newsletter: 'sports' } });
  });

  test('when no admin token is given, then the export, lookup and privacy routes answer 401', async () => {
    await request(app.url).get('/api/admin/subscribers/export').expect(401);
    await request(app.url).get('/api/admin/subscribers?email=a').expect(401);
    await request(app.url).get('/api/admin/subscribers/1/data').expect(401);
    await request(app.url).delete('/api/admin/subscribers/1').expect(401);
  });

  describe('lookup by address prefix (GET /api/admin/subscribers?email=)', () => {
    test('when a prefix is given, then the matching subscribers come with id and status, in address order, any case', async () => {
      await fixtures.subscribers(3, { prefix: 'lookup-ann-' });
      await fixtures.subscribers(1, { prefix: 'lookup-bob-' });

      const res = await request(app.url).get('/api/admin/subscribers').query({ email: 'Lookup-Ann' }).set(adminAuth).expect(200);

      expect(res.body.subscribers.map((s: { email: string }) => s.email)).toEqual(['lookup-ann-1@example.test', 'lookup-ann-2@example.test', 'lookup-ann-3@example.test']);
      expect(res.body.subscribers[0]).toEqual({ id: expect.any(Number), email: 'lookup-ann-1@example.test', status: 'confirmed', suppressed: false });
    });

    test('when the prefix holds LIKE wildcards, then they match only themselves', async () => {
      await query(app, `INSERT INTO subscribers (email, status, updated_at) VALUES ('wild_card@example.org', 'pending', now()), ('wildxcard@example.org', 'pending', now())`);
      const res = await request(app.url).get('/api/admin/subscribers').query({ email: 'wild_' }).set(adminAuth).expect(200);
      expect(res.body.subscribers.map((s: { email: string }) => s.email)).toEqual(['wild_card@example.org']);
      const none = await request(app.url).get('/api/admin/subscribers').query({ email: '%' }).set(adminAuth).expect(200);
      expect(none.body.subscribers).toEqual([]);
    });

    test('when the prefix is missing, then 400 names email; the limit caps the answer', async () => {
      expect((await request(app.url).get('/api/admin/subscribers').set(adminAuth).expect(400)).body.fields).toHaveProperty('email');
      const res = await request(app.url).get('/api/admin/subscribers').query({ email: 'lookup-', limit: '2' }).set(adminAuth).expect(200);
      expect(res.body.subscribers).toHaveLength(2);
    });

    test('when looked up, then the query walks the unique index on email (a range, not a scan)', async () => {
      const plan = await query<{ 'QUERY PLAN': string }>(
        app,
        `EXPLAIN SELECT id FROM subscribers WHERE email LIKE 'lookup-ann%' ORDER BY email LIMIT 20`,
      );
      const text = plan.map((p) => p['QUERY PLAN']).join('\n');
      expect(text).toMatch(/Index (Only )?Scan using subscribers_email_key/);
      expect(text).toMatch(/Index Cond: .*email.*>=/);
    });
  });
});
