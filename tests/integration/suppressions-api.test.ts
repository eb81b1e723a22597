import request from 'supertest';
import { apiTokenOf, firstAdmin, invited } from '../helpers/console-client';
import { DigestFixtures } from '../helpers/digest-fixtures';
import { adminAuth, QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { query } from './subscription-test-kit';

describe('the suppression list through the admin API', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  beforeAll(async () => {
    app = await startTestBulletin(QUIET_SCHEDULES);
    fx = new DigestFixtures(app.db.url);
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
    await app?.stop();
  });

  const api = () => request(app.url);
  const suppressedOf = async (id: number) =>
    (await query<{ suppressed_at: Date | null; suppression_reason: string | null }>(app, 'SELECT suppressed_at, suppression_reason FROM subscribers WHERE id = $1', [id]))[0];

  test('when an admin adds an address with a reason, lists and lifts it, then the edition made meanwhile skips it and the audit log has both by id', async () => {
    const [kept, blocked] = await fx.subscribers(2);
    const added = await api().post('/api/admin/suppressions').set(adminAuth).send({ email: `  ${blocked!.email.toUpperCase()} `, reason: 'Complained by phone' });
    expect([added.status, added.body]).toEqual([201, { id: blocked!.id, suppressed: true }]);
    expect(await suppressedOf(blocked!.id)).toEqual({ suppressed_at: expect.any(Date), suppression_reason: 'Complained by phone' });

    const listed = await api().get('/api/admin/suppressions').set(adminAuth).expect(200);
    expect(listed.body.suppressions).toContainEqual({ id: blocked!.id, email: blocked!.email, suppressedAt: expect.any(String), reason: 'Complained by phone' });
    expect(listed.body.suppressions.map((s: { id: number }) => s.id)).not.toContain(kept!.id);

    // The edition made now: its ledger holds the other reader, not the suppressed one.
    await fx.article({ title: 'Quiet harbour', publishedAt: app.clock.now() });
    app.clock.skip(60_000);
    const sent = await api().post('/api/admin/digests').set(adminAuth).send({ newsletter: 'daily' }).expect(201);
    const recipients = (await query<{ subscriber_id: number }>(app, 'SELECT subscriber_id FROM deliveries WHERE digest_id = $1', [sent.body.digest.id])).map((r) => r.subscriber_id);
    expect(recipients).toContain(kept!.id);
    expect(recipients).not.toContain(blocked!.id);

    await api().delete(`/api/admin/suppressions/${blocked!.id}`).set(adminAuth).expect(200, { id: blocked!.id, suppressed: false });
    expect(await suppressedOf(blocked!.id)).toEqual({ suppressed_at: null, suppression_reason: null });
    const actions = await query<{ action: string; subject_id: number }>(app, `SELECT action, subject_id::int AS subject_id FROM audit_log WHERE action IN ('reader_suppressed', 'reader_unsuppressed') ORDER BY id`);
    expect(actions).toEqual([
      { action: 'reader_suppressed', subject_id: blocked!.id },
      { action: 'reader_unsuppressed', subject_id: blocked!.id },
    ]);
    expect(JSON.stringify(await query(app, 'SELECT details FROM audit_log'))).not.toContain(blocked!.email);
  });

  test('when the list is longer than a page, then "next" walks it without repeats or gaps', async () => {
    const readers = await fx.subscribers(5);
    for (const r of readers) await api().post('/api/admin/suppressions').set(adminAuth).send({ email: r.email, reason: 'Old list' }).expect(201);
    const seen: number[] = [];
    let after: number | null = null;
    do {
      const page: request.Response = await api().get('/api/admin/suppressions').query({ limit: 2, ...(after ? { after } : {}) }).set(adminAuth).expect(200);
      seen.push(...page.body.suppressions.map((s: { id: number }) => s.id));
      after = page.body.next;
    } while (after);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(seen.length);
    for (const r of readers) expect(seen).toContain(r.id);
  });

  test('when the address is nobody\'s, the reason missing or the paging wrong, then a 4xx names it and nothing changes', async () => {
    const [reader] = await fx.subscribers(1);
    const nobody = await api().post('/api/admin/suppressions').set(adminAuth).send({ email: 'nobody@example.test', reason: 'x' });
    expect([nobody.status, nobody.body.error]).toEqual([404, 'No subscriber has this address']);
    const noReason = await api().post('/api/admin/suppressions').set(adminAuth).send({ email: reader!.email });
    expect([noReason.status, Object.keys(noReason.body.fields)]).toEqual([400, ['reason']]);
    const noEmail = await api().post('/api/admin/suppressions').set(adminAuth).send({ reason: 'x' });
    expect([noEmail.status, Object.keys(noEmail.body.fields)]).toEqual([400, ['email']]);
    const badLimit = await api().get('/api/admin/suppressions').query({ limit: 0 }).set(adminAuth);
    expect([badLimit.status, Object.keys(badLimit.body.fields)]).toEqual([400, ['limit']]);
    await api().delete('/api/admin/suppressions/99999999999').set(adminAuth).expect(404);
    expect((await suppressedOf(reader!.id))!.suppressed_at).toBeNull();
  });

  test('when the caller has no token or an editor\'s, then 401 or 403', async () => {
    const [reader] = await fx.subscribers(1);
    await api().get('/api/admin/suppressions').expect(401);
    const admin = await firstAdmin(app, 'chief@news.example');
    const editor = await invited(admin, 'editor@news.example', 'editor');
    const editorToken = await apiTokenOf(editor, 'desk script');
    await api().post('/api/admin/suppressions').set('Authorization', `Bearer ${editorToken}`).send({ email: reader!.email, reason: 'x' }).expect(403);
    expect((await suppressedOf(reader!.id))!.suppressed_at).toBeNull();
  });
});
