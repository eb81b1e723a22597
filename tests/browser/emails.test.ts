import fs from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { newsroomEnv, receiveEveryEmail, type EmailKind } from '../helpers/every-email';
import { Templates } from '../../src/mail/templates';
import { DigestRenderer } from '../../src/digests/digest-renderer';
import { compileStored, escapeHtml } from '../../src/mail/personalize';
import { axeViolations, type DisabledRules } from '../helpers/axe';
import { SHOTS } from '../helpers/screenshots';
import { launchBrowser, launchOptions, type TestBrowser } from '../helpers/chromium';

const widths = [375, 800] as const;
const schemes = ['light', 'dark'] as const;

/** Stands in for the news site's images (the test has no network): a picture of the right shape. */
function svg(width: number, height: number, label: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#6b8fa3"/><text x="50%" y="55%" font-family="sans-serif" font-size="${Math.round(height / 6)}" fill="#fff" text-anchor="middle">${label}</text></svg>`;
}

/**
 * What a reader sees: each text's contrast against the background it is drawn on (WCAG: 4.5, or 3
 * for large text), and whether the email fits the screen without sideways scrolling.
 */
async function readability(page: Page): Promise<{ failures: string[]; overflow: number; pageBackground: number }> {
  return page.evaluate(READABILITY);
}

// Runs in the page (a string: this project's TypeScript has no DOM types).
const READABILITY = `(() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const lin = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const backgroundOf = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const failures = [];
  for (const el of document.body.querySelectorAll('*')) {
    const text = Array.from(el.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim();
    const box = el.getBoundingClientRect();
    if (!text || box.width === 0 || box.height === 0) continue;
    const style = getComputedStyle(el);
    const [a, b] = [luminance(rgb(style.color)), luminance(backgroundOf(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) failures.push(ratio.toFixed(2) + ': "' + text.slice(0, 40) + '" ' + style.color + ' on ' + backgroundOf(el).join(','));
  }
  return {
    failures,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    pageBackground: luminance(backgroundOf(document.querySelector('.wrap'))),
  };
})()`;

/**
 * Contrast as painted, for pages whose colours the browser changes at paint time (forced dark mode
 * leaves the computed styles alone): each text line's box is cut out of a screenshot, and its
 * darkest and lightest pixels (glyph and background) are compared. The screenshot is decoded by a
 * second, ordinary page's canvas.
 */
async function paintedContrast(page: Page, decoder: Page): Promise<string[]> {
  const boxes = await page.evaluate(TEXT_LINE_BOXES);
  const png = (await page.screenshot({ fullPage: true })).toString('base64');
  return decoder.evaluate(`(${PAINTED_CONTRAST})(${JSON.stringify({ png, boxes })})`);
}

const TEXT_LINE_BOXES = `(() => {
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    if (!text) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width >= 4 && r.height >= 4) boxes.push({ x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height, text: text.slice(0, 40) });
    }
  }
  return boxes;
})()`;

const PAINTED_CONTRAST = `async ({ png, boxes }) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + png;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const lin = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const failures = [];
  for (const b of boxes) {
    const data = ctx.getImageData(Math.floor(b.x), Math.floor(b.y), Math.max(1, Math.floor(b.w)), Math.max(1, Math.floor(b.h))).data;
    let min = 1, max = 0;
    for (let i = 0; i < data.length; i += 4) {
      const l = 0.2126 * lin(data[i]) + 0.7152 * lin(data[i + 1]) + 0.0722 * lin(data[i + 2]);
      if (l < min) min = l;
      if (l > max) max = l;
    }
    const ratio = (max + 0.05) / (min + 0.05);
    // Anti-aliasing softens glyph edges, so the bar is WCAG's for large text.
    if (ratio < 3) failures.push(ratio.toFixed(2) + ': "' + b.text + '"');
  }
  return failures;
}`;

/**
 * axe-core rules that make no sense for an email's HTML, each with the reason. Webmail (Gmail,
 * Outlook on the web) shows the email's body inline, inside its own page, which has its own <main>
 * and landmarks; mail apps show it in their own window.
 */
const EMAIL_RULES_OFF: DisabledRules = {
  // A <main> (or role="main") in the email would be a second main landmark in the webmail page
  // around it; and several clients drop the element or its role anyway.
  'landmark-one-main': 'the mail client supplies the main landmark; one in the email would duplicate it',
  // The email's layout is tables with role="presentation" (so screen readers do not announce
  // layout grids), and nothing outside landmarks is the normal state of an email body.
  region: 'an email body has no landmarks by design: it sits inside the mail client\'s own',
};

