import request from 'supertest';
import { loadConfig } from '../../src/config';
import { createAccounts } from '../../src/accounts/create-accounts';
import { runCommand, type CommandResult } from './run-command';
import { DigestFixtures } from './digest-fixtures';
import { QUIET_SCHEDULES, startTestBulletin, TEST_POSTAL_ADDRESS, type TestBulletin } from './test-bulletin';
import { openTestPool } from './test-database';

export const PASSWORD = 'correct horse battery staple';

/** The form token on a console page. */
export function csrfIn(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error('no form token on this page');
  return token;
}

/** The set-password link shown on a page (Users, after an invite) or printed by admin:create. */
export function linkIn(text: string): string {
  const url = /(https?:\/\/[^\s"<]+\/admin\/password\?token=[A-Za-z0-9_-]{43})/.exec(text)?.[1];
  if (!url) throw new Error('no set-password link here');
  return url;
}

/**
 * A browser's view of the console through supertest: one cookie jar, the form token of the last
 * page read, and the console's forms posted with it.
 */
export class ConsoleClient {
  readonly agent: ReturnType<typeof request.agent>;
  csrf = '';

  constructor(readonly app: TestBulletin) {
    this.agent = request.agent(app.url);
  }

  async get(path: string) {
    const res = await this.agent.get(path).set('Accept', 'text/html');
    const token = /name="_csrf" value="([^"]+)"/.exec(res.text)?.[1];
    if (token) this.csrf = token;
    return res;
  }

  /** Posts a console form with the current form token (unless `fields._csrf` says otherwise). */
  post(path: string, fields: Record<string, string> = {}) {
    return this.agent.post(path).type('form').set('Accept', 'text/html').send({ _csrf: this.csrf, ...fields });
  }

  async signIn(email: string, password = PASSWORD) {
    const res = await this.agent.post('/admin/login').type('form').set('Accept', 'text/html').send({ email, password });
    if (res.status === 303) await this.get('/admin');
    return res;
  }

  /** Follows a set-password link: its page, then its form. Signs this client in. */
  async setPassword(link: string, password = PASSWORD) {
    const url = new URL(link);
    const page = await this.get(url.pathname + url.search);
    expect(page.status).toBe(200);
    const res = await this.agent.post('/admin/password').type('form').send({ token: url.searchParams.get('token'), password, confirmation: password });
    if (res.status === 303) await this.get('/admin');
    return res;
  }

  /** Invites a user from the Users page and returns the link shown there. */
  async invite(email: string, role: 'admin' | 'editor'): Promise<string> {
    await this.get('/admin/users');
    const res = await this.post('/admin/users', { email, role });
    expect(res.status).toBe(200);
    return linkIn(res.text);
  }
}

/**
 * The set-password link of a first admin made as `npm run admin:create` makes one: the same
 * service, in the test process (the command itself, spawned as an operator runs it, is tested in
 * admin-api-tokens.test.ts and the console's browser journey; spawning it costs a test 3 s).
 */
export async function firstAdminLink(app: TestBulletin, email: string): Promise<string> {
  const db = openTestPool(app.db.url, 2);
  try {
    const accounts = createAccounts({ prisma: db.prisma, pool: db.pool, clock: app.clock, publicUrl: app.config.PUBLIC_URL, config: loadConfig({}) });
    return (await accounts.users.createFromCommandLine(email)).link.url;
  } finally {
    await db.close();
  }
}

/** The first admin (firstAdminLink), with a password set through its link: a signed-in client. */
export async function firstAdmin(app: TestBulletin, email: string): Promise<ConsoleClient> {
  const client = new ConsoleClient(app);
  expect((await client.setPassword(await firstAdminLink(app, email))).status).toBe(303);
  return client;
}

/** An editor (or admin) invited by `admin` who has set their password: a signed-in client. */
export async function invited(admin: ConsoleClient, email: string, role: 'admin' | 'editor'): Promise<ConsoleClient> {
  const client = new ConsoleClient(admin.app);
  expect((await client.setPassword(await admin.invite(email, role))).status).toBe(303);
  return client;
}

/** `npm run admin:create -- ...args` as an operator runs it beside the server, with its settings. */
export function adminCreate(app: TestBulletin, args: string[]): Promise<CommandResult> {
  return runCommand('src/cli/create-admin.ts', args, {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    DATABASE_URL: app.db.url,
    SMTP_URL: app.smtp.url,
    MAIL_POSTAL_ADDRESS: TEST_POSTAL_ADDRESS,
    SECRET_KEY: app.config.SECRET_KEY!,
    PUBLIC_URL: app.config.PUBLIC_URL,
    MAIL_FROM: app.config.MAIL_FROM,
    LOG_LEVEL: 'warn',
  });
}

/** Makes an API token on the console's API tokens page and returns it as shown there (once). */
export async function apiTokenOf(client: ConsoleClient, name: string): Promise<string> {
  await client.get('/admin/tokens');
  const res = await client.post('/admin/tokens', { name });
  expect(res.status).toBe(200);
  const token = /id="new-token" type="text" readonly value="(bt_[A-Za-z0-9_-]{43})"/.exec(res.text)?.[1];
  expect(token).toBeDefined();
  expect((await client.get('/admin/tokens')).text).not.toContain(token!);
  return token!;
}

/** Where most console tests start: the service, fixtures on its database, a signed-in admin and an invited editor. */
export interface Newsroom {
  app: TestBulletin;
  fx: DigestFixtures;
  admin: ConsoleClient;
  editor: ConsoleClient;
  stop(): Promise<void>;
}

/** The service (quiet schedules, plus `env`) with chief@news.example as its first admin and `editor` invited as an editor. */
export async function openNewsroom(opts: { env?: Record<string, string>; editor?: string } = {}): Promise<Newsroom> {
  const app = await startTestBulletin({ ...QUIET_SCHEDULES, ...opts.env });
  const fx = new DigestFixtures(app.db.url);
  const stop = async () => {
    await fx.close();
    await app.stop();
  };
  try {
    const admin = await firstAdmin(app, 'chief@news.example');
    const editor = await invited(admin, opts.editor ?? 'editor@news.example', 'editor');
    return { app, fx, admin, editor, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
