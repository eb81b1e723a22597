import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { expectNoAxeViolations } from '../helpers/axe';
import { launchBrowser, type TestBrowser } from '../helpers/chromium';
import { adminCreate, linkIn } from '../helpers/console-client';
import { consoleLooksFinished as looksFinished, SHOTS } from '../helpers/screenshots';
import { QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';

/**
 * The console's first day, in a real browser: the first admin follows the link printed by
 * `npm run admin:create`, sets a password, invites an editor and signs out; the editor sets theirs,
 * signs in, and finds the Users page closed to them.
 */
describe('the newsroom console in a real browser', () => {
  let app: TestBulletin;
  let browser: TestBrowser;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    app = await startTestBulletin({ ...QUIET_SCHEDULES, MAIL_FROM: 'The Daily Courier <news@courier.example>' });
    browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  test('when the first admin sets up the console and invites an editor, then the editor signs in and sees 403 on Users', async () => {
    const created = await adminCreate(app, ['chief@courier.example']);
    expect(created.code).toBe(0);
    const page = await browser.context.newPage();

    await page.goto(linkIn(created.stdout));
    await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
    await looksFinished(page, 'set-password');
    await page.getByLabel('New password').fill('short');
    await page.getByLabel('The same password again').fill('short');
    await page.getByRole('button', { name: 'Set password and sign in' }).click();
    await page.getByText('Use at least 12 characters').waitFor();
    await looksFinished(page, 'set-password-error');
    await page.getByLabel('New password').fill('morning tide over the harbour');
    await page.getByLabel('The same password again').fill('morning tide over the harbour');
    await Promise.all([page.waitForURL(`${app.url}/admin`), page.getByRole('button', { name: 'Set password and sign in' }).click()]);
    await page.getByText('Your password is set.').waitFor();
    await looksFinished(page, 'home');

    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByLabel('Email address').fill('not an address');
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.getByText('Enter a valid email address').waitFor();
    expect(await page.getByLabel('Email address').inputValue()).toBe('not an address');
    await page.getByLabel('Email address').fill('reporter@courier.example');
    await page.getByLabel('Role', { exact: true }).selectOption('editor');
    await page.getByRole('button', { name: 'Invite' }).click();
    const invite = await page.getByLabel('Set-password link').inputValue();
    expect(invite).toMatch(/\/admin\/password\?token=/);
    await looksFinished(page, 'users');

    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('What it is for').fill('CMS publishing');
    await page.getByRole('button', { name: 'Make token' }).click();
    expect(await page.getByLabel('New API token').inputValue()).toMatch(/^bt_/);
    await looksFinished(page, 'tokens');

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('cell', { name: 'api token created' }).waitFor();
    expect(await page.getByRole('cell', { name: 'user invited' }).count()).toBe(2);
    await looksFinished(page, 'audit');

    await Promise.all([page.waitForURL(`${app.url}/admin/login`), page.getByRole('button', { name: 'Sign out' }).click()]);
    await page.getByText('You are signed out.').waitFor();
    await looksFinished(page, 'login');

    // The editor: their link, their password, then an ordinary sign-in.
    await page.goto(invite);
    await page.getByLabel('New password').fill('reporting from the quay');
    await page.getByLabel('The same password again').fill('reporting from the quay');
    await Promise.all([page.waitForURL(`${app.url}/admin`), page.getByRole('button', { name: 'Set password and sign in' }).click()]);
    await Promise.all([page.waitForURL(`${app.url}/admin/login`), page.getByRole('button', { name: 'Sign out' }).click()]);
    await page.getByLabel('Email address').fill('reporter@courier.example');
    await page.getByLabel('Password').fill('not my password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('do not match an account').waitFor();
    await looksFinished(page, 'login-failed');
    await page.getByLabel('Password').fill('reporting from the quay');
    await Promise.all([page.waitForURL(`${app.url}/admin`), page.getByRole('button', { name: 'Sign in' }).click()]);
    expect(await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).count()).toBe(0);

    // Their own account: a new password, with the current one asked first.
    await page.getByRole('link', { name: 'reporter@courier.example · editor' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password', { exact: true }).fill('a new tide over the harbour');
    await page.getByLabel('The new password again').fill('a new tide over the harbour');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('This is not your current password').waitFor();
    await looksFinished(page, 'account-error');
    await page.getByLabel('Current password').fill('reporting from the quay');
    await page.getByLabel('New password', { exact: true }).fill('a new tide over the harbour');
    await page.getByLabel('The new password again').fill('a new tide over the harbour');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Your password is changed.').waitFor();
    await looksFinished(page, 'account');

    const users = await page.goto(`${app.url}/admin/users`);
    expect(users?.status()).toBe(403);
    await page.getByRole('heading', { name: 'Only an admin may do this' }).waitFor();
    await looksFinished(page, 'forbidden');

    await page.goto(invite);
    await page.getByRole('heading', { name: 'This link has been used' }).waitFor();
    await looksFinished(page, 'link-used');
    await page.close();
  }, 120_000);
});
