import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from './chromium';
import { firstAdminLink } from './console-client';
import { DigestFixtures } from './digest-fixtures';
import { SHOTS } from './screenshots';
import { QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from './test-bulletin';

/** A console test in a real browser: the service (as The Daily Courier), fixtures on its database, Chromium with axe in every page. */
export interface ConsoleInBrowser {
  app: TestBulletin;
  fx: DigestFixtures;
  browser: TestBrowser;
  stop(): Promise<void>;
}

export async function openConsoleInBrowser(env: Record<string, string> = {}): Promise<ConsoleInBrowser> {
  fs.mkdirSync(SHOTS, { recursive: true });
  const app = await startTestBulletin({ ...QUIET_SCHEDULES, MAIL_FROM: 'The Daily Courier <news@courier.example>', ...env });
  const fx = new DigestFixtures(app.db.url);
  let browser: TestBrowser | undefined;
  const stop = async () => {
    await browser?.close();
    await fx.close();
    await app.stop();
  };
  try {
    browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
    return { app, fx, browser, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The first admin's link (as `npm run admin:create` makes it) followed in the page, a password set; signed in at /admin. */
export async function signInAsFirstAdmin(page: Page, app: TestBulletin, email = 'chief@courier.example', password = 'morning tide over the harbour'): Promise<void> {
  await page.goto(await firstAdminLink(app, email));
  await page.getByLabel('New password').fill(password);
  await page.getByLabel('The same password again').fill(password);
  await Promise.all([page.waitForURL(`${app.url}/admin`), page.getByRole('button', { name: 'Set password and sign in' }).click()]);
}
