import fs from 'node:fs';
import request from 'supertest';
import type { Page } from 'playwright-core';
import { startTestBulletin, type TestBulletin, adminAuth, QUIET_SCHEDULES } from '../helpers/test-bulletin';
import { expectNoAxeViolations } from '../helpers/axe';
import { atEachWidth, PAGE_WIDTHS, screenshot, SHOTS } from '../helpers/screenshots';
import { launchBrowser, type TestBrowser } from '../helpers/chromium';
import { addEditions } from '../helpers/newsletter-fixtures';

/** At a phone's width and a laptop's: a screenshot to look at, and axe-core finds no violation. */
async function looksFinished(page: Page, name: string, label: string): Promise<void> {
  await atEachWidth(page, PAGE_WIDTHS, async (width) => {
    await screenshot(page, name, width);
    await expectNoAxeViolations(page, `${label}, ${width} px`);
  });
}

describe('a newsletter\'s public page in a real browser', () => {
  let app: TestBulletin;
  let browser: TestBrowser;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    app = await startTestBulletin({ ...QUIET_SCHEDULES, MAIL_FROM: 'The Daily Courier <news@courier.example>' });
    const create = (body: object) => request(app.url).post('/api/admin/newsletters').set(adminAuth).send(body).expect(201);
    await create({ slug: 'sports', name: 'Sports Extra', description: 'Results, reports and the week\'s best goals, every evening at six.', cron: '0 18 * * *', timeZone: 'Europe/London' });
    await create({ slug: 'members', name: 'Members\' letter', description: 'A note from the editor, for readers only.', cron: '0 9 * * 5', publicArchive: false });
    const subjects = ['Cup final: late winner sends City through', 'Derby day ends level after a stormy second half', 'New coach names his first squad', 'Marathon record falls on a cold morning', 'Tennis: home favourite into the quarter-finals'];
    await addEditions(app.db.url, 'sports', subjects.map((subject, i) => ({
      subject: `${subject} · The Daily Courier Sports Extra`,
      editionAt: new Date(Date.parse('2026-11-28T18:00:00Z') - i * 86_400_000).toISOString(),
      publicId: `sportsedition${i}`.padEnd(20, 'x'),
    })));
    browser = await launchBrowser({ viewport: { width: 1280, height: 900 } });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  test('when a reader opens a newsletter\'s page, then it shows its editions and a signup box, finished at both widths', async () => {
    const page = await browser.context.newPage();

    await page.goto(`${app.url}/newsletters/sports`);

    await page.getByRole('heading', { name: 'Sports Extra', level: 1 }).waitFor();
    expect(await page.getByRole('listitem').count()).toBe(5);
    expect(await page.getByRole('link', { name: /Cup final/ }).getAttribute('href')).toBe(`/digests/${'sportsedition0'.padEnd(20, 'x')}`);
    expect(await page.getByLabel('Email address').getAttribute('type')).toBe('email');
    await page.getByRole('button', { name: 'Subscribe to Sports Extra' }).waitFor();
    await looksFinished(page, 'newsletter-archive', 'newsletter page with its archive');
    await page.close();
  });

  test('when a newsletter keeps its archive private, then its page is only the signup box, finished at both widths', async () => {
    const page = await browser.context.newPage();

    await page.goto(`${app.url}/newsletters/members`);

    await page.getByRole('heading', { name: 'Members\' letter', level: 1 }).waitFor();
    expect(await page.getByRole('heading', { name: 'Past editions' }).count()).toBe(0);
    await looksFinished(page, 'newsletter-private-archive', 'newsletter page without its archive');
    await page.close();
  });
});
