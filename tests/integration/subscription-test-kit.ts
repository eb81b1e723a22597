import crypto from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import type { CapturedMail } from '../helpers/smtp-capture';
import type { TestBulletin } from '../helpers/test-bulletin';

/** Shared steps of the subscription integration tests: sign up, read the email, follow its links. */

export function uniqueEmail(label = 'reader'): string {
  return `${label}-${crypto.randomBytes(5).toString('hex')}@example.org`;
}

/**
 * A signup names its newsletters; one that names none (neither `newsletters` nor the legacy
 * `frequency`) is sent for `daily`, the newsletter the upgrade made, so a test that is not about
 * the choice need not spell it. A test about a signup without a choice posts by itself.
 */
function withNewsletter<T extends object>(fields: T, daily: string | string[]): T {
  return 'newsletters' in fields || 'frequency' in fields ? fields : { ...fields, newsletters: daily };
}

export function submitSignup(app: TestBulletin, fields: Record<string, string | string[]>) {
  return request(app.url).post('/subscribe').type('form').set('Accept', 'text/html').send(withNewsletter(fields, 'daily'));
}

export function submitJsonSignup(app: TestBulletin, body: object, headers: Record<string, string> = {}) {
  return request(app.url).post('/subscribe').set('Accept', 'application/json').set(headers).send(withNewsletter(body, ['daily']));
}

/** A newsletter made directly in the database (the admin API is tested on its own); returns its id. */
export async function addNewsletter(
  app: TestBulletin,
  n: { slug: string; name: string; description?: string; kind?: 'digest' | 'alert'; cron?: string | null; offered?: boolean; position?: number; archived?: boolean },
): Promise<number> {
  const kind = n.kind ?? 'digest';
  const row = await queryOne<{ id: number }>(
    app,
    `INSERT INTO newsletters (slug, name, description, kind, cron, offered, position, archived_at, updated_at)
     VALUES ($1, $2, $3, $4::"NewsletterKind", $5, $6, $7, $8, now()) RETURNING id`,
    [n.slug, n.name, n.description ?? '', kind, kind === 'alert' ? null : (n.cron ?? '0 7 * * *'), n.offered ?? true, n.position ?? 10, n.archived ? new Date() : null],
  );
  return row!.id;
}

/** The slugs of the newsletters the subscriber holds, sorted. */
export async function subscriptionsOf(app: TestBulletin, email: string): Promise<string[]> {
  const rows = await query<{ slug: string }>(
    app,
    `SELECT n.slug FROM subscriptions x JOIN newsletters n ON n.id = x.newsletter_id JOIN subscribers s ON s.id = x.subscriber_id
      WHERE s.email = $1 ORDER BY n.slug`,
    [email],
  );
  return rows.map((r) => r.slug);
}

/** The first link in the email's plain text whose path starts with `path`. */
export function linkIn(mail: CapturedMail, path: string): string {
  const text = mail.parsed.text ?? '';
  const found = text.match(/https?:\/\/[^\s<>"]+/g)?.find((u) => new URL(u).pathname === path);
  if (!found) throw new Error(`no ${path} link in email "${mail.parsed.subject}"`);
  return found;
}

/** Path and query of a full URL, for supertest against app.url. */
export function relative(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

export function waitForMail(app: TestBulletin, to: string, subject: RegExp, timeoutMs?: number): Promise<CapturedMail> {
  return app.smtp.waitFor((m) => m.to.includes(to) && subject.test(m.parsed.subject ?? ''), timeoutMs);
}

export function mailsTo(app: TestBulletin, to: string, subject: RegExp): CapturedMail[] {
  return app.smtp.to(to).filter((m) => subject.test(m.parsed.subject ?? ''));
}

/** Follows the confirmation link the way a browser does: GET the page, POST its form. */
export async function confirmThroughLink(app: TestBulletin, confirmUrl: string, headers: Record<string, string> = {}) {
  const page = await request(app.url).get(relative(confirmUrl)).set('Accept', 'text/html').set(headers);
  const token = /name="token" value="([^"]+)"/.exec(page.text)?.[1];
  if (!token) throw new Error(`no confirm form on the page (status ${page.status})`);
  return request(app.url).post('/confirm').type('form').set('Accept', 'text/html').set(headers).send({ token });
}

/** Signs up and confirms; returns the welcome email and the subscriber's id. */
export async function subscribeAndConfirm(app: TestBulletin, email: string, fields: Record<string, string | string[]> = {}) {
  await submitSignup(app, { email, ...fields }).expect(200);
  const confirmMail = await waitForMail(app, email, /confirm/i);
  const confirmed = await confirmThroughLink(app, linkIn(confirmMail, '/confirm'));
  if (confirmed.status !== 200) throw new Error(`confirmation answered ${confirmed.status}`);
  const welcome = await waitForMail(app, email, /welcome/i);
  const row = await queryOne<{ id: number }>(app, 'SELECT id FROM subscribers WHERE email = $1', [email]);
  return { welcome, confirmMail, subscriberId: row!.id };
}

export async function query<T = Record<string, unknown>>(app: TestBulletin, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: app.db.url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export async function queryOne<T = Record<string, unknown>>(app: TestBulletin, sql: string, params: unknown[] = []): Promise<T | undefined> {
  return (await query<T>(app, sql, params))[0];
}

/**
 * Waits for an email like `waitForMail`, moving pg-boss's clock forward for the subscription emails
 * meanwhile: a job waiting to be retried (2 s, 4 s, 8 s ... after a failure, on the database's clock)
 * is made due now, so the retry runs at the next poll instead of seconds later. The retry still has
 * to happen, and to succeed, for the email to arrive.
 */
export async function waitForMailSkippingRetryDelays(app: TestBulletin, to: string, subject: RegExp, timeoutMs = 30_000): Promise<CapturedMail> {
  let arrived = false;
  const hurry = (async () => {
    while (!arrived) {
      // And wakes the workers as a new job does (pg-boss's NOTIFY channel for the schema 'pgboss');
      // should pg-boss rename it, the retry still runs at the next poll, 2 s later.
      await query(
        app,
        `WITH due AS (
           UPDATE pgboss.job SET start_after = now() WHERE name LIKE 'subscription-%-email' AND state = 'retry' AND start_after > now() RETURNING name
         )
         SELECT pg_notify('pgboss_' || left(encode(sha224('pgboss'::bytea), 'hex'), 24), name) FROM (SELECT DISTINCT name FROM due) d`,
      );
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  try {
    return await waitForMail(app, to, subject, timeoutMs);
  } finally {
    arrived = true;
    await hurry;
  }
}

/** Settles the subscription emails: resolves when no request waits for the relay and no job is queued or active. */
export async function jobsIdle(app: TestBulletin, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await queryOne<{ n: string }>(
      app,
      `SELECT (SELECT count(*) FROM mail_requests)
            + (SELECT count(*) FROM pgboss.job WHERE name LIKE 'subscription-%-email' AND state IN ('created', 'retry', 'active')) AS n`,
    );
    if (row && Number(row.n) === 0) return;
    if (Date.now() > deadline) throw new Error('subscription jobs still pending');
    await new Promise((r) => setTimeout(r, 100));
  }
}
