import type { TestBrowser } from '../helpers/chromium';
import { openConsoleInBrowser, signInAsFirstAdmin, type ConsoleInBrowser } from '../helpers/console-browser';
import type { DigestFixtures } from '../helpers/digest-fixtures';
import { consoleLooksFinished as looksFinished } from '../helpers/screenshots';
import type { TestBulletin } from '../helpers/test-bulletin';

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

/**
 * An editor arranging tomorrow's briefing in a real browser, with the page's buttons only: move a
 * story into the edition, pin the lead, drop one, write a note; the preview shows it so.
 */
describe('curating the next edition in a real browser', () => {
  let app: TestBulletin;
  let browser: TestBrowser;
  let fx: DigestFixtures;
  let run: ConsoleInBrowser;

  beforeAll(async () => {
    ({ app, fx, browser } = run = await openConsoleInBrowser());
  }, 60_000);
  afterAll(() => run?.stop());

  test('when an editor moves, pins and drops stories and writes a note, then the preview shows the edition so', async () => {
    await fx.newsletter({ slug: 'briefing', name: 'Briefing', cron: '0 7 * * *', timeZone: 'Europe/London', maxArticles: 3 });
    await fx.article({ title: 'Lifeboat crew honoured for winter rescue', categories: ['Local'], publishedAt: minutesAgo(50) });
    await fx.article({ title: 'Ferry fares to rise in spring', categories: ['Transport'], publishedAt: minutesAgo(40) });
    await fx.article({ title: 'Council budget passes after late-night session', categories: ['Politics'], publishedAt: minutesAgo(30) });
    await fx.article({ title: 'Weekend market moves indoors', categories: ['Local'], publishedAt: minutesAgo(20) });
    await fx.article({ title: 'Harbour reopens after the storm', categories: ['Local'], publishedAt: minutesAgo(10) });

    const page = await browser.context.newPage();
    await signInAsFirstAdmin(page, app);

    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Newsletters' }).click();
    await page.getByRole('link', { name: 'Curate next edition of Briefing' }).click();
    await page.getByRole('heading', { name: 'Curate the next edition of Briefing' }).waitFor();
    await page.getByText('Not curated').waitFor();
    await looksFinished(page, 'curation-as-composed');

    // The lifeboat story is beyond the cut of 3: up twice brings it in.
    await page.getByRole('button', { name: 'Move up: Lifeboat crew honoured for winter rescue' }).click();
    await page.getByText('“Lifeboat crew honoured for winter rescue” moved up.').waitFor();
    await page.getByRole('button', { name: 'Move up: Lifeboat crew honoured for winter rescue' }).click();
    await page.getByRole('button', { name: 'Pin: Harbour reopens after the storm' }).click();
    await page.getByText('is pinned').waitFor();
    await page.getByRole('button', { name: 'Drop: Weekend market moves indoors' }).click();
    await page.getByText('is dropped from the next edition').waitFor();
    await page.getByLabel(/Editor's note/).fill('Good morning. The harbour is open again: our reporters were there at dawn.\n\nThank you for reading.');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved: the next edition of Briefing goes out as arranged here.').waitFor();
    const inEdition = page.getByRole('list', { name: /In the edition/ }).getByRole('listitem');
    expect(await inEdition.locator('.curated-title a').allTextContents()).toEqual([
      'Harbour reopens after the storm',
      'Lifeboat crew honoured for winter rescue',
      'Council budget passes after late-night session',
    ]);
    await looksFinished(page, 'curation');

    await page.getByRole('link', { name: 'Preview the edition' }).click();
    await page.getByRole('heading', { name: 'Next edition of Briefing' }).waitFor();
    const email = page.frameLocator('iframe.email');
    await email.locator('.note-text', { hasText: 'our reporters were there at dawn' }).waitFor();
    const titles = await email.locator('.title a').allTextContents();
    expect(titles).toEqual(['Harbour reopens after the storm', 'Lifeboat crew honoured for winter rescue', 'Council budget passes after late-night session']);
    expect(await email.getByText('Weekend market moves indoors').count()).toBe(0);
    await looksFinished(page, 'curation-preview');
    await page.goBack();

    // Too long a note: refused next to the box, what was typed kept.
    await page.getByLabel(/Editor's note/).fill('A long note. '.repeat(40));
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('An editor\'s note has at most 500 characters').waitFor();
    expect((await page.getByLabel(/Editor's note/).inputValue()).length).toBe('A long note. '.repeat(40).length);
    await looksFinished(page, 'curation-error');
    await page.close();
  }, 120_000);
});
