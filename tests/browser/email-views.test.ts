import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestBulletin, TEST_ADMIN_TOKEN, type TestBulletin, QUIET_SCHEDULES } from '../helpers/test-bulletin';
import { DigestFixtures } from '../helpers/digest-fixtures';
import { expectNoAxeViolations } from '../helpers/axe';
import { SHOTS } from '../helpers/screenshots';
import { launchBrowser, type TestBrowser } from '../helpers/chromium';

const ARTICLES = 6;

/** The news site's pictures: a plain HTTP server, as in local development (sites use https too). */
function startImageServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const n = /^\/images\/(\d+)\.svg$/.exec(req.url ?? '')?.[1];
    if (!n) return void res.writeHead(404).end();
    const hue = (Number(n) * 57) % 360;
    res.writeHead(200, { 'Content-Type': 'image/svg+xml' }).end(
      `<svg xmlns="http://www.w3.org/2000/svg" width="1072" height="600" viewBox="0 0 1072 600">` +
        `<rect width="1072" height="600" fill="hsl(${hue},45%,45%)"/>` +
        `<text x="536" y="330" font-size="96" text-anchor="middle" fill="#fff" font-family="sans-serif">Photo ${n}</text></svg>`,
    );
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

interface EmailSeen {
  emailHeight: number;
  lastStoryBottom: number;
  lastStory: string;
  images: Array<{ src: string; naturalWidth: number }>;
}

// Page scripts (strings, as the project compiles without DOM types), run inside the email's frame.
const IMAGES_LOADED = 'Array.from(document.images).every((i) => i.complete)';
const EMAIL_SEEN = `(() => {
  const last = Array.from(document.querySelectorAll('a')).filter((a) => /Story number/.test(a.textContent)).pop();
  return {
    emailHeight: document.documentElement.scrollHeight,
    lastStoryBottom: last.getBoundingClientRect().bottom,
    lastStory: last.textContent.trim(),
    images: Array.from(document.images).map((i) => ({ src: i.src, naturalWidth: i.naturalWidth })),
  };
})()`;
const TWO_FRAMES = 'new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))';

/** What the reader sees of the email in the page's frame, once the frame and its images have loaded. */
async function emailInFrame(page: Page): Promise<EmailSeen & { frameInnerHeight: number }> {
  const element = await page.waitForSelector('iframe.email');
  // Read through the browser's debugging protocol, which reaches into any frame, sandboxed or not.
  const frame = (await element.contentFrame())!;
  await frame.waitForLoadState('load');
  await frame.waitForFunction(IMAGES_LOADED);
  // Layout settles after the frame's load (the page's script sizes the frame then).
  await page.evaluate(TWO_FRAMES);
  const inside = await frame.evaluate<EmailSeen>(EMAIL_SEEN);
  // The frame's inner height (its border aside): what the page shows of the email without scrolling the frame.
  const frameInnerHeight = await element.evaluate((f) => (f as unknown as { clientHeight: number }).clientHeight);
  return { ...inside, frameInnerHeight };
}

describe('the web version and the outbox viewer in a real browser', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  let images: { url: string; close: () => Promise<void> };
  let context: BrowserContext;
  let browser: TestBrowser;
  let outboxDir: string;
  let webUrl: string;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    images = await startImageServer();
    outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulletin-browser-outbox-'));
    // No SMTP server: emails go to the outbox folder, and the viewer shows them.
    app = await startTestBulletin({
      SMTP_URL: '',
      OUTBOX_DIR: outboxDir,
      MAIL_FROM: 'The Daily Courier <news@courier.example>',
      ...QUIET_SCHEDULES,
    });
    fx = new DigestFixtures(app.db.url);
    await fx.subscribers(1);
    for (let n = 1; n <= ARTICLES; n++) {
      await fx.article({
        title: `Story number ${n}: the harbour committee meets again`,
        summary: 'Councillors met for a long evening; the minutes run to forty pages and the ferry keeps running meanwhile.',
        imageUrl: `${images.url}/images/${n}.svg`,
        publishedAt: new Date(Date.now() - n * 60_000),
      });
    }
    const composed = await request(app.url).post('/api/admin/digests').set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`).send({ frequency: 'daily' });
    expect(composed.status).toBe(201);
    webUrl = composed.body.digest.webUrl;
    const deadline = Date.now() + 15_000;
    while (fs.readdirSync(outboxDir).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

    browser = await launchBrowser();
    context = browser.context;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await fx?.close();
    await app?.stop();
    await images?.close();
    if (outboxDir) fs.rmSync(outboxDir, { recursive: true, force: true });
  });

  for (const width of [375, 800, 1280]) {
    test(`when the web version is opened ${width} px wide, then the whole email shows with its images`, async () => {
      const page = await context.newPage();
      await page.setViewportSize({ width, height: 800 });
      await page.goto(webUrl);
      const seen = await emailInFrame(page);
      await page.screenshot({ path: path.join(SHOTS, `web-version-${width}.png`), fullPage: true });
      await expectNoAxeViolations(page, `web version, ${width} px`);

      expect(seen.lastStory).toMatch(new RegExp(`^Story number ${ARTICLES}:`));
      // Every picture loaded, and no part of the email is cut off: the frame is as tall as the email.
      expect(seen.images).toHaveLength(ARTICLES);
      expect(seen.images.filter((i) => i.naturalWidth === 0)).toEqual([]);
      expect(seen.frameInnerHeight).toBeGreaterThanOrEqual(seen.emailHeight);
      expect(seen.lastStoryBottom).toBeLessThanOrEqual(seen.frameInnerHeight);
      await page.close();
    }, 60_000);

    test(`when the digest is opened in the outbox viewer ${width} px wide, then the whole email shows with its images`, async () => {
      const page = await context.newPage();
      await page.setViewportSize({ width, height: 800 });
      await page.goto(`${app.url}/outbox`);
      await page.screenshot({ path: path.join(SHOTS, `outbox-${width}.png`), fullPage: true });
      await expectNoAxeViolations(page, `outbox list, ${width} px`);
      await page.getByRole('link', { name: /Story number 1/ }).first().click();
      const seen = await emailInFrame(page);
      await page.screenshot({ path: path.join(SHOTS, `outbox-digest-${width}.png`), fullPage: true });
      await expectNoAxeViolations(page, `outbox email viewer, ${width} px`);

      expect(seen.lastStory).toMatch(new RegExp(`^Story number ${ARTICLES}:`));
      // Every picture loaded, and no part of the email is cut off: the frame is as tall as the email.
      expect(seen.images).toHaveLength(ARTICLES);
      expect(seen.images.filter((i) => i.naturalWidth === 0)).toEqual([]);
      expect(seen.frameInnerHeight).toBeGreaterThanOrEqual(seen.emailHeight);
      expect(seen.lastStoryBottom).toBeLessThanOrEqual(seen.frameInnerHeight);
      await page.close();
    }, 60_000);
  }
});
