import type { TestBrowser } from '../helpers/chromium';
import { openConsoleInBrowser, signInAsFirstAdmin, type ConsoleInBrowser } from '../helpers/console-browser';
import { consoleLooksFinished as looksFinished } from '../helpers/screenshots';
import type { TestBulletin } from '../helpers/test-bulletin';

/** An admin registers a webhook in a real browser: a refused form, the secret shown once, its page, its deletion; axe and screenshots on each. */
describe('the console\'s webhooks in a real browser', () => {
  let app: TestBulletin;
  let browser: TestBrowser;
  let run: ConsoleInBrowser;

  beforeAll(async () => {
    ({ app, browser } = run = await openConsoleInBrowser({ WEBHOOKS_ALLOW_PRIVATE: 'true' }));
  }, 60_000);
  afterAll(() => run?.stop());

  test('when an admin adds a webhook without events, then adds it right, then deletes it, then every page is usable and axe-clean', async () => {
    const page = await browser.context.newPage();
    await signInAsFirstAdmin(page, app);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByText('No webhook yet').waitFor();
    await looksFinished(page, 'webhooks-empty');

    await page.getByLabel('URL that receives the events').fill('https://crm.example/hooks/bulletin');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByText('Choose at least one event type').waitFor();
    expect(await page.getByLabel('URL that receives the events').inputValue()).toBe('https://crm.example/hooks/bulletin');
    await looksFinished(page, 'webhooks-error');

    await page.getByLabel('subscriber.confirmed').check();
    await page.getByLabel('edition.sent').check();
    await page.getByRole('button', { name: 'Add webhook' }).click();
    expect(await page.getByLabel('Signing secret').inputValue()).toMatch(/^whsec_/);
    await looksFinished(page, 'webhooks');

    await page.getByRole('link', { name: 'https://crm.example/hooks/bulletin' }).click();
    await page.getByRole('heading', { name: 'Recent deliveries' }).waitFor();
    await looksFinished(page, 'webhook');
    await page.getByRole('button', { name: 'Delete this webhook' }).click();
    await page.getByText('The webhook is deleted').waitFor();
    await page.close();
  }, 60_000);
});
