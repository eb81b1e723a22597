import request from 'supertest';
import { adminAuth, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import {
  addNewsletter, confirmThroughLink, jobsIdle, linkIn, mailsTo, query, queryOne, subscriptionsOf, uniqueEmail, waitForMail,
} from './subscription-test-kit';

/** Signup by topic: the form lists the offered newsletters, a signup names one or more of them. */
describe('signing up to newsletters', () => {
  let app: TestBulletin;
  const ids: Record<string, number> = {};
  beforeAll(async () => {
    app = await startTestBulletin({ RATE_LIMIT_PER_IP: '10000', RATE_LIMIT_PER_ADDRESS: '100' });
    for (const row of await query<{ id: number; slug: string }>(app, 'SELECT id, slug FROM newsletters')) ids[row.slug] = row.id;
    ids.sports = await addNewsletter(app, { slug: 'sports', name: 'Scores & <Goals>', description: 'Results <b>first</b>', cron: '30 18 * * 5', position: 3 });
    ids.breaking = await addNewsletter(app, { slug: 'breaking', name: 'Breaking', kind: 'alert', position: 4 });
    ids.club = await addNewsletter(app, { slug: 'club', name: 'Club news', offered: false, position: 5 });
    ids.old = await addNewsletter(app, { slug: 'old', name: 'Old letter', archived: true, position: 6 });
  });
  afterAll(async () => {
    await app.stop();
  });

  const form = (fields: Record<string, string | string[]>) =>
    request(app.url).post('/subscribe').type('form').set('Accept', 'text/html').send(fields);
  const json = (body: object) => request(app.url).post('/subscribe').set('Accept', 'application/json').send(body);
  const consentsOf = (email: string) =>
    query<{ event: string; newsletter_id: number | null }>(
      app,
      'SELECT c.event, c.newsletter_id FROM consents c JOIN subscribers s ON s.id = c.subscriber_id WHERE s.email = $1 ORDER BY c.id',
      [email],
    );

  test('when / is opened, then the offered newsletters are listed in order with how often they come, and nothing else', async () => {
    const page = await request(app.url).get('/').expect(200);
    const listed = [...page.text.matchAll(/name="newsletters" value="([^"]+)"/g)].map((m) => m[1]);
    expect(listed).toEqual(['daily', 'weekly', 'sports', 'breaking']);
    expect(page.text).toContain('Every Friday at 18:30');
    expect(page.text).toContain('Breaking news, as it happens');
    // Names and descriptions come from the operator: escaped.
    expect(page.text).toContain('Scores &amp; &lt;Goals&gt;');
    expect(page.text).toContain('Results &lt;b&gt;first&lt;/b&gt;');
    expect(page.text).not.toContain('<b>first</b>');
  });

  test('when two newsletters are ticked, then one confirmation email names both and confirming covers both', async () => {
    const email = uniqueEmail();
    await form({ email, newsletters: ['sports', 'daily'] }).expect(200);
    expect(await subscriptionsOf(app, email)).toEqual(['daily', 'sports']);
    expect(await consentsOf(email)).toEqual([
      { event: 'signup', newsletter_id: ids.daily },
      { event: 'signup', newsletter_id: ids.sports },
    ].sort((a, b) => a.newsletter_id! - b.newsletter_id!));
    const confirm = await waitForMail(app, email, /confirm/i);
    expect(confirm.parsed.text).toContain('Daily and Scores & <Goals>');
    expect(confirm.parsed.html).toContain('Daily and Scores &amp; &lt;Goals&gt;');
    expect(confirm.parsed.html).not.toContain('<Goals>');

    expect((await confirmThroughLink(app, linkIn(confirm, '/confirm'))).status).toBe(200);
    const welcome = await waitForMail(app, email, /welcome/i);
    expect(welcome.parsed.text).toMatch(/- Daily \(Every day at 07:00\)\n- Scores & <Goals> \(Every Friday at 18:30\)/);
    expect(welcome.parsed.html).toContain('Scores &amp; &lt;Goals&gt;');
    const confirmations = (await consentsOf(email)).filter((c) => c.event === 'confirmation').map((c) => c.newsletter_id);
    expect(confirmations.sort()).toEqual([ids.daily, ids.sports].sort());
    await jobsIdle(app);
    expect(mailsTo(app, email, /confirm/i)).toHaveLength(1);
  });

  test('when nothing is ticked, then the form comes back with 400, the message at the newsletters and the values kept', async () => {
    const email = uniqueEmail();
    // The form sends an empty value beside its checkboxes: a choice, of nothing.
    const res = await form({ email, name: 'Ada', newsletters: '' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/<p class="field-error" id="newsletters-error">Choose at least one newsletter<\/p>/);
    expect(res.text).toContain(`value="${email}"`);
    expect(res.text).toContain('value="Ada"');
    expect(await query(app, 'SELECT id FROM subscribers WHERE email = $1', [email])).toEqual([]);
  });

  test('when an unknown or archived newsletter is asked for, then 400 names each and the valid ticks are kept', async () => {
    const email = uniqueEmail();
    const res = await form({ email, newsletters: ['weekly', 'nope', 'old'] });
    expect(res.status).toBe(400);
    expect(res.text).toContain('There are no newsletters &quot;nope&quot;, &quot;old&quot; (unknown or archived)');
    expect(res.text).toMatch(/value="weekly" checked/);
    expect(res.text).not.toMatch(/value="daily" checked/);
    const api = await json({ email, newsletters: ['sports', 'old'] });
    expect(api.status).toBe(400);
    expect(api.body).toEqual({ error: 'Some fields are not valid', fields: { newsletters: 'There is no newsletter "old" (unknown or archived)' } });
    expect(await query(app, 'SELECT id FROM subscribers WHERE email = $1', [email])).toEqual([]);
  });

  test('when JSON names newsletters, or only the legacy frequency, then those are subscribed; an empty choice is a 400 naming the field', async () => {
    const a = uniqueEmail();
    await json({ email: a, newsletters: ['breaking', 'weekly'] }).expect(202);
    expect(await subscriptionsOf(app, a)).toEqual(['breaking', 'weekly']);
    const b = uniqueEmail();
    await json({ email: b, frequency: 'weekly' }).expect(202);
    expect(await subscriptionsOf(app, b)).toEqual(['weekly']);

    const c = uniqueEmail();
    const empty = await json({ email: c, newsletters: [] });
    expect(empty.body.fields).toEqual({ newsletters: 'Choose at least one newsletter' });
    const hourly = await json({ email: c, frequency: 'hourly' });
    expect(hourly.body.fields).toEqual({ frequency: 'Choose daily or weekly' });
    const notList = await json({ email: c, newsletters: { daily: true } });
    expect(notList.status).toBe(400);
    expect(notList.body.fields).toEqual({ newsletters: 'List the newsletters by slug, like ["daily"]' });
    expect(await query(app, 'SELECT id FROM subscribers WHERE email = $1', [c])).toEqual([]);
  });

  test('when a client older than the newsletters names neither newsletters nor frequency, then it gets daily as it always did, while daily exists', async () => {
    const email = uniqueEmail('old-client');
    await json({ email }).expect(202);
    expect(await subscriptionsOf(app, email)).toEqual(['daily']);
    const form = await request(app.url).post('/subscribe').type('form').send({ email: uniqueEmail('old-form') });
    expect(form.status).toBe(200);

    await request(app.url).patch('/api/admin/newsletters/daily').set(adminAuth).send({ archived: true }).expect(200);
    try {
      const later = uniqueEmail('old-client');
      const refused = await json({ email: later });
      expect(refused.status).toBe(400);
      expect(refused.body.fields).toEqual({ newsletters: 'Choose at least one newsletter' });
      expect(await query(app, 'SELECT id FROM subscribers WHERE email = $1', [later])).toEqual([]);
    } finally {
      await request(app.url).patch('/api/admin/newsletters/daily').set(adminAuth).send({ archived: false }).expect(200);
    }
  });

  test('when a newsletter was archived by another instance a moment ago, then a signup naming only it writes nothing and sends nothing', async () => {
    const early = uniqueEmail('known');
    await json({ email: early, newsletters: ['weekly'] }).expect(202); // this instance now knows `weekly` as active
    // Archived behind this instance's back (another instance's admin API): within the seconds it
    // trusts what it read, it still takes the slug, and the statement drops it.
    await queryOne(app, `UPDATE newsletters SET archived_at = now() WHERE slug = 'weekly' RETURNING id`);
    try {
      const email = uniqueEmail('late');
      await json({ email, newsletters: ['weekly'] }).expect(202);
      expect(await query(app, 'SELECT id FROM subscribers WHERE email = $1', [email])).toEqual([]);
      // Once that time has passed, the slug is refused by name.
      app.clock.skip(10_000);
      const refused = await json({ email, newsletters: ['weekly'] });
      expect(refused.status).toBe(400);
      expect(refused.body.fields.newsletters).toMatch(/"weekly"/);
    } finally {
      await queryOne(app, `UPDATE newsletters SET archived_at = NULL WHERE slug = 'weekly' RETURNING id`);
    }
  });

  test('when an embedded box fixes a newsletter that is not offered, then the signup takes it, and its error page keeps it ticked', async () => {
    const email = uniqueEmail('embed');
    await form({ email, newsletters: 'club', source: 'embed' }).set('Origin', 'https://sports.example').expect(200);
    expect(await subscriptionsOf(app, email)).toEqual(['club']);
    const consent = await queryOne(app, `SELECT c.source, c.newsletter_id FROM consents c JOIN subscribers s ON s.id = c.subscriber_id WHERE s.email = $1`, [email]);
    expect(consent).toEqual({ source: 'embed https://sports.example', newsletter_id: ids.club });

    const bad = await form({ email: 'nobody', newsletters: 'club', source: 'embed' });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/value="club" checked/);
  });

  test('when a pending address signs up to another newsletter, then it holds both and its next confirmation names both', async () => {
    const email = uniqueEmail();
    await form({ email, newsletters: 'daily' }).expect(200);
    await waitForMail(app, email, /confirm/i);
    await queryOne(app, `UPDATE subscribers SET confirmation_sent_at = now() - interval '1 hour' WHERE email = $1 RETURNING id`, [email]);
    await form({ email, newsletters: 'weekly' }).expect(200);
    expect(await subscriptionsOf(app, email)).toEqual(['daily', 'weekly']);
    await app.smtp.waitFor(() => mailsTo(app, email, /confirm/i).length === 2);
    const second = mailsTo(app, email, /confirm/i)[1]!;
    expect(second.parsed.text).toContain('Daily and Weekly');
    expect((await confirmThroughLink(app, linkIn(second, '/confirm'))).status).toBe(200);
    expect(await queryOne(app, 'SELECT status FROM subscribers WHERE email = $1', [email])).toEqual({ status: 'confirmed' });
  });
});
