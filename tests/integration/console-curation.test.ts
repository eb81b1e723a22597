import type { RunningBulletin } from '../../src/main';
import { CURATION_LOCK_CLASS } from '../../src/digests/curation-queries';
import { latestSlot } from '../../src/digests/slots';
import { ConsoleClient, type Newsroom, openNewsroom } from '../helpers/console-client';
import type { DigestFixtures } from '../helpers/digest-fixtures';
import { startInstanceBeside, type TestBulletin } from '../helpers/test-bulletin';
import { query, queryOne } from './subscription-test-kit';

const versionIn = (html: string) => /name="version" value="(\d+)"/.exec(html)![1]!;
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

/** Where each title stands in a text (-1: absent). */
const positions = (text: string, titles: string[]) => titles.map((t) => text.indexOf(t));

describe('curating the next edition in the console', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  let admin: ConsoleClient;
  let editor: ConsoleClient;
  let newsroom: Newsroom;

  beforeAll(async () => {
    ({ app, fx, admin, editor } = newsroom = await openNewsroom());
  }, 60_000);
  afterAll(() => newsroom?.stop());

  const curationRow = (slug: string) =>
    queryOne(app, 'SELECT c.article_order, c.pinned, c.dropped, c.note, c.version FROM edition_curations c JOIN newsletters n ON n.id = c.newsletter_id WHERE n.slug = $1', [slug]);
  /** Opens the page (for its form token and version), then presses one of its buttons. */
  async function press(client: ConsoleClient, slug: string, action: string, note = '') {
    const page = await client.get(`/admin/newsletters/${slug}/next`);
    return client.post(`/admin/newsletters/${slug}/next`, { version: versionIn(page.text), note, do: action });
  }

  test('when an editor reorders, pins, drops and writes a note, then every reader gets one email in that order, the note first, and the next edition is as composed again', async () => {
    await fx.newsletter({ slug: 'morning', name: 'Morning', maxArticles: 3 });
    const a = await fx.article({ title: 'Alpha ferry timetable', publishedAt: minutesAgo(40) });
    const b = await fx.article({ title: 'Bravo harbour reopens', publishedAt: minutesAgo(30) });
    const c = await fx.article({ title: 'Charlie council vote', publishedAt: minutesAgo(20) });
    await fx.article({ title: 'Delta market day', publishedAt: minutesAgo(10) });

    const list = await editor.get('/admin/newsletters');
    expect(list.text).toContain('href="/admin/newsletters/morning/next"');
    const first = await editor.get('/admin/newsletters/morning/next');
    expect(first.status).toBe(200);
    expect(first.text).toContain('Not curated');
    // As composed, newest first: Alpha is beyond the cut of 3.
    expect(first.text.indexOf('Beyond the cut')).toBeLessThan(first.text.indexOf('Alpha ferry timetable'));

    const up = await press(editor, 'morning', `up:${a.id}`);
    expect(up.status).toBe(303);
    expect(up.headers.location).toBe(`/admin/newsletters/morning/next#article-${a.id}`);
    expect((await editor.get('/admin/newsletters/morning/next')).text).toContain('“Alpha ferry timetable” moved up.');
    expect((await press(editor, 'morning', `pin:${b.id}`)).status).toBe(303);
    expect((await press(editor, 'morning', `drop:${c.id}`)).status).toBe(303);
    const note = 'Good morning <readers> & friends.\n\nThe storm special is below.';
    expect((await press(editor, 'morning', 'save', note)).status).toBe(303);
    const page = await editor.get('/admin/newsletters/morning/next');
    expect(page.text).toContain('Saved by editor@news.example');
    expect(page.text).toContain('&lt;readers&gt; &amp; friends.');
    expect(positions(page.text, ['Bravo harbour', 'Delta market', 'Alpha ferry', 'Dropped', 'Charlie council'])).toEqual(
      [...positions(page.text, ['Bravo harbour', 'Delta market', 'Alpha ferry', 'Dropped', 'Charlie council'])].sort((x, y) => x - y),
    );
    const preview = await editor.get('/admin/newsletters/morning/preview');
    expect(preview.text).toContain('As curated.');
    expect(preview.text).toContain('The storm special is below.');

    // Nobody receives Morning yet: no edition, and the curation waits for the one that goes out.
    const nobody = await editor.post('/admin/newsletters/morning/send');
    expect(nobody.status).toBe(303);
    expect(await curationRow('morning')).toMatchObject({ note: 'Good morning <readers> & friends.\n\nThe storm special is below.' });

    const readers = await fx.subscribers(3, { newsletters: ['morning'] });
    await editor.get('/admin/newsletters');
    const sent = await editor.post('/admin/newsletters/morning/send');
    expect(sent.status).toBe(303);
    const digestId = Number(/\/admin\/editions\/(\d+)/.exec(sent.headers.location!)![1]);
    expect(await fx.waitUntilSettled(digestId)).toEqual({ sent: 3 });
    for (const reader of readers) {
      const mails = app.smtp.to(reader.email);
      expect(mails).toHaveLength(1);
      const text = mails[0]!.parsed.text!;
      const [noteAt, ...articles] = positions(text, ['Good morning <readers> & friends.', 'Bravo harbour', 'Delta market', 'Alpha ferry']);
      expect(noteAt).toBeGreaterThan(0);
      expect(articles.every((p, i) => p > (i ? articles[i - 1]! : noteAt!))).toBe(true);
      expect(text).not.toContain('Charlie council');
      expect(String(mails[0]!.parsed.html)).toContain('Good morning &lt;readers&gt; &amp; friends.');
      expect(mails[0]!.parsed.subject).toMatch(/^Bravo harbour reopens/);
    }
    expect(await curationRow('morning')).toBeUndefined();
    expect(await query(app, "SELECT actor_label, subject_id, details->>'change' AS change FROM audit_log WHERE action = 'edition_curated' ORDER BY id")).toEqual(
      ['up', 'pin', 'drop', 'save'].map((change) => ({ actor_label: 'editor@news.example', subject_id: 'morning', change })),
    );

    // Used up: the next edition goes out as composed, without the note.
    await fx.article({ title: 'Echo evening news', publishedAt: new Date() });
    const next = await editor.post('/admin/newsletters/morning/send');
    const nextId = Number(/\/admin\/editions\/(\d+)/.exec(next.headers.location!)![1]);
    await fx.waitUntilSettled(nextId);
    const second = app.smtp.to(readers[0]!.email)[1]!;
    expect(second.parsed.text).toContain('Echo evening news');
    expect(second.parsed.text).not.toContain("EDITOR'S NOTE");
    expect((await editor.get('/admin/newsletters/morning/next')).text).toContain('Not curated');
  }, 60_000);

  test('when the input is bad or the page stale, then nothing changes and the page says why, keeping the note', async () => {
    await fx.newsletter({ slug: 'evening', name: 'Evening', maxArticles: 1 });
    const x = await fx.article({ title: 'X-ray of the old pier', publishedAt: minutesAgo(5) });
    const y = await fx.article({ title: 'Yankee regatta results', publishedAt: minutesAgo(4) });
    expect((await press(editor, 'evening', 'save', 'First note')).status).toBe(303);
    const before = await curationRow('evening');

    const long = await press(editor, 'evening', 'save', `Too long ${'x'.repeat(500)}`);
    expect(long.status).toBe(400);
    expect(long.text).toMatch(/id="nl-note-error">An editor&#39;s note has at most 500 characters; this one has 509/);
    expect(long.text).toContain(`>Too long ${'x'.repeat(500)}</textarea>`);
    const unknown = await press(editor, 'evening', 'up:999999', 'Kept note');
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('Article 999999 is not in the next edition');
    expect(unknown.text).toContain('>Kept note</textarea>');
    expect((await press(editor, 'evening', 'shuffle:1')).status).toBe(400);
    // One pinned is all an edition of one article holds.
    expect((await press(editor, 'evening', `pin:${x.id}`)).status).toBe(303);
    const pinTooMany = await press(editor, 'evening', `pin:${y.id}`);
    expect(pinTooMany.status).toBe(400);
    expect(pinTooMany.text).toContain('At most 1 articles can be pinned');
    const pinned = await curationRow('evening');
    expect(pinned).toMatchObject({ pinned: [x.id], note: '' });
    expect(pinned!.version).not.toBe(before!.version);

    // A colleague's page, opened before the last change: refused, with their note kept.
    const stale = await admin.post('/admin/newsletters/evening/next', { version: String(before!.version), note: 'Colleague note', do: 'save' });
    expect(stale.status).toBe(409);
    expect(stale.text).toContain('changed while you had the page open (editor@news.example changed it)');
    expect(stale.text).toContain('>Colleague note</textarea>');
    expect(await curationRow('evening')).toEqual(pinned);

    // Reset: the edition is as composed again; a second reset of the same page is stale.
    const page = await admin.get('/admin/newsletters/evening/next');
    expect((await admin.post('/admin/newsletters/evening/next/reset', { version: versionIn(page.text) })).status).toBe(303);
    expect(await curationRow('evening')).toBeUndefined();
    expect((await admin.post('/admin/newsletters/evening/next/reset', { version: versionIn(page.text) })).status).toBe(409);

    expect((await editor.get('/admin/newsletters/nosuch/next')).status).toBe(404);
    await fx.newsletter({ slug: 'flash', kind: 'alert' });
    expect((await editor.get('/admin/newsletters/flash/next')).status).toBe(409);
  });

  test('when a composition starts while a curation is being saved, then it waits and sends the curated edition', async () => {
    const id = await fx.newsletter({ slug: 'noon', name: 'Noon' });
    const kept = await fx.article({ title: 'Kept story at noon', publishedAt: minutesAgo(3) });
    const cut = await fx.article({ title: 'Cut story at noon', publishedAt: minutesAgo(2) });
    const [reader] = await fx.subscribers(1, { newsletters: ['noon'] });
    await editor.get('/admin/newsletters');
    // A save in progress holds the newsletter's next-edition lock until it commits.
    const saving = await fx.pool.connect();
    try {
      await saving.query('BEGIN');
      await saving.query('SELECT pg_advisory_xact_lock($1, $2)', [CURATION_LOCK_CLASS, id]);
      const sending = editor.post('/admin/newsletters/noon/send').then((res) => res);
      await new Promise((r) => setTimeout(r, 500));
      await saving.query(
        `INSERT INTO edition_curations (newsletter_id, article_order, pinned, dropped, note, updated_at) VALUES ($1, $2, '{}', $3, 'Saved just in time', now())`,
        [id, [kept.id, cut.id], [cut.id]],
      );
      await saving.query('COMMIT');
      expect((await sending).status).toBe(303);
    } finally {
      saving.release();
    }
    const mail = await app.smtp.waitFor((m) => m.to.includes(reader!.email));
    expect(mail.parsed.text).toContain('Saved just in time');
    expect(mail.parsed.text).not.toContain('Cut story at noon');
    expect(await curationRow('noon')).toBeUndefined();
  });

  test('when two instances compose a curated slot at once, then one curated edition goes out, once to each reader', async () => {
    const hourly = '0 * * * *';
    const slot = latestSlot(hourly, 'UTC', new Date());
    const id = await fx.newsletter({ slug: 'hourly', name: 'Hourly', cron: hourly, categories: ['Night'] });
    const early = await fx.article({ title: 'Early hourly story', categories: ['Night'], publishedAt: new Date(slot.getTime() - 20 * 60_000) });
    const late = await fx.article({ title: 'Late hourly story', categories: ['Night'], publishedAt: new Date(slot.getTime() - 10 * 60_000) });
    const dropped = await fx.article({ title: 'Dropped hourly story', categories: ['Night'], publishedAt: new Date(slot.getTime() - 5 * 60_000) });
    await fx.pool.query(
      `INSERT INTO edition_curations (newsletter_id, article_order, pinned, dropped, note, updated_at) VALUES ($1, $2, $3, $4, 'From the night desk', now())`,
      [id, [early.id, late.id, dropped.id], [early.id], [dropped.id]],
    );
    const readers = await fx.subscribers(2, { newsletters: ['hourly'] });
    let instances: RunningBulletin[] = [];
    try {
      instances = await Promise.all([startInstanceBeside(app), startInstanceBeside(app)]);
      const editions = await query<{ id: number; article_ids: number[] }>(app, 'SELECT id, article_ids FROM digests WHERE newsletter_id = $1', [id]);
      expect(editions).toEqual([{ id: expect.any(Number), article_ids: [early.id, late.id] }]);
      await fx.waitUntilSettled(editions[0]!.id);
    } finally {
      await Promise.all(instances.map((i) => i.stop()));
    }
    for (const reader of readers) {
      const mails = app.smtp.to(reader.email);
      expect(mails).toHaveLength(1);
      expect(mails[0]!.parsed.text).toContain('From the night desk');
    }
    expect(await curationRow('hourly')).toBeUndefined();
  }, 60_000);
});
