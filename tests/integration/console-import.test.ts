import fs from 'node:fs';
import path from 'node:path';
import { ConsoleClient, firstAdmin, invited } from '../helpers/console-client';
import { QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { addNewsletter, confirmThroughLink, linkIn, query, queryOne, subscriptionsOf, uniqueEmail, waitForMail } from './subscription-test-kit';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '../fixtures/lists', name));
const CONSENT = 'Signed up on our Mailchimp form, 2024-2026';

describe('the console: import & export', () => {
  let app: TestBulletin;
  let admin: ConsoleClient;
  let editor: ConsoleClient;

  beforeAll(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES, LIST_IMPORT_MAX_MB: '1' });
    await addNewsletter(app, { slug: 'sports', name: 'Sports' });
    admin = await firstAdmin(app, 'chief@news.example');
    editor = await invited(admin, 'desk@news.example', 'editor');
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  /** The import form as a browser sends it: its fields in page order, the file last. */
  async function importForm(client: ConsoleClient, file: Buffer | string | null, fields: Record<string, string | string[]> = {}) {
    await client.get('/admin/import');
    const req = client.agent.post('/admin/import').set('Accept', 'text/html').field('_csrf', client.csrf);
    for (const [name, value] of Object.entries({ newsletters: 'daily', status: 'confirmed', consent: CONSENT, ...fields })) {
      for (const v of Array.isArray(value) ? value : [value]) req.field(name, v);
    }
    if (file === null) return req.attach('file', Buffer.alloc(0), { filename: '', contentType: 'application/octet-stream' });
    return req.attach('file', Buffer.isBuffer(file) ? file : Buffer.from(file), { filename: 'list.csv', contentType: 'text/csv' });
  }

  const subscriber = (email: string) => queryOne<{ name: string | null; status: string }>(app, 'SELECT name, status::text FROM subscribers WHERE email = $1', [email]);
  const subscriberCount = async () => (await queryOne<{ n: number }>(app, 'SELECT count(*)::int AS n FROM subscribers'))!.n;
  const countIn = (html: string, key: string) => Number(new RegExp(`data-count="${key}">([\\d,]+)<`).exec(html)?.[1]?.replace(/,/g, ''));

  test('when an admin opens Import & export, then the form lists the active newsletters and the page is in the navigation', async () => {
    const page = await admin.get('/admin/import');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<a href="/admin/import" aria-current="page">Import &amp; export</a>');
    expect(page.text).toMatch(/name="newsletters" value="daily"/);
    expect(page.text).toMatch(/name="newsletters" value="sports"/);
    expect(page.text).toContain('enctype="multipart/form-data"');
    // The file is the form's last field: the fields before it are read first.
    expect(page.text.indexOf('name="file"')).toBeGreaterThan(page.text.indexOf('name="skipInvalid"'));
  });

  test('when a Mailchimp export is imported with its columns mapped, then the report counts it and the readers are in, with the audit entry', async () => {
    const res = await importForm(admin, fixture('mailchimp.csv'), { newsletters: ['daily', 'sports'], email: 'Email Address', name: 'First Name' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('The file is imported');
    expect([countIn(res.text, 'rows'), countIn(res.text, 'imported'), countIn(res.text, 'merged'), countIn(res.text, 'invalid')]).toEqual([3, 3, 0, 0]);
    // Mapped: the name is the first name column alone, not "First Last".
    expect(await subscriber('ada.lovelace@example.org')).toEqual({ name: 'Ada', status: 'confirmed' });
    expect(await subscriptionsOf(app, 'ada.lovelace@example.org')).toEqual(['daily', 'sports']);
    const [audit] = await query<{ actor_label: string; details: unknown }>(app, `SELECT actor_label, details FROM audit_log WHERE action = 'list_imported' ORDER BY id DESC LIMIT 1`);
    expect(audit).toEqual({
      actor_label: 'chief@news.example',
      details: { newsletters: ['daily', 'sports'], status: 'confirmed', format: 'mapped', rows: 3, imported: 3, merged: 0, duplicates: 0, skipped: 0, invalid: 0 },
    });
  });

  test('when a file repeats an address and has one already here, then they merge: one subscriber each, counted as duplicate and merged', async () => {
    const known = uniqueEmail('known');
    const fresh = uniqueEmail('fresh');
    expect((await importForm(admin, `email\n${known}\n`)).status).toBe(200);
    const res = await importForm(admin, `email,name\n${known},Known\n${fresh},Fresh\n${fresh.toUpperCase()},Again\n`, { newsletters: 'sports' });
    expect(res.status).toBe(200);
    expect([countIn(res.text, 'imported'), countIn(res.text, 'merged'), countIn(res.text, 'duplicates')]).toEqual([1, 1, 1]);
    expect(await subscriptionsOf(app, known)).toEqual(['daily', 'sports']);
    expect((await query(app, 'SELECT 1 FROM subscribers WHERE email = $1', [fresh])).length).toBe(1);
  });

  test('when a file has invalid rows, then 422 lists each row with its reason, nothing is written, and the choices are kept to tick "skip invalid rows"', async () => {
    const good = uniqueEmail('good');
    const before = await subscriberCount();
    const res = await importForm(admin, `email,name\n${good},Good\nnot-an-address,Bad\n<script>@x,Worse\n`, { newsletters: 'sports', status: 'pending', email: 'email' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('Nothing was imported');
    expect(res.text).toMatch(/<td class="num" data-label="Row">3<\/td><td data-label="Field">email<\/td>/);
    expect(res.text).toMatch(/data-label="Row">4</);
    expect(res.text).not.toContain('<script>@x');
    expect(await subscriberCount()).toBe(before);
    // The form as it was sent (but the file: a browser cannot keep it, and the page says so).
    expect(res.text).toMatch(/name="newsletters" value="sports" checked/);
    expect(res.text).toMatch(/name="newsletters" value="daily">/);
    expect(res.text).toMatch(/name="status" value="pending" checked/);
    expect(res.text).toContain(CONSENT);
    expect(res.text).toMatch(/id="import-email" name="email" type="text" maxlength="200" value="email"/);
    expect(res.text).toContain('Choose the file again');

    const skipped = await importForm(admin, `email,name\n${good},Good\nnot-an-address,Bad\n`, { skipInvalid: 'true' });
    expect(skipped.status).toBe(200);
    expect([countIn(skipped.text, 'imported'), countIn(skipped.text, 'invalid')]).toEqual([1, 1]);
    expect(skipped.text).toMatch(/data-label="Row">3</);
    expect((await subscriber(good))?.status).toBe('confirmed');
  });

  test('when imported as pending, then each new reader gets the confirmation email, whose link confirms them', async () => {
    const email = uniqueEmail('invited');
    const res = await importForm(admin, `email\n${email}\n`, { status: 'pending', newsletters: 'sports' });
    expect(res.status).toBe(200);
    expect(countIn(res.text, 'confirmations')).toBe(1);
    expect((await subscriber(email))?.status).toBe('pending');
    const mail = await waitForMail(app, email, /confirm/i);
    expect((await confirmThroughLink(app, linkIn(mail, '/confirm'))).status).toBe(200);
    expect((await subscriber(email))?.status).toBe('confirmed');
  });

  test('when the consent statement is missing, then 400 names it beside its field, keeps the other values and imports nothing', async () => {
    const email = uniqueEmail('unconsented');
    const res = await importForm(admin, `email\n${email}\n`, { consent: '  ', newsletters: 'sports', status: 'pending' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/<p class="field-error" id="import-consent-error">State how these people consented/);
    expect(res.text).toMatch(/id="import-consent"[^>]*aria-invalid="true"/);
    expect(res.text).toMatch(/name="newsletters" value="sports" checked/);
    expect(res.text).toMatch(/name="status" value="pending" checked/);
    expect(await subscriber(email)).toBeUndefined();
  });

  test('when no file or no newsletter is chosen, or the file lacks the named column, then each is named beside its field', async () => {
    const none = await importForm(admin, null, { newsletters: [] });
    expect(none.status).toBe(400);
    expect(none.text).toMatch(/id="import-file-error">Choose the CSV file to import/);
    expect(none.text).toMatch(/id="import-newsletters-error">Choose at least one newsletter/);
    const column = await importForm(admin, 'address\na@example.org\n', { email: 'Mail' });
    expect(column.status).toBe(400);
    expect(column.text).toMatch(/id="import-email-error">The file has no column &quot;Mail&quot;/);
    const empty = await importForm(admin, '');
    expect(empty.text).toMatch(/id="import-file-error">The file is empty/);
  });

  test('when the file is larger than LIST_IMPORT_MAX_MB (1 here), then 413 on the form page and nothing is written', async () => {
    const email = uniqueEmail('huge');
    const body = Buffer.alloc(1024 * 1024 + 1, '\n');
    body.write(`email\n${email}\n`);
    const res = await importForm(admin, body);
    expect(res.status).toBe(413);
    expect(res.text).toMatch(/id="import-file-error">The file is larger than 1 MB/);
    expect(await subscriber(email)).toBeUndefined();
  });

  test('when the form token is missing or stale, then 403 and nothing is read', async () => {
    const email = uniqueEmail('forged');
    const res = await admin.agent.post('/admin/import').set('Accept', 'text/html').field('_csrf', 'stale').field('newsletters', 'daily').field('status', 'confirmed')
      .field('consent', CONSENT).attach('file', Buffer.from(`email\n${email}\n`), { filename: 'list.csv', contentType: 'text/csv' });
    expect(res.status).toBe(403);
    expect(await subscriber(email)).toBeUndefined();
  });

  test('when an editor opens the page, imports or exports, then 403: list work is for admins', async () => {
    expect((await editor.get('/admin/import')).status).toBe(403);
    expect((await editor.get('/admin')).text).not.toContain('/admin/import');
    const email = uniqueEmail('by-editor');
    const res = await editor.agent.post('/admin/import').set('Accept', 'text/html').field('_csrf', editor.csrf).field('newsletters', 'daily').field('status', 'confirmed')
      .field('consent', CONSENT).attach('file', Buffer.from(`email\n${email}\n`), { filename: 'list.csv', contentType: 'text/csv' });
    expect(res.status).toBe(403);
    expect(await subscriber(email)).toBeUndefined();
    expect((await editor.get('/admin/export.csv')).status).toBe(403);
  });

  test('when the export is downloaded with a filter, then the CSV streams those subscribers only, and the hand-out is audited', async () => {
    const sporty = uniqueEmail('sporty');
    const daily = uniqueEmail('daily-only');
    await importForm(admin, `email,name\n${sporty},Sporty\n`, { newsletters: 'sports' });
    await importForm(admin, `email\n${daily}\n`);
    const res = await admin.agent.get('/admin/export.csv?status=confirmed&newsletter=sports').buffer(true).parse((r, done) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString()));
      r.on('end', () => done(null, text));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="?subscribers.csv"?$/);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    const lines = String(res.body).trim().split('\r\n');
    expect(lines[0]).toBe('email,name,status,newsletters,created_at,confirmed_at,unsubscribed_at,suppressed');
    expect(lines.some((l) => l.startsWith(`${sporty},Sporty,confirmed,`))).toBe(true);
    expect(lines.some((l) => l.startsWith(daily))).toBe(false);
    const [audit] = await query<{ details: unknown }>(app, `SELECT details FROM audit_log WHERE action = 'subscribers_exported' ORDER BY id DESC LIMIT 1`);
    expect(audit!.details).toEqual({ status: 'confirmed', newsletter: 'sports' });

    // The form's "Any" is an empty value: no filter.
    const all = await admin.agent.get('/admin/export.csv?status=&newsletter=').buffer(true);
    expect(all.status).toBe(200);
    const bad = await admin.get('/admin/export.csv?newsletter=nope');
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="export-newsletter-error">No newsletter &quot;nope&quot;/);
  });
});
