import type { TestBrowser } from '../helpers/chromium';
import { openConsoleInBrowser, signInAsFirstAdmin, type ConsoleInBrowser } from '../helpers/console-browser';
import type { DigestFixtures } from '../helpers/digest-fixtures';
import { consoleLooksFinished as looksFinished } from '../helpers/screenshots';
import type { TestBulletin } from '../helpers/test-bulletin';

/**
 * An admin answers a reader's request to be forgotten in a real browser: find them by the start
 * of their address, open their page, suppress them on the way (a reason is required), then erase
 * them through the confirmation. Every page checked with axe at 375 and 1280 px, and shot.
 */
describe('the console\'s subscribers in a real browser', () => {
  let app: TestBulletin;
  let browser: TestBrowser;
  let fx: DigestFixtures;
  let run: ConsoleInBrowser;

  beforeAll(async () => {
    ({ app, fx, browser } = run = await openConsoleInBrowser());
  }, 60_000);
  afterAll(() => run?.stop());

  test('when an admin searches for a reader and erases them through the confirmation, then they are gone and the list says so', async () => {
    const page = await browser.context.newPage();
    await signInAsFirstAdmin(page, app);

    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Subscribers' }).click();
    await page.getByText('No subscribers yet').waitFor();
    await looksFinished(page, 'subscribers-empty');

    await fx.subscribers(12, { newsletters: ['daily', 'weekly'], prefix: 'reader-' });
    await fx.pool.query(
      `WITH s AS (
         INSERT INTO subscribers (email, name, status, confirmed_at, created_at, updated_at)
         VALUES ('annika.lindqvist-longaddress@harbour-news.example', 'Annika Lindqvist', 'confirmed', now(), now() - interval '40 days', now())
         RETURNING id
       ), x AS (
         INSERT INTO subscriptions (subscriber_id, newsletter_id, created_at) SELECT s.id, n.id, now() - interval '40 days' FROM s, newsletters n WHERE n.slug = 'daily'
       )
       INSERT INTO consents (subscriber_id, event, ip, user_agent, source, created_at)
       SELECT s.id, e.event::"ConsentEvent", '203.0.113.7', 'Mozilla/5.0', 'form', now() - e.ago FROM s,
         (VALUES ('signup', interval '40 days'), ('confirmation', interval '39 days')) AS e(event, ago)`,
    );
    await page.reload();
    await looksFinished(page, 'subscribers');

    await page.getByLabel('Address starts with').fill('ANNIKA');
    await page.getByLabel('State').selectOption('confirmed');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'annika.lindqvist-longaddress@harbour-news.example' }).waitFor();
    await looksFinished(page, 'subscribers-search');
    await page.getByLabel('Address starts with').fill('zed');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No subscriber with these filters starts with “zed”').waitFor();
    await page.getByLabel('Address starts with').fill('annika');
    await page.getByRole('button', { name: 'Search' }).click();

    await page.getByRole('link', { name: 'annika.lindqvist-longaddress@harbour-news.example' }).click();
    await page.getByRole('heading', { name: 'annika.lindqvist-longaddress@harbour-news.example' }).waitFor();
    await page.getByRole('table', { name: 'Consent history' }).getByText('203.0.113.7').first().waitFor();
    // A reason is required: the form comes back with the field's message.
    await page.getByRole('button', { name: 'Suppress' }).click();
    await page.getByText('Say why').waitFor();
    await looksFinished(page, 'subscriber-suppress-error');
    await page.getByLabel('Reason').fill('Complained by phone');
    await page.getByLabel('Reason').press('Enter');
    await page.getByText('Suppressed: no edition or alert goes to this address').waitFor();
    await looksFinished(page, 'subscriber');

    await page.getByRole('link', { name: 'Erase this reader…' }).click();
    await page.getByRole('heading', { name: /^Erase annika/ }).waitFor();
    await looksFinished(page, 'subscriber-erase');
    await page.getByRole('button', { name: 'Erase the reader' }).click();
    await page.getByText('Tick the box').waitFor();
    await looksFinished(page, 'subscriber-erase-error');
    // By keyboard: the box, then the button.
    await page.getByLabel(/I understand/).focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    await Promise.all([page.waitForURL(`${app.url}/admin/subscribers`), page.keyboard.press('Enter')]);
    await page.getByText(/Subscriber #\d+ is erased/).waitFor();
    expect(await page.getByText('annika', { exact: false }).count()).toBe(0);
    await looksFinished(page, 'subscribers-erased');
    const { rows } = await fx.pool.query(`SELECT 1 FROM subscribers WHERE email LIKE 'annika%'`);
    expect(rows).toEqual([]);
    await page.close();
  }, 180_000);
});
