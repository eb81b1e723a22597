import type { TestBrowser } from '../helpers/chromium';
import { openConsoleInBrowser, signInAsFirstAdmin, type ConsoleInBrowser } from '../helpers/console-browser';
import type { DigestFixtures } from '../helpers/digest-fixtures';
import { consoleLooksFinished as looksFinished, screenshot } from '../helpers/screenshots';
import type { TestBulletin } from '../helpers/test-bulletin';

/**
 * An admin's newsroom day in a real browser: create a newsletter, preview and send its edition,
 * and watch the edition's counts move to sent on its page (the page's script polls them) while a
 * slow SMTP server takes the messages.
 */
describe('the console\'s newsletters and editions in a real browser', () => {
  let app: TestBulletin;
  let browser: TestBrowser;
  let fx: DigestFixtures;
  let run: ConsoleInBrowser;

  beforeAll(async () => {
    ({ app, fx, browser } = run = await openConsoleInBrowser());
  }, 60_000);
  afterAll(() => run?.stop());

  test('when an admin creates a newsletter and sends its edition, then the edition page\'s counts move to sent without a reload', async () => {
    const page = await browser.context.newPage();
    await signInAsFirstAdmin(page, app);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await looksFinished(page, 'dashboard-empty');

    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Newsletters' }).click();
    await page.getByRole('link', { name: 'New newsletter' }).click();
    await page.getByLabel('Slug').fill('sports');
    await page.getByLabel('Name', { exact: true }).fill('Sports');
    await page.getByLabel('Description').fill('Results and reports, every evening.');
    await page.getByRole('textbox', { name: /^Schedule/ }).fill('every evening');
    await page.getByLabel('Categories').fill('Sport');
    await page.getByRole('button', { name: 'Create newsletter' }).click();
    await page.getByText('must have five fields').waitFor();
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Sports');
    await looksFinished(page, 'newsletter-form-error');
    await page.getByRole('textbox', { name: /^Schedule/ }).fill('0 18 * * *');
    await page.getByLabel('Time zone').fill('Europe/Berlin');
    await page.getByRole('button', { name: 'Create newsletter' }).click();
    await page.getByText('Sports (sports) is created.').waitFor();

    // Readers of the new newsletter and a story for it; the SMTP server answers only when told.
    await fx.subscribers(3, { newsletters: ['sports'] });
    await fx.article({ title: 'Harbour FC wins the derby', categories: ['Sport'] });
    await page.reload();
    await looksFinished(page, 'newsletters');
    await page.getByRole('link', { name: 'Preview the next edition of Sports' }).click();
    await page.getByRole('heading', { name: 'Next edition of Sports' }).waitFor();
    expect(await page.frameLocator('iframe.email').getByText('Harbour FC wins the derby').count()).toBe(1);
    await looksFinished(page, 'newsletter-preview');

    let answer!: () => void;
    app.smtp.answerAfter = new Promise<void>((resolve) => (answer = resolve));
    await page.getByRole('button', { name: 'Send this edition now' }).click();
    await page.getByText('on its way to 3 readers').waitFor();
    await page.getByRole('heading', { name: /Sports/ }).waitFor();
    // Every script of the page is a file of this site (the CSP allows no inline script).
    expect(await page.$$eval('script', (scripts) => scripts.map((s) => s.getAttribute('src')))).toEqual(['/assets/console-edition.js']);
    expect(Number(await page.locator('[data-count="sent"]').textContent())).toBe(0);
    // A mark on this document: still there at the end means the counts changed without a reload.
    await page.evaluate('window.sameDocument = true');
    await screenshot(page, 'console-edition-sending', 1280);

    await app.smtp.waitFor((m) => m.parsed.subject?.includes('Harbour FC') ?? false);
    answer();
    app.smtp.answerAfter = undefined;
    // A locator, not waitForFunction: the page's CSP (kept on in tests) forbids evaluating strings.
    await page.locator('[data-count="sent"]', { hasText: /^3$/ }).waitFor({ timeout: 20_000 });
    await page.getByText('Done: 100% of 3 settled').waitFor();
    expect(await page.locator('[data-count="pending"]').textContent()).toBe('0');
    expect(await page.evaluate('window.sameDocument')).toBe(true);
    await looksFinished(page, 'edition');

    await page.getByRole('link', { name: 'Web version' }).click();
    await page.waitForURL(/\/digests\//);
    await page.goBack();

    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Editions' }).click();
    await page.getByRole('heading', { name: 'Editions' }).waitFor();
    await looksFinished(page, 'editions');
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Dashboard' }).click();
    await looksFinished(page, 'dashboard');
    await page.goto(`${app.url}/admin/newsletters/sports/edit`);
    await looksFinished(page, 'newsletter-form');
    await page.close();
  }, 180_000);
});
