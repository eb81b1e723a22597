import { ConsoleClient, type Newsroom, openNewsroom } from '../helpers/console-client';
import type { DigestFixtures } from '../helpers/digest-fixtures';
import { addEditions } from '../helpers/newsletter-fixtures';
import type { TestBulletin } from '../helpers/test-bulletin';
import { query } from './subscription-test-kit';

/** The edition ids linked from a list page, in its order. */
const editionIds = (html: string) => [...html.matchAll(/<a href="\/admin\/editions\/(\d+)">/g)].map((m) => Number(m[1]));
/** The count an edition page shows for one state. */
const shownCount = (html: string, state: string) => Number(new RegExp(`<dd data-count="${state}">(\\d+)</dd>`).exec(html)?.[1]);

describe('the console\'s editions', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  let admin: ConsoleClient;
  let editor: ConsoleClient;
  let newsroom: Newsroom;

  beforeAll(async () => {
    ({ app, fx, admin, editor } = newsroom = await openNewsroom());
  }, 60_000);
  afterAll(() => newsroom?.stop());
  afterEach(() => {
    app.smtp.reject = () => undefined;
  });

  /** "Send now" on the Newsletters page, as a signed-in client; returns the answer. */
  const sendNow = async (client: ConsoleClient, slug: string) => {
    await client.get('/admin/newsletters');
    return client.post(`/admin/newsletters/${slug}/send`);
  };

  test('when a delivery was refused and the editor retries failed, then the reader gets exactly one copy and the audit log says who', async () => {
    const [ok, refused] = await fx.subscribers(2);
    app.smtp.reject = (to) => (to === refused!.email ? 550 : undefined);
    await fx.article({ title: 'Harbour reopens' });
    const sent = await sendNow(editor, 'daily');
    expect(sent.status).toBe(303);
    const id = Number(/^\/admin\/editions\/(\d+)$/.exec(String(sent.headers.location))![1]);
    expect(await fx.waitUntilSettled(id)).toEqual({ sent: 1, failed: 1 });
    // The fan-out's size is kept on the edition: its progress takes sent as the rest of it.
    expect(await query(app, 'SELECT recipients FROM digests WHERE id = $1', [id])).toEqual([{ recipients: 2 }]);

    const page = await editor.get(`/admin/editions/${id}`);
    expect(page.text).toContain('is on its way to 2 readers');
    expect([shownCount(page.text, 'sent'), shownCount(page.text, 'failed'), shownCount(page.text, 'pending')]).toEqual([1, 1, 0]);
    expect(page.text).toMatch(/href="\/digests\/[\w-]{16,32}">Web version/);
    expect(page.text).toContain('<script src="/assets/console-edition.js" defer>');
    const json = await editor.agent.get(`/admin/editions/${id}/counts`).set('Accept', 'application/json');
    expect(json.body).toMatchObject({ status: 'done', counts: { sent: 1, failed: 1, pending: 0, sending: 0, skipped: 0, total: 2 } });

    // A stale form token changes nothing.
    const stale = await editor.post(`/admin/editions/${id}/retry`, { _csrf: 'x'.repeat(43) });
    expect(stale.status).toBe(403);
    expect(await fx.deliveryCounts(id)).toEqual({ sent: 1, failed: 1 });

    app.smtp.reject = () => undefined;
    const retry = await editor.post(`/admin/editions/${id}/retry`);
    expect(retry.status).toBe(303);
    expect(retry.headers.location).toBe(`/admin/editions/${id}`);
    await app.smtp.waitFor((m) => m.to.includes(refused!.email));
    expect(await fx.waitUntilSettled(id)).toEqual({ sent: 2 });
    expect(app.smtp.to(refused!.email)).toHaveLength(1);
    expect(app.smtp.to(ok!.email)).toHaveLength(1);
    expect((await editor.get(`/admin/editions/${id}`)).text).toContain('1 failed delivery is back in the queue');
    const audit = await query(app, "SELECT actor_label, action, subject_id, details FROM audit_log WHERE action IN ('edition_sent', 'edition_retried') ORDER BY id");
    expect(audit).toEqual([
      { actor_label: 'editor@news.example', action: 'edition_sent', subject_id: String(id), details: { newsletter: 'daily', recipients: 2, articles: 1 } },
      { actor_label: 'editor@news.example', action: 'edition_retried', subject_id: String(id), details: { requeued: 1 } },
    ]);
    // Nothing failed any more: retrying again puts nothing back, and says so.
    const again = await editor.post(`/admin/editions/${id}/retry`);
    expect(again.status).toBe(303);
    expect((await editor.get(`/admin/editions/${id}`)).text).toContain('No failed deliveries to retry');
  });

  test('when "send now" is clicked twice, then one edition is made; the second click says there is nothing new', async () => {
    await fx.subscribers(1);
    // Published after the edition of the test before, whose window ended when it was sent (maybe
    // less than a second ago): now, which is still inside the window this send closes.
    await fx.article({ title: 'Council votes', publishedAt: new Date() });
    const before = (await query(app, 'SELECT id FROM digests')).length;
    const first = await sendNow(admin, 'daily');
    const second = await admin.post('/admin/newsletters/daily/send');
    expect(first.status).toBe(303);
    expect(second.status).toBe(303);
    expect(second.headers.location).toBe('/admin/newsletters');
    expect((await admin.get('/admin/newsletters')).text).toContain('No articles since the previous edition: nothing was sent');
    expect(await query(app, 'SELECT id FROM digests')).toHaveLength(before + 1);
  });

  test('when there are more editions than a page, then the list pages by cursor, newest first, and filters by newsletter', async () => {
    await fx.newsletter({ slug: 'sports', name: 'Sports' });
    const editions = Array.from({ length: 30 }, (_, i) => ({
      subject: `Sports ${String(i).padStart(2, '0')}`,
      editionAt: new Date(Date.UTC(2026, 0, 1, i)).toISOString(),
      publicId: `sportsedition${String(i).padStart(4, '0')}`,
    }));
    await addEditions(app.db.url, 'sports', editions);
    const sportsIds = (await query<{ id: number }>(app, "SELECT g.id FROM digests g JOIN newsletters n ON n.id = g.newsletter_id WHERE n.slug = 'sports' ORDER BY edition_at DESC, g.id DESC")).map((r) => r.id);

    const first = await admin.get('/admin/editions?newsletter=sports');
    expect(first.status).toBe(200);
    expect(editionIds(first.text)).toEqual(sportsIds.slice(0, 25));
    const older = /href="(\/admin\/editions\?newsletter=sports&amp;after=[^"]+)">Older editions/.exec(first.text)![1]!.replace(/&amp;/g, '&');
    const second = await admin.get(older);
    expect(editionIds(second.text)).toEqual(sportsIds.slice(25));
    expect(second.text).not.toContain('Older editions');
    expect(second.text).toContain('Newest</a>');

    // All newsletters: the daily editions of the tests above are the newest (sent now), then sports.
    const all = await admin.get('/admin/editions');
    const newest = (await query<{ id: number }>(app, 'SELECT id FROM digests ORDER BY edition_at DESC, id DESC LIMIT 25')).map((r) => r.id);
    expect(editionIds(all.text)).toEqual(newest);
    expect(newest.slice(-23)).toEqual(sportsIds.slice(0, 23));
    // Progress in the list: the daily edition of the retry test is fully sent.
    expect(all.text).toMatch(/<span class="status status-done">done<\/span><\/td>\s*<td class="num" data-label="Sent">2<\/td>/);
  });

  test('when the filter or the page link is not valid, then it answers 400 naming it', async () => {
    const unknown = await admin.get('/admin/editions?newsletter=nope');
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('No newsletter &quot;nope&quot;');
    expect(unknown.text).toContain('aria-invalid="true"');
    const damaged = await admin.get('/admin/editions?after=yesterday');
    expect(damaged.status).toBe(400);
    expect(damaged.text).toContain('This page link is damaged');
  });

  test('when an edition does not exist, then its page and counts answer 404', async () => {
    expect((await admin.get('/admin/editions/999999')).status).toBe(404);
    expect((await admin.get('/admin/editions/abc')).status).toBe(404);
    expect((await admin.agent.get('/admin/editions/99999999999/counts')).status).toBe(404);
  });
});