describe('emails in a real browser, narrow and wide, light and dark', () => {
  let app: TestBulletin;
  let context: BrowserContext;
  let browser: TestBrowser;
  let emails: Record<EmailKind, { html: string }>;
  /** One page shows every email in turn: each setContent gives it a fresh document. */
  let page: Page;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    app = await startTestBulletin(newsroomEnv);
    const received = await receiveEveryEmail(app);
    emails = Object.fromEntries(Object.entries(received).map(([kind, mail]) => [kind, { html: mail.parsed.html as string }])) as typeof emails;
    browser = await launchBrowser();
    context = browser.context;
    await context.route('https://**/*', (route) => {
      const logo = route.request().url().includes('logo');
      return route.fulfill({ contentType: 'image/svg+xml', body: logo ? svg(400, 80, 'COURIER') : svg(1072, 600, 'photo') });
    });
    page = await context.newPage();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  async function show(html: string, width: number, scheme: 'light' | 'dark', shot: string) {
    await page.setViewportSize({ width, height: 800 });
    await page.emulateMedia({ colorScheme: scheme });
    await page.setContent(html, { waitUntil: 'load' });
    await page.screenshot({ path: path.join(SHOTS, shot), fullPage: true });
    const seen = await readability(page);
    const axe = await axeViolations(page, { disabledRules: EMAIL_RULES_OFF });
    return { ...seen, axe };
  }

  for (const kind of ['confirmation', 'welcome', 'manage', 'digest', 'alert'] as const) {
    test(`when the ${kind} email is shown at 375 and 800 px in light and dark mode, then every text is readable and nothing scrolls sideways`, async () => {
      for (const width of widths) {
        for (const scheme of schemes) {
          const seen = await show(emails[kind].html, width, scheme, `email-${kind}-${width}-${scheme}.png`);
          expect({ width, scheme, failures: seen.failures, overflow: Math.max(seen.overflow, 0), axe: seen.axe }).toEqual({ width, scheme, failures: [], overflow: 0, axe: [] });
          if (scheme === 'dark') expect(seen.pageBackground).toBeLessThan(0.05);
          else expect(seen.pageBackground).toBeGreaterThan(0.8);
        }
      }
    }, 60_000);
  }

  test('when an email breaks a rule (an image without alt text), then the axe-core check names the rule and the element', async () => {
    const page = await context.newPage();
    await page.setContent(emails.welcome.html.replace('</h1>', '</h1><img id="no-alt" src="https://images.courier.example/x.jpg" width="40">'), { waitUntil: 'load' });
    const violations = await axeViolations(page, { disabledRules: EMAIL_RULES_OFF });
    await page.close();
    expect(violations).toEqual([expect.stringMatching(/^image-alt \(critical\): Images must have alternative text -> #no-alt$/)]);
  }, 60_000);

  test('when a browser forces dark colours on every email (as some mail apps do), then every text stays readable', async () => {
    // Chromium's auto-dark: it recolours the page itself, whatever the email's own dark styles say.
    const forced = await chromium.launch(launchOptions(['--blink-settings=forceDarkModeEnabled=true']));
    try {
      const page = await forced.newPage({ viewport: { width: 375, height: 800 } });
      const decoder = await context.newPage();
      for (const kind of ['confirmation', 'welcome', 'manage', 'digest', 'alert'] as const) {
        // Without images: only the text is judged, and a photo's pixels would blur the measure.
        await page.setContent(emails[kind].html.replace(/<img [^>]*>/g, ''), { waitUntil: 'load' });
        await page.screenshot({ path: path.join(SHOTS, `email-${kind}-375-forced-dark.png`), fullPage: true });
        expect({ kind, failures: await paintedContrast(page, decoder) }).toEqual({ kind, failures: [] });
      }
      await decoder.close();
    } finally {
      await forced.close();
    }
  }, 60_000);

  test('when a logo is configured, then the digest masthead shows it at 375 and 800 px', async () => {
    const templates = new Templates(path.resolve(__dirname, '../../templates'), {
      logoUrl: 'https://courier.example/logo.svg',
      postalAddress: newsroomEnv.MAIL_POSTAL_ADDRESS,
    });
    const rendered = new DigestRenderer({ templates, publicUrl: 'https://courier.example', listName: 'The Daily Courier' }).render({
      newsletter: { name: 'Weekly', timeZone: 'UTC', replyTo: null },
      editionAt: new Date('2026-11-30T07:00:00Z'),
      publicId: 'x'.repeat(22),
      articles: [{ id: 1, title: 'Harbour reopens after the storm', url: 'https://courier.example/a', summary: 'Ferries run again.', author: null, imageUrl: null, categories: [], publishedAt: new Date('2026-11-29T07:00:00Z') }],
    });
    const html = compileStored(rendered.html, escapeHtml)({ unsubscribeUrl: 'https://courier.example/u', preferencesUrl: 'https://courier.example/p' });
    for (const width of widths) {
      const seen = await show(html, width, 'light', `email-digest-logo-${width}.png`);
      expect({ width, failures: seen.failures, axe: seen.axe }).toEqual({ width, failures: [], axe: [] });
    }
  }, 60_000);
});
