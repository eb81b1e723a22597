import fs from 'node:fs';
import { addAxeToEveryPage } from '../helpers/axe';
import { launchBrowser, type TestBrowser } from '../helpers/chromium';
import { adminCreate, linkIn } from '../helpers/console-client';
import { DigestFixtures } from '../helpers/digest-fixtures';
import { consoleLooksFinished as looksFinished, SHOTS } from '../helpers/screenshots';
import { QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

/**
 * An editor arranging tomorrow's briefing in a real browser, with the page's buttons only: move a
 * story into the edition, pin the lead, drop one, write a note; the preview shows it so.
 */
describe('curating the next edition in a real browser', () => {
  let app: TestBulletin;
  let browser: TestBrowser;
  let fx: DigestFixtures;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    app = await startTestBulletin({ ...QUIET_SCHEDULES, MAIL_FROM: 'The Daily Courier <news@courier.example>' });
    fx = new DigestFixtures(app.db.url);
    browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
    await addAxeToEveryPage(browser.context);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await fx?.close();
    await app?.stop();
  });

  test('when an editor moves, pins and drops stories and writes a note, then the preview shows the edition so', async () => {
    await fx.newsletter({ slug: 'briefing', name: 'Briefing', cron: '0 7 * * *', timeZone: 'Europe/London', maxArticles: 3 });
    await fx.article({ title: 'Lifeboat crew honoured for winter rescue', categories: ['Local'], publishedAt: minutesAgo(50) });
    await fx.article({ title: 'Ferry fares to rise in spring', categories: ['Transport'], publishedAt: minutesAgo(40) });
    await fx.article({ title: 'Council budget passes after late-night session', categories: ['Politics'], publishedAt: minutesAgo(30) });
    await fx.article({ title: 'Weekend market moves indoors', categories: ['Local'], publishedAt: minutesAgo(20) });
    await fx.article({ title: 'Harbour reopens after the storm', categories: ['Local'], publishedAt: minutesAgo(10) });

    const created = await adminCreate(app, ['chief@courier.example']);
    const page = await browser.context.newPage();
    await page.goto(linkIn(created.stdout));
    await page.getByLabel('New password').fill('morning tide over the harbour');
    await page.getByLabel('The same password again').fill('morning tide over the harbour');
    await Promise.all([page.waitForURL(`${app.url}/admin`), page.getByRole('button', { name: 'Set password and sign in' }).click()]);

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
