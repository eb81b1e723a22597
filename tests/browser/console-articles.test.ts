import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { expectNoAxeViolations } from '../helpers/axe';
import { launchBrowser, type TestBrowser } from '../helpers/chromium';
import { signInAsFirstAdmin } from '../helpers/console-browser';
import { fixture, startFeedServer, xml } from '../helpers/feed-server';
import { atEachWidth, PAGE_WIDTHS, screenshot, SHOTS } from '../helpers/screenshots';
import { QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { query } from '../integration/subscription-test-kit';

/** At a phone's width and a laptop's: a screenshot to look at, and axe-core finds no violation. */
async function looksFinished(page: Page, name: string): Promise<void> {
  await atEachWidth(page, PAGE_WIDTHS, async (width) => {
    await screenshot(page, `console-${name}`, width);
    await expectNoAxeViolations(page, `console ${name}, ${width} px`);
  });
}

/**
 * An editor's morning in a real browser: find an article, correct it, mark it breaking, look at
 * deleting it; then add the site's feed and map its categories (the same tab, signed in once).
 */
describe('the console\'s articles and feeds in a real browser', () => {
  let app: TestBulletin;
  let browser: TestBrowser;
  let feeds: Awaited<ReturnType<typeof startFeedServer>>;
  /** One signed-in tab, from the first test to the second. */
  let page: Page;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    feeds = await startFeedServer({ '/rss.xml': xml(fixture('rss.xml')) });
    app = await startTestBulletin({ ...QUIET_SCHEDULES, MAIL_FROM: 'The Daily Courier <news@courier.example>' });
    browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await feeds?.stop();
  });

  test('when an editor searches, edits and marks an article breaking, then every page works and passes axe', async () => {
    page = await browser.context.newPage();
    await signInAsFirstAdmin(page, app);

    const nav = page.getByRole('navigation', { name: 'Console' });
    await nav.getByRole('link', { name: 'Articles' }).click();
    await page.getByText('No articles yet').waitFor();
    await looksFinished(page, 'articles-empty');

    await query(
      app,
      `INSERT INTO articles (source_id, title, url, summary, published_at, categories, breaking, updated_at)
       SELECT 'seed-' || g, t.title, 'https://courier.example/' || g, 'Summary ' || g, timestamp '2026-11-29 09:00' - g * interval '47 minutes', ARRAY[t.category, 'Local'], g = 2, now()
         FROM unnest(
           ARRAY['Ferry timetable changes for the summer season', 'Storm warning for the coast tonight', 'Library extends opening hours and adds a reading café',
                 'Harbor FC wins the derby 3–1', 'Council approves the new cycle lanes along the quay', 'Fish market moves indoors for the winter'],
           ARRAY['Transport', 'Weather', 'Culture', 'Sports', 'Politics', 'Business']
         ) WITH ORDINALITY AS t(title, category, g)`,
    );
    await page.reload();
    await page.getByRole('link', { name: 'Storm warning for the coast tonight' }).waitFor();
    await looksFinished(page, 'articles');

    await page.getByLabel('Title contains').fill('ferry');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=ferry/);
    expect(await page.getByRole('table').getByRole('link').allTextContents()).toEqual(['Ferry timetable changes for the summer season']);
    await page.getByRole('link', { name: 'Ferry timetable changes for the summer season' }).click();
    await page.getByRole('heading', { name: 'Ferry timetable changes for the summer season' }).waitFor();
    await looksFinished(page, 'article');

    await page.getByLabel('Title').fill('');
    await page.getByLabel('URL', { exact: true }).fill('courier.example/ferry');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Title is required').waitFor();
    await page.getByText('URL must be an http(s) URL').waitFor();
    expect(await page.getByLabel('URL', { exact: true }).inputValue()).toBe('courier.example/ferry');
    await looksFinished(page, 'article-error');
    await page.getByLabel('Title').fill('Ferry timetable: two more evening crossings');
    await page.getByLabel('URL', { exact: true }).fill('https://courier.example/ferry');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('is saved.').waitFor();

    await page.getByRole('button', { name: 'Mark breaking and send the alert' }).click();
    await page.getByText('Marked breaking').waitFor();
    expect(await query(app, "SELECT title, breaking FROM articles WHERE source_id = 'seed-1'")).toEqual([{ title: 'Ferry timetable: two more evening crossings', breaking: true }]);

    await page.getByRole('link', { name: 'Delete this article…' }).click();
    await page.getByRole('heading', { name: /^Delete “Ferry timetable/ }).waitFor();
    await looksFinished(page, 'article-delete');
    await page.getByRole('link', { name: 'Keep it' }).click();
    await page.getByRole('heading', { name: 'Ferry timetable: two more evening crossings' }).waitFor();
  }, 180_000);

  test('when an editor adds a feed and maps its categories, then every page works and passes axe', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Feeds' }).click();
    await page.getByText('No feeds yet').waitFor();
    await looksFinished(page, 'feeds-empty');
    await page.getByLabel('Feed URL').fill('ftp://courier.example/rss');
    await page.getByRole('button', { name: 'Add feed' }).click();
    await page.getByText('Feed URL must be an http(s) URL').waitFor();
    await page.getByLabel('Feed URL').fill(feeds.url('/rss.xml'));
    await page.getByRole('button', { name: 'Add feed' }).click();
    await page.getByText('is added: the next poll fetches it.').waitFor();
    // A second feed as a failed poll leaves it, to see how the page shows it.
    await query(app, "INSERT INTO feeds (url, last_polled_at, last_error, paused_at) VALUES ('https://wire.example/feeds/regional-news-and-weather.xml', now(), 'HTTP 503', now())");
    await page.reload();
    await looksFinished(page, 'feeds');

    await page.getByRole('link', { name: `Categories of ${feeds.url('/rss.xml')}` }).click();
    await page.getByLabel('Rename categories').fill('Transport = Travel\nHarbour = Local');
    await page.getByLabel('Breaking news categories').fill('Storm, Alert');
    await page.getByRole('button', { name: 'Save categories' }).click();
    await page.getByText('are saved').waitFor();
    expect(await page.getByLabel('Rename categories').inputValue()).toBe('Transport = Travel\nHarbour = Local');
    await looksFinished(page, 'feed');
    await page.close();
  }, 180_000);
});
