import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { linkIn, uniqueEmail, waitForMail } from '../integration/subscription-test-kit';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.resolve(__dirname, '../../test-results');

describe('signup in a real browser', () => {
  let app: TestBulletin;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install it with "apt-get update && apt-get install -y chromium" (or set CHROMIUM_PATH)`);
    }
    fs.mkdirSync(SHOTS, { recursive: true });
    app = await startTestBulletin({ RATE_LIMIT_PER_IP: '10000', MAIL_FROM: 'The Daily Courier <news@courier.example>' });
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bulletin-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 900, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    await app?.stop();
  });

  test('when a person fills the form and clicks the emailed link, then one click confirms and the page can unsubscribe', async () => {
    const page = await context.newPage();
    const email = uniqueEmail('browser');

    await page.goto(`${app.url}/`);
    await page.screenshot({ path: path.join(SHOTS, '1-signup.png'), fullPage: true });
    // Keyboard only: the label names the field, Tab reaches the button.
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('First name (optional)').fill('Ada');
    await page.getByLabel('Weekly digest').check();
    await page.getByRole('button', { name: 'Subscribe' }).focus();
    await Promise.all([page.waitForURL(`${app.url}/subscribe`), page.keyboard.press('Enter')]);
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, '2-check-inbox.png'), fullPage: true });

    const mail = await waitForMail(app, email, /confirm/i);
    const confirmPage = await context.newPage();
    await confirmPage.setContent(mail.parsed.html as string);
    await confirmPage.screenshot({ path: path.join(SHOTS, '3-confirmation-email.png'), fullPage: true });
    await confirmPage.close();

    // The script served from /assets submits the confirm form by itself: no second click.
    await page.goto(linkIn(mail, '/confirm'));
    await page.getByRole('heading', { name: 'Welcome aboard!' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, '4-confirmed.png'), fullPage: true });

    const welcome = await waitForMail(app, email, /welcome/i);
    expect(welcome.parsed.text).toContain('weekly');

    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await page.getByRole('heading', { name: 'You will not hear from us again' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, '5-unsubscribed.png'), fullPage: true });
    expect(await page.getByRole('button', { name: 'Resubscribe' }).isVisible()).toBe(true);

    await page.goto(linkIn(welcome, '/preferences'));
    await page.screenshot({ path: path.join(SHOTS, '6-preferences.png'), fullPage: true });
  }, 60_000);

  test('when scripts are off, then the confirm page shows a button that confirms', async () => {
    const noScript = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const ctx = await noScript.newContext({ javaScriptEnabled: false });
      const page = await ctx.newPage();
      const email = uniqueEmail('noscript');
      await page.goto(`${app.url}/`);
      await page.getByLabel('Email address').fill(email);
      await page.getByRole('button', { name: 'Subscribe' }).click();
      await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
      const mail = await waitForMail(app, email, /confirm/i);
      await page.goto(linkIn(mail, '/confirm'));
      await page.screenshot({ path: path.join(SHOTS, '7-confirm-without-script.png'), fullPage: true });
      await page.getByRole('button', { name: 'Confirm my subscription' }).click();
      await page.getByRole('heading', { name: 'Welcome aboard!' }).waitFor();
    } finally {
      await noScript.close();
    }
  }, 60_000);
});
