import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../helpers/chromium';
import { signInAsFirstAdmin } from '../helpers/console-browser';
import { consoleLooksFinished as looksFinished, SHOTS } from '../helpers/screenshots';
import { QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { query } from '../integration/subscription-test-kit';

const HEADER = 'Email Address,First Name,Last Name,Member Rating,Optin Time,Tags';

/** A Mailchimp-shaped file of `rows` readers (and `invalid` bad addresses at its end). */
function mailchimpFile(dir: string, name: string, rows: number, invalid = 0): string {
  const lines = [HEADER];
  for (let i = 1; i <= rows; i++) lines.push(`Reader.${i}@Example.org,Reader,Number ${i},2,2025-03-01 09:12:44,"""Readers"""`);
  for (let i = 1; i <= invalid; i++) lines.push(`not-an-address-${i},Bad,Row,1,,`);
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\r\n') + '\r\n');
  return file;
}

/**
 * An admin brings a Mailchimp export in through the console in a real browser: the page reads the
 * file's header and offers its columns, the upload shows its progress, a file with invalid rows
 * imports nothing until they are skipped, and the subscribers go out again as a CSV download.
 */
describe('the console\'s import and export in a real browser', () => {
  let app: TestBulletin;
  let browser: TestBrowser;
  let dir: string;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulletin-import-'));
    app = await startTestBulletin(QUIET_SCHEDULES);
    browser = await launchBrowser({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const signIn = (page: Page) => signInAsFirstAdmin(page, app);

  test('when an admin chooses a file, then its columns are offered; the import shows its progress, then the report; the export downloads', async () => {
    const page = await browser.context.newPage();
    await signIn(page);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Import & export' }).click();
    await page.getByRole('heading', { name: 'Import & export' }).waitFor();
    await looksFinished(page, 'import');

    // 20,000 readers and 2 bad rows: the first try stops on them.
    const file = mailchimpFile(dir, 'audience.csv', 20_000, 2);
    await page.getByLabel('Daily').check();
    await page.getByLabel('How these people consented').fill('Signed up on our Mailchimp form, 2024-2026');
    await page.getByLabel(/^CSV file/).setInputFiles(file);
    // The inputs became lists of the header's columns, the automatic choice first and chosen.
    const emailColumn = page.getByRole('combobox', { name: 'Email column' });
    await emailColumn.waitFor();
    expect(await emailColumn.locator('option').allTextContents()).toEqual(['Found in the header: Email Address', ...HEADER.split(',')]);
    expect(await emailColumn.inputValue()).toBe('');
    const nameColumn = page.getByRole('combobox', { name: 'Name column' });
    expect(await nameColumn.locator('option:checked').textContent()).toBe('Found in the header: First Name + Last Name');
    await nameColumn.selectOption('First Name');
    await looksFinished(page, 'import-columns');

    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('alert').filter({ hasText: 'Nothing was imported: 2 rows of the file are invalid' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('.report-rows td[data-label="Row"]').allTextContents()).toEqual(['20002', '20003']);
    expect(await page.getByLabel('How these people consented').inputValue()).toBe('Signed up on our Mailchimp form, 2024-2026');
    expect(await page.getByLabel('Name column').inputValue()).toBe('First Name');
    expect(await query(app, 'SELECT 1 FROM subscribers LIMIT 1')).toEqual([]);
    await looksFinished(page, 'import-invalid');

    // Skip them, choose the file again (a browser cannot keep it), and watch the upload's progress.
    await page.getByLabel(/Skip invalid rows/).check();
    await page.getByLabel(/^CSV file/).setInputFiles(file);
    await page.getByRole('combobox', { name: 'Email column' }).waitFor();
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 400 * 1024 });
    // Every message the progress box shows is recorded as it is shown: the upload lasts seconds, and
    // on a busy machine the click alone may take longer than that, so polling could miss them all.
    const shown: Array<{ text: string; value: string | null }> = [];
    await page.exposeFunction('progressShown', (text: string, value: string | null) => shown.push({ text, value }));
    await page.evaluate(`{
      const text = document.getElementById('import-progress-text');
      const bar = document.getElementById('import-progress-bar');
      new MutationObserver(() => window.progressShown(text.textContent, bar.getAttribute('value'))).observe(text, { childList: true, characterData: true, subtree: true });
    }`);
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('heading', { name: 'The file is imported' }).waitFor({ timeout: 60_000 });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const uploading = shown.filter((s) => /^Sending the file, read and checked as it arrives: [\d.]+ MB of [\d.]+ MB$/.test(s.text));
    expect(uploading.length).toBeGreaterThan(0);
    expect(uploading.every((s) => Number(s.value) >= 0 && Number(s.value) <= 100)).toBe(true);
    expect(shown.map((s) => s.text)).toContainEqual(expect.stringMatching(/^Importing 20,002 rows in one transaction/));
    expect(await page.locator('[data-count="imported"]').textContent()).toBe('20,000');
    expect(await page.locator('[data-count="invalid"]').textContent()).toBe('2');
    const [row] = await query<{ name: string; status: string }>(app, `SELECT name, status::text FROM subscribers WHERE email = 'reader.7@example.org'`);
    expect(row).toEqual({ name: 'Reader', status: 'confirmed' });
    await looksFinished(page, 'import-report');

    await page.getByRole('link', { name: 'Import another file' }).click();
    await page.getByLabel('Status', { exact: true }).selectOption('confirmed');
    await page.getByLabel('Newsletter', { exact: true }).selectOption('daily');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('subscribers.csv');
    const csv = fs.readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
    expect(csv[0]).toMatch(/^email,name,status,newsletters/);
    expect(csv).toHaveLength(20_001);
    expect(csv).toContain(csv.find((l) => l.startsWith('reader.7@example.org,Reader,confirmed,daily,')));
    await page.close();
  }, 180_000);

  test('when scripts are off, then the form posts as it is: typed column names, and the report page answers', async () => {
    const context = await browser.browser.newContext({ javaScriptEnabled: false, storageState: await browser.context.storageState() });
    try {
      const page = await context.newPage();
      await page.goto(`${app.url}/admin/import`);
      await page.getByLabel('Daily').check();
      await page.getByLabel('Pending').check();
      await page.getByLabel('How these people consented').fill('Signed up at our stand');
      await page.getByRole('textbox', { name: 'Email column' }).fill('Email Address');
      await page.getByLabel(/^CSV file/).setInputFiles(mailchimpFile(dir, 'small.csv', 3));
      await page.getByRole('button', { name: 'Import' }).click();
      await page.getByRole('heading', { name: 'The file is imported' }).waitFor();
      // The addresses are those of the first import: merged, none new.
      expect(await page.locator('[data-count="merged"]').textContent()).toBe('3');
    } finally {
      await context.close();
    }
  }, 60_000);
});
