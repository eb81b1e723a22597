import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { startTestBulletin, type TestBulletin, adminAuth, QUIET_SCHEDULES } from '../helpers/test-bulletin';
import { until } from '../helpers/until';
import { addNewsletter, confirmThroughLink, jobsIdle, linkIn, mailsTo, query, queryOne, subscriptionsOf, uniqueEmail, waitForMail } from './subscription-test-kit';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '../fixtures/lists', name));

const CONSENT = 'Signed up on paper at the 2025 book fair stand';

describe('list import (POST /api/admin/subscribers/import)', () => {
  let app: TestBulletin;
  beforeAll(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES, LIST_IMPORT_MAX_MB: '1' });
    await addNewsletter(app, { slug: 'sports', name: 'Sports' });
    await addNewsletter(app, { slug: 'old-news', name: 'Old news', archived: true });
  });
  afterAll(async () => {
    await app?.stop();
  });

  function importCsv(body: string | Buffer, params: Record<string, string | string[]> = {}) {
    return request(app.url)
      .post('/api/admin/subscribers/import')
      .query({ newsletters: 'daily', status: 'confirmed', consent: CONSENT, ...params })
      .set(adminAuth)
      .set('Content-Type', 'text/csv')
      .send(body);
  }

  const subscriber = (email: string) =>
    queryOne<{ id: number; name: string | null; status: string; confirmed_at: Date | null }>(app, 'SELECT id, name, status::text, confirmed_at FROM subscribers WHERE email = $1', [email]);
  const importConsents = (email: string) =>
    query<{ event: string; source: string; statement: string; slug: string }>(
      app,
      `SELECT c.event::text, c.source, cs.statement, n.slug FROM consents c JOIN subscribers s ON s.id = c.subscriber_id
         JOIN consent_statements cs ON cs.id = c.statement_id JOIN newsletters n ON n.id = c.newsletter_id
        WHERE s.email = $1 ORDER BY n.slug`,
      [email],
    );

  describe('each provider’s export', () => {
    test('when a Mailchimp audience export is imported, then its addresses come in normalised, named "First Last", with an import consent each', async () => {
      const res = await importCsv(fixture('mailchimp.csv'), { newsletters: 'daily,sports' }).expect(200);

      expect(res.body).toMatchObject({ written: true, format: 'mailchimp', rows: 3, imported: 3, merged: 0, skippedCount: 0, invalidCount: 0 });
      expect(await subscriber('ada.lovelace@example.org')).toMatchObject({ name: 'Ada Lovelace', status: 'confirmed' });
      expect((await subscriber('grace@example.org'))?.name).toBe('Grace');
      expect((await subscriber('katherine@example.org'))?.name).toBeNull();
      expect(await subscriptionsOf(app, 'ada.lovelace@example.org')).toEqual(['daily', 'sports']);
      expect(await importConsents('ada.lovelace@example.org')).toEqual([
        { event: 'import', source: 'import', statement: CONSENT, slug: 'daily' },
        { event: 'import', source: 'import', statement: CONSENT, slug: 'sports' },
      ]);
      const audit = await query<{ actor_label: string; details: unknown }>(app, `SELECT actor_label, details FROM audit_log WHERE action = 'list_imported' ORDER BY id LIMIT 1`);
      expect(audit).toEqual([
        {
          actor_label: 'ADMIN_TOKEN',
          details: { newsletters: ['daily', 'sports'], status: 'confirmed', format: 'mailchimp', rows: 3, imported: 3, merged: 0, duplicates: 0, skipped: 0, invalid: 0 },
        },
      ]);
    });

    test('when a Substack export is imported, then its addresses come in without names', async () => {
      const res = await importCsv(fixture('substack.csv')).expect(200);
      expect(res.body).toMatchObject({ format: 'substack', rows: 2, imported: 2 });
      expect(await subscriber('dorothy@example.org')).toMatchObject({ name: null, status: 'confirmed' });
    });

    test('when a Ghost members export is imported, then names come from its name column', async () => {
      const res = await importCsv(fixture('ghost.csv')).expect(200);
      expect(res.body).toMatchObject({ format: 'ghost', rows: 2, imported: 2 });
      expect((await subscriber('radia@example.org'))?.name).toBe('Radia Perlman');
    });

    test('when a plain email,name file is imported, then it is read as such', async () => {
      const res = await importCsv(fixture('plain.csv')).expect(200);
      expect(res.body).toMatchObject({ format: 'plain', rows: 2, imported: 2 });
      expect((await subscriber('frances@example.org'))?.name).toBe('Frances Allen');
    });

    test('when the operator maps the columns, then those columns are read whatever their headers', async () => {
      const email = uniqueEmail('mapped');
      const res = await importCsv(`Who,Mail\nMapped Person,${email}\n`, { email: 'Mail', name: 'who' }).expect(200);
      expect(res.body).toMatchObject({ format: 'mapped', imported: 1 });
      expect((await subscriber(email))?.name).toBe('Mapped Person');
    });
  });

  describe('bad rows', () => {
    const file = (good: string) => `email,name\n${good},Good\nnot-an-address,Bad\n,Empty\n${uniqueEmail('long')},${'x'.repeat(101)}\n`;

    test('when a file has invalid rows, then by default nothing is imported and each bad row is reported with its row and field', async () => {
      const good = uniqueEmail('good');
      const res = await importCsv(file(good)).expect(422);

      expect(res.body).toMatchObject({ written: false, rows: 4, imported: 0, invalidCount: 3 });
      expect(res.body.invalid).toEqual([
        { row: 3, field: 'email', reason: 'Enter a valid email address, like name@example.com' },
        { row: 4, field: 'email', reason: 'Enter your email address' },
        { row: 5, field: 'name', reason: 'Your name can be 100 characters at most' },
      ]);
      expect(await subscriber(good)).toBeUndefined();
    });

    test('when skipInvalid=true, then the good rows are imported and the bad ones reported', async () => {
      const good = uniqueEmail('good');
      const res = await importCsv(file(good), { skipInvalid: 'true' }).expect(200);
      expect(res.body).toMatchObject({ written: true, imported: 1, invalidCount: 3 });
      expect(res.body.invalid.map((i: { row: number }) => i.row)).toEqual([3, 4, 5]);
      expect(await subscriber(good)).toMatchObject({ status: 'confirmed', name: 'Good' });
    });
  });

  describe('duplicates merge', () => {
    test('when an address appears twice in a file (in any case), then it counts once and the first row wins', async () => {
      const email = uniqueEmail('twice');
      const res = await importCsv(`email,name\n${email.toUpperCase()},First\n ${email} ,Second\n`).expect(200);
      expect(res.body).toMatchObject({ rows: 2, imported: 1, duplicates: 1 });
      expect((await subscriber(email))?.name).toBe('First');
    });

    test('when a confirmed subscriber is imported, then they gain the chosen newsletters and keep their name', async () => {
      const email = uniqueEmail('confirmed');
      await importCsv(`email,name\n${email},Original\n`).expect(200);
      const res = await importCsv(`email,name\n${email},Other\n`, { newsletters: 'sports' }).expect(200);
      expect(res.body).toMatchObject({ imported: 0, merged: 1 });
      expect(await subscriptionsOf(app, email)).toEqual(['daily', 'sports']);
      expect((await subscriber(email))?.name).toBe('Original');
    });

    test('when a pending subscriber is imported as confirmed, then they become confirmed with the newsletters', async () => {
      const email = uniqueEmail('pending');
      await importCsv(`email\n${email}\n`, { status: 'pending' }).expect(200);
      const res = await importCsv(`email\n${email}\n`, { newsletters: 'sports' }).expect(200);
      expect(res.body).toMatchObject({ merged: 1 });
      const s = await subscriber(email);
      expect(s?.status).toBe('confirmed');
      expect(s?.confirmed_at).not.toBeNull();
      // One import event per newsletter: daily from the first import, sports (added and confirmed) from this one.
      expect((await importConsents(email)).map((c) => c.slug)).toEqual(['daily', 'sports']);
    });

    test('when unsubscribed or suppressed addresses are imported, then they are skipped with the reason and not brought back', async () => {
      const left = uniqueEmail('left');
      const bounced = uniqueEmail('bounced');
      await importCsv(`email\n${left}\n${bounced}\n`).expect(200);
      await query(app, `UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = now() WHERE email = $1`, [left]);
      await query(app, `UPDATE subscribers SET suppressed_at = now() WHERE email = $1`, [bounced]);

      const res = await importCsv(`email\n${left}\n${bounced}\n`, { newsletters: 'sports' }).expect(200);

      expect(res.body).toMatchObject({ imported: 0, merged: 0, skippedCount: 2 });
      expect(res.body.skipped).toEqual([
        { row: 2, email: left, reason: expect.stringMatching(/^unsubscribed/) },
        { row: 3, email: bounced, reason: expect.stringMatching(/^suppressed/) },
      ]);
      expect((await subscriber(left))?.status).toBe('unsubscribed');
      expect(await subscriptionsOf(app, left)).toEqual(['daily']);
      expect(await subscriptionsOf(app, bounced)).toEqual(['daily']);
    });

    test('when an erased address is imported, then it is skipped as erased', async () => {
      const email = uniqueEmail('erased');
      await importCsv(`email\n${email}\n`).expect(200);
      const { id } = (await subscriber(email))!;
      await request(app.url).delete(`/api/admin/subscribers/${id}`).set(adminAuth).expect(200);

      const res = await importCsv(`email\n${email.toUpperCase()}\n`).expect(200);

      expect(res.body).toMatchObject({ imported: 0, skippedCount: 1, skipped: [{ row: 2, email, reason: expect.stringMatching(/^erased/) }] });
      expect(await subscriber(email)).toBeUndefined();
    });
  });

  describe('pending imports', () => {
    test('when imported as pending, then each new address gets the confirmation email, whose link confirms it', async () => {
      const email = uniqueEmail('invited');
      const res = await importCsv(`email,name\n${email},Invited\n`, { status: 'pending', newsletters: 'sports' }).expect(200);
      expect(res.body).toMatchObject({ imported: 1, confirmationsRequested: 1 });
      expect((await subscriber(email))?.status).toBe('pending');

      const mail = await waitForMail(app, email, /confirm/i);
      expect((await confirmThroughLink(app, linkIn(mail, '/confirm'))).status).toBe(200);

      expect((await subscriber(email))?.status).toBe('confirmed');
      expect(await subscriptionsOf(app, email)).toEqual(['sports']);
    });

    test('when imported as confirmed, then no email is sent', async () => {
      const email = uniqueEmail('quiet');
      await importCsv(`email\n${email}\n`).expect(200);
      await jobsIdle(app);
      expect(mailsTo(app, email, /./)).toEqual([]);
    });
  });

  describe('requests that are refused (400, naming the field)', () => {
    const fieldsOf = async (res: request.Test) => (await res.expect(400)).body.fields;

    test('when the consent statement is missing or blank, then consent is named', async () => {
      expect(Object.keys(await fieldsOf(importCsv('email\na@example.org\n', { consent: ' ' })))).toEqual(['consent']);
      const res = request(app.url).post('/api/admin/subscribers/import?newsletters=daily&status=confirmed').set(adminAuth).set('Content-Type', 'text/csv').send('email\na@example.org\n');
      expect(await fieldsOf(res)).toHaveProperty('consent');
    });

    test('when a newsletter is unknown or archived, then newsletters is named', async () => {
      expect(await fieldsOf(importCsv('email\na@example.org\n', { newsletters: 'daily,nope' }))).toEqual({ newsletters: 'No active newsletter "nope"' });
      expect(await fieldsOf(importCsv('email\na@example.org\n', { newsletters: 'old-news' }))).toHaveProperty('newsletters');
      expect(await fieldsOf(importCsv('email\na@example.org\n', { newsletters: '' }))).toHaveProperty('newsletters');
    });

    test('when the status is not confirmed or pending, then status is named', async () => {
      expect(await fieldsOf(importCsv('email\na@example.org\n', { status: 'unsubscribed' }))).toEqual({ status: 'Choose confirmed or pending' });
    });

    test('when the file is empty or has only a header, then body is named', async () => {
      expect(await fieldsOf(importCsv(''))).toHaveProperty('body');
      expect(await fieldsOf(importCsv('email,name\n'))).toHaveProperty('body');
    });

    test('when the file has no email column, or a mapped column is missing, then that column is named', async () => {
      expect(Object.keys(await fieldsOf(importCsv('address,name\na@example.org,A\n')))).toEqual(['email']);
      expect(Object.keys(await fieldsOf(importCsv('email,name\na@example.org,A\n', { name: 'Full name' })))).toEqual(['name']);
    });

    test('when the body is not text/csv or not valid CSV, then body is named', async () => {
      const json = request(app.url).post('/api/admin/subscribers/import').query({ newsletters: 'daily', status: 'confirmed', consent: CONSENT }).set(adminAuth).send({ email: 'a@example.org' });
      expect(await fieldsOf(json)).toHaveProperty('body');
      expect(await fieldsOf(importCsv('email,name\n"a@example.org,A\n'))).toHaveProperty('body');
    });

    test('when the file is larger than LIST_IMPORT_MAX_MB (1 here), then 413', async () => {
      const body = Buffer.alloc(1024 * 1024 + 1, '\n');
      body.write(`email\n${uniqueEmail('huge')}\n`);
      const res = await importCsv(body).expect(413);
      expect(res.body.error).toMatch(/larger than 1 MB/);
    });

    test('when no admin token is given, then 401 and nothing is read', async () => {
      await request(app.url).post('/api/admin/subscribers/import').set('Content-Type', 'text/csv').send('email\na@example.org\n').expect(401);
    });
  });

  describe('one transaction', () => {
    test('when a step fails midway, then nothing of the import is left: no subscriber, subscription, consent or statement', async () => {
      const emails = [uniqueEmail('rollback'), uniqueEmail('rollback')];
      const statements = async () => (await queryOne<{ n: number }>(app, 'SELECT count(*)::int AS n FROM consent_statements'))!.n;
      const before = await statements();
      // The last write of a pending import (its confirmation emails) fails, after every other step ran.
      await query(
        app,
        `CREATE FUNCTION fail_import() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'forced failure'; END $$;
         CREATE TRIGGER fail_import BEFORE INSERT ON mail_requests FOR EACH STATEMENT EXECUTE FUNCTION fail_import();`,
      );
      try {
        await importCsv(`email\n${emails.join('\n')}\n`, { status: 'pending' }).expect(500);
      } finally {
        await query(app, 'DROP TRIGGER fail_import ON mail_requests; DROP FUNCTION fail_import();');
      }

      expect(await query(app, 'SELECT id FROM subscribers WHERE email = ANY($1)', [emails])).toEqual([]);
      expect(await statements()).toBe(before);
    });

    test('when a chosen newsletter is archived while the import waits for it, then the import answers 409 and writes nothing', async () => {
      const id = await addNewsletter(app, { slug: 'closing', name: 'Closing' });
      const email = uniqueEmail('late');
      const editor = new pg.Client({ connectionString: app.db.url });
      await editor.connect();
      try {
        // An archive in progress holds the newsletter's row; the import's share lock waits behind it.
        await editor.query('BEGIN');
        await editor.query('SELECT id FROM newsletters WHERE id = $1 FOR UPDATE', [id]);
        const importing = importCsv(`email\n${email}\n`, { newsletters: 'closing' }).then((r) => r);
        await until(async () => (await queryOne<{ n: number }>(app, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FOR SHARE%'`))!.n > 0);
        await editor.query('UPDATE newsletters SET archived_at = now() WHERE id = $1', [id]);
        await editor.query('COMMIT');

        const res = await importing;

        expect(res.status).toBe(409);
        expect(await subscriber(email)).toBeUndefined();
      } finally {
        await editor.end();
      }
    });
  });
});
