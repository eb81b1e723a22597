import { ConsoleClient, type Newsroom, openNewsroom } from '../helpers/console-client';
import type { DigestFixtures } from '../helpers/digest-fixtures';
import type { TestBulletin } from '../helpers/test-bulletin';
import { query } from './subscription-test-kit';

/** The subscriber ids listed on a Subscribers page, in order. */
const idsIn = (html: string) => [...html.matchAll(/<a href="\/admin\/subscribers\/(\d+)">/g)].map((m) => Number(m[1]));
const addressesIn = (html: string) => [...html.matchAll(/<a href="\/admin\/subscribers\/\d+">([^<]*)<\/a>/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
const nextIn = (html: string) => /<a href="(\/admin\/subscribers\?[^"]*after=\d+[^"]*)">Next page<\/a>/.exec(html)?.[1]?.replaceAll('&amp;', '&');

describe('the console: subscribers', () => {
  let app: TestBulletin;
  let admin: ConsoleClient;
  let editor: ConsoleClient;
  let fx: DigestFixtures;

  let newsroom: Newsroom;

  beforeAll(async () => {
    ({ app, fx, admin, editor } = newsroom = await openNewsroom({ editor: 'desk@news.example' }));
  }, 60_000);
  afterAll(() => newsroom?.stop());

  const idOf = async (email: string) => (await query<{ id: number }>(app, 'SELECT id FROM subscribers WHERE email = $1', [email]))[0]!.id;
  /** Readers whose addresses hold LIKE's wildcards, in every state; anna and ann_smith also get weekly. */
  const seedAnns = async () => {
    await query(
      app,
      `INSERT INTO subscribers (email, name, status, confirmed_at, unsubscribed_at, suppressed_at, created_at, updated_at) VALUES
         ('ann_smith@example.test', 'Ann Smith', 'confirmed', now(), NULL, NULL, now(), now()),
         ('annxsmith@example.test', NULL, 'confirmed', now(), NULL, NULL, now(), now()),
         ('ann%off@example.test', NULL, 'pending', NULL, NULL, NULL, now(), now()),
         ('anna@example.test', 'Anna', 'unsubscribed', now(), now(), NULL, now(), now()),
         ('annie@example.test', NULL, 'confirmed', now(), NULL, now(), now(), now()),
         ('bob@example.test', 'Bob', 'confirmed', now(), NULL, NULL, now(), now())`,
    );
    await query(
      app,
      `INSERT INTO subscriptions (subscriber_id, newsletter_id)
       SELECT s.id, n.id FROM subscribers s, newsletters n WHERE s.email IN ('anna@example.test', 'ann_smith@example.test') AND n.slug = 'weekly'`,
    );
  };

  test('when there is nobody yet, then the page says how readers arrive; an editor sees no Subscribers and gets 403', async () => {
    const page = await admin.get('/admin/subscribers');
    expect(page.status).toBe(200);
    expect(page.text).toContain('No subscribers yet');
    expect(page.text).toContain('href="/admin/subscribers" aria-current="page"');
    const editorHome = await editor.get('/admin');
    expect(editorHome.text).not.toContain('href="/admin/subscribers"');
    await seedAnns();
    const id = await idOf('bob@example.test');
    for (const path of ['/admin/subscribers', `/admin/subscribers/${id}`, `/admin/subscribers/${id}/erase`, `/admin/subscribers/${id}/data`]) {
      expect({ path, status: (await editor.get(path)).status }).toEqual({ path, status: 403 });
    }
    for (const path of [`/admin/subscribers/${id}/suppress`, `/admin/subscribers/${id}/erase`]) {
      expect({ path, status: (await editor.post(path, { reason: 'editor tried', understood: 'yes' })).status }).toEqual({ path, status: 403 });
    }
    expect(await query(app, 'SELECT suppressed_at FROM subscribers WHERE id = $1', [id])).toEqual([{ suppressed_at: null }]);
  });

  test('when searching by the start of an address, then any case matches, % and _ mean themselves, in address order', async () => {
    const all = await admin.get('/admin/subscribers?q=ANN');
    expect(addressesIn(all.text)).toEqual(['ann%off@example.test', 'ann_smith@example.test', 'anna@example.test', 'annie@example.test', 'annxsmith@example.test']);
    expect(addressesIn((await admin.get('/admin/subscribers?q=ann_')).text)).toEqual(['ann_smith@example.test']);
    expect(addressesIn((await admin.get(`/admin/subscribers?q=${encodeURIComponent('ann%')}`)).text)).toEqual(['ann%off@example.test']);
    const none = await admin.get('/admin/subscribers?q=zed');
    expect(idsIn(none.text)).toEqual([]);
    expect(none.text).toContain('No subscriber starts with “zed”');
    expect(none.text).toContain('value="zed"');
  });

  test('when filtering by state and newsletter, then only those readers are listed; confirmed means receiving', async () => {
    const list = async (qs: string) => addressesIn((await admin.get(`/admin/subscribers?${qs}`)).text);
    expect(await list('q=ann&state=confirmed')).toEqual(['ann_smith@example.test', 'annxsmith@example.test']);
    expect(await list('q=ann&state=suppressed')).toEqual(['annie@example.test']);
    expect(await list('state=pending')).toEqual(['ann%off@example.test']);
    expect(await list('state=unsubscribed')).toEqual(['anna@example.test']);
    expect(await list('newsletter=weekly')).toEqual(['anna@example.test', 'ann_smith@example.test']);
    expect(await list('newsletter=weekly&state=unsubscribed')).toEqual(['anna@example.test']);
    expect(await list('q=ann_&newsletter=weekly')).toEqual(['ann_smith@example.test']);
    const none = await admin.get('/admin/subscribers?state=pending&newsletter=weekly');
    expect(none.text).toContain('No subscriber matches these filters');
  });

  test('when a filter is not one of ours, then it answers 400 naming the field, keeps what was typed, and lists nobody', async () => {
    const state = await admin.get('/admin/subscribers?q=ann&state=gone');
    expect(state.status).toBe(400);
    expect(state.text).toContain('Choose pending, confirmed, unsubscribed or suppressed');
    expect(state.text).toContain('aria-invalid="true" aria-describedby="filter-state-error"');
    expect(state.text).toContain('value="ann"');
    expect(state.text).toContain('<option value="gone" selected>gone</option>');
    expect(idsIn(state.text)).toEqual([]);
    const newsletter = await admin.get('/admin/subscribers?newsletter=sprots&state=pending');
    expect(newsletter.status).toBe(400);
    expect(newsletter.text).toContain('No newsletter &quot;sprots&quot;: choose one from the list');
    expect(newsletter.text).toContain('<option value="pending" selected>');
    const after = await admin.get('/admin/subscribers?after=x1');
    expect(after.status).toBe(400);
    expect(after.text).toContain('This page link is damaged');
  });

  test('when there are more than a page, then pages of 50 follow each other by cursor, without repeats or gaps, newest first or by address', async () => {
    await fx.subscribers(120, { prefix: 'page-' });
    const walk = async (start: string) => {
      const seen: number[] = [];
      let path: string | undefined = start;
      const sizes: number[] = [];
      while (path) {
        const page = await admin.get(path);
        expect(page.status).toBe(200);
        sizes.push(idsIn(page.text).length);
        seen.push(...idsIn(page.text));
        path = nextIn(page.text);
      }
      return { seen, sizes };
    };
    const newest = await walk('/admin/subscribers');
    const everyone = await query<{ id: number }>(app, 'SELECT id FROM subscribers ORDER BY id DESC');
    expect(newest.seen).toEqual(everyone.map((r) => r.id));
    expect(newest.sizes).toEqual([50, 50, 26]);
    const byAddress = await walk('/admin/subscribers?q=page-');
    const pages = await query<{ id: number }>(app, `SELECT id FROM subscribers WHERE email LIKE 'page-%' ORDER BY email COLLATE "C"`);
    expect(byAddress.seen).toEqual(pages.map((r) => r.id));
    expect(byAddress.sizes).toEqual([50, 50, 20]);
    // Past the end: an empty page that leads back.
    const last = everyone.at(-1)!.id;
    const beyond = await admin.get(`/admin/subscribers?after=${last}`);
    expect(beyond.text).toContain('No more subscribers');
    expect(beyond.text).toContain('href="/admin/subscribers">First page</a>');
  });

  test('when a subscriber\'s page is opened, then it shows their state, newsletters (left ones too), consent history and deliveries', async () => {
    const id = await idOf('ann_smith@example.test');
    await query(
      app,
      `INSERT INTO consents (subscriber_id, event, ip, source, newsletter_id, created_at)
       SELECT $1::int, 'signup'::"ConsentEvent", '203.0.113.7', 'form', NULL, now() - interval '2 days'
       UNION ALL SELECT $1::int, 'unsubscribe', NULL, 'link', n.id, now() - interval '1 day' FROM newsletters n WHERE n.slug = 'daily'`,
      [id],
    );
    const page = await admin.get(`/admin/subscribers/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('ann_smith@example.test');
    expect(page.text).toContain('Ann Smith');
    expect(page.text).toMatch(/<td>Weekly<\/td><td data-label="Subscription">active since \d{4}-/);
    expect(page.text).toMatch(/<td>Daily<\/td><td data-label="Subscription"><span class="muted">left \d{4}-/);
    expect(page.text).toContain('203.0.113.7');
    expect(page.text).toContain('Signed up');
    expect(page.text).toContain('No edition has been sent to this reader yet');
    for (const bad of ['/admin/subscribers/abc', '/admin/subscribers/0', '/admin/subscribers/99999999', '/admin/subscribers/99999999/erase', '/admin/subscribers/99999999/data']) {
      expect({ bad, status: (await admin.get(bad)).status }).toEqual({ bad, status: 404 });
    }
    expect((await admin.post('/admin/subscribers/99999999/suppress', { reason: 'x' })).status).toBe(404);
    expect((await admin.post('/admin/subscribers/99999999/unsuppress')).status).toBe(404);
    expect((await admin.post('/admin/subscribers/99999999/erase', { understood: 'yes' })).status).toBe(404);
  });

  test('when a reader is suppressed, then the next edition leaves them out; unsuppressed, the one after includes them; each is audited without the address', async () => {
    await fx.newsletter({ slug: 'ledger', name: 'Ledger' });
    const [kept, suppressed] = await fx.subscribers(2, { newsletters: ['ledger'], prefix: 'ledger-' });
    const path = `/admin/subscribers/${suppressed!.id}`;
    await admin.get(path);

    const noReason = await admin.post(`${path}/suppress`, { reason: '   ' });
    expect(noReason.status).toBe(400);
    expect(noReason.text).toContain('Say why');
    const stale = await admin.post(`${path}/suppress`, { reason: 'Complained by phone', _csrf: editor.csrf });
    expect(stale.status).toBe(403);
    expect(await query(app, 'SELECT suppressed_at FROM subscribers WHERE id = $1', [suppressed!.id])).toEqual([{ suppressed_at: null }]);

    const done = await admin.post(`${path}/suppress`, { reason: 'Complained by phone' });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(path);
    const page = await admin.get(path);
    expect(page.text).toContain('Suppressed: no edition or alert goes to this address');
    expect(page.text).toMatch(/since \d{4}-\d\d-\d\d \d\d:\d\d UTC: Complained by phone/);

    const edition = async (title: string) => {
      app.clock.skip(1000);
      await fx.article({ title, publishedAt: app.clock.now() });
      await admin.get('/admin/newsletters');
      const sent = await admin.post('/admin/newsletters/ledger/send');
      expect(sent.status).toBe(303);
      const digestId = Number(/^\/admin\/editions\/(\d+)$/.exec(String(sent.headers.location))![1]);
      await fx.waitUntilSettled(digestId);
      return (await query<{ subscriber_id: number }>(app, 'SELECT subscriber_id FROM deliveries WHERE digest_id = $1 ORDER BY subscriber_id', [digestId])).map((r) => r.subscriber_id);
    };
    expect(await edition('Harbour reopens')).toEqual([kept!.id]);

    await admin.get(path);
    const stale2 = await admin.post(`${path}/unsuppress`, { _csrf: 'x'.repeat(43) });
    expect(stale2.status).toBe(403);
    expect((await admin.post(`${path}/unsuppress`)).status).toBe(303);
    expect(await query(app, 'SELECT suppressed_at, suppression_reason, hard_bounces FROM subscribers WHERE id = $1', [suppressed!.id])).toEqual([
      { suppressed_at: null, suppression_reason: null, hard_bounces: 0 },
    ]);
    expect(await edition('Council votes')).toEqual([kept!.id, suppressed!.id]);

    const audit = await query(app, "SELECT actor_label, action, subject_type, subject_id, details FROM audit_log WHERE action IN ('reader_suppressed', 'reader_unsuppressed') ORDER BY id");
    expect(audit).toEqual([
      { actor_label: 'chief@news.example', action: 'reader_suppressed', subject_type: 'subscriber', subject_id: String(suppressed!.id), details: null },
      { actor_label: 'chief@news.example', action: 'reader_unsuppressed', subject_type: 'subscriber', subject_id: String(suppressed!.id), details: null },
    ]);
  });

  test('when an admin downloads a reader\'s data, then it is their JSON, as the API gives it, and the audit log says so', async () => {
    const id = await idOf('anna@example.test');
    const res = await admin.agent.get(`/admin/subscribers/${id}/data`);
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toMatch(new RegExp(`^attachment; filename="?subscriber-${id}\\.json"?$`));
    expect(res.body.subscriber).toMatchObject({ id, email: 'anna@example.test', status: 'unsubscribed', suppressionReason: null });
    expect(res.body.subscriptions).toEqual([{ newsletter: 'weekly', createdAt: expect.any(String) }]);
    const audit = await query(app, "SELECT action, subject_id, details FROM audit_log WHERE action = 'reader_data_exported'");
    expect(audit).toEqual([{ action: 'reader_data_exported', subject_id: String(id), details: null }]);
  });

  test('when an admin erases a reader, then the box must be ticked first; then their personal data goes, the deliveries stay anonymous, and it is audited', async () => {
    const [reader] = await fx.subscribers(1, { newsletters: ['ledger'], prefix: 'erase-me-' });
    await query(app, `INSERT INTO consents (subscriber_id, event, ip, source, created_at) VALUES ($1, 'signup', '198.51.100.4', 'form', now())`, [reader!.id]);
    app.clock.skip(1000);
    await fx.article({ title: 'Ferry timetable', publishedAt: app.clock.now() });
    await admin.get('/admin/newsletters');
    const sent = await admin.post('/admin/newsletters/ledger/send');
    const digestId = Number(/(\d+)$/.exec(String(sent.headers.location))![1]);
    await fx.waitUntilSettled(digestId);

    const confirm = await admin.get(`/admin/subscribers/${reader!.id}/erase`);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain(reader!.email);
    const unticked = await admin.post(`/admin/subscribers/${reader!.id}/erase`);
    expect(unticked.status).toBe(400);
    expect(unticked.text).toContain('Tick the box');
    const stale = await admin.post(`/admin/subscribers/${reader!.id}/erase`, { understood: 'yes', _csrf: editor.csrf });
    expect(stale.status).toBe(403);
    expect(await query(app, 'SELECT id FROM subscribers WHERE id = $1', [reader!.id])).toHaveLength(1);

    const erased = await admin.post(`/admin/subscribers/${reader!.id}/erase`, { understood: 'yes' });
    expect(erased.status).toBe(303);
    expect(erased.headers.location).toBe('/admin/subscribers');
    const list = await admin.get('/admin/subscribers');
    expect(list.text).toContain(`Subscriber #${reader!.id} is erased. Their 1 delivery stays in the editions&#39; counts`);
    expect(list.text).not.toContain(reader!.email);
    expect(await query(app, 'SELECT id FROM subscribers WHERE email = $1', [reader!.email])).toEqual([]);
    expect(await query(app, 'SELECT id FROM consents WHERE subscriber_id = $1', [reader!.id])).toEqual([]);
    expect(await query(app, 'SELECT subscriber_id, status FROM deliveries WHERE digest_id = $1 AND abs(subscriber_id) = $2', [digestId, reader!.id])).toEqual([{ subscriber_id: -reader!.id, status: 'sent' }]);
    expect(await query(app, 'SELECT count(*)::int AS n FROM erased_addresses')).toEqual([{ n: 1 }]);
    const audit = await query(app, "SELECT actor_label, subject_id, details FROM audit_log WHERE action = 'reader_erased'");
    expect(audit).toEqual([{ actor_label: 'chief@news.example', subject_id: String(reader!.id), details: { deliveriesKept: 1 } }]);
    const everything = await query<{ row: string }>(app, 'SELECT row_to_json(a)::text AS row FROM audit_log a');
    expect(everything.map((r) => r.row).join('\n')).not.toContain('erase-me-');
    expect((await admin.get(`/admin/subscribers/${reader!.id}`)).status).toBe(404);
  });
});
