import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { expectNoAxeViolations } from '../helpers/axe';
import { atEachWidth, PAGE_WIDTHS, screenshot, screenshots, SHOTS } from '../helpers/screenshots';
import { launchBrowser, type TestBrowser } from '../helpers/chromium';
import { SignedLinks } from '../../src/shared/signed-links';
import { addNewsletter, linkIn, query, subscribeAndConfirm, subscriptionsOf, uniqueEmail, waitForMail } from '../integration/subscription-test-kit';


/** At a phone's width and a laptop's: a screenshot to look at, and axe-core finds no violation. */
async function looksFinished(page: Page, name: string, label: string): Promise<void> {
  await atEachWidth(page, PAGE_WIDTHS, async (width) => {
    await screenshot(page, name, width);
    await expectNoAxeViolations(page, `${label}, ${width} px`);
  });
}

/**
 * Opens a page whose script posts its own form at once (confirm, manage/open) and stops that POST
 * before it leaves the browser, so the page stays as the reader sees it while it submits (button
 * disabled, status updated) and its link stays unspent.
 */
async function openWithItsPostStopped(page: Page, url: string): Promise<void> {
  const pathname = new URL(url).pathname;
  const match = (u: URL) => u.pathname === pathname;
  await page.route(match, (route) => (route.request().method() === 'POST' ? route.abort('aborted') : route.continue()));
  const stopped = page.waitForEvent('requestfailed', (r) => r.method() === 'POST' && match(new URL(r.url())));
  await page.goto(url, { waitUntil: 'commit' });
  await stopped;
  await page.unroute(match);
}

describe('signup in a real browser', () => {
  let app: TestBulletin;
  let context: BrowserContext;
  let browser: TestBrowser;
  let sportsId: number;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    app = await startTestBulletin({ RATE_LIMIT_PER_IP: '10000', MAIL_FROM: 'The Daily Courier <news@courier.example>' });
    // Three offered newsletters: the two the upgrade made and one an editor added.
    sportsId = await addNewsletter(app, {
      slug: 'sports',
      name: 'Sports & Scores',
      description: 'Every result from the weekend, with the goals that mattered.',
      cron: '0 18 * * 6',
      position: 3,
    });
    browser = await launchBrowser({ viewport: { width: 900, height: 900 } });
    context = browser.context;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  test('when a person ticks two of three newsletters and clicks the emailed link, then one click confirms both and the preferences show them switched on', async () => {
    const page = await context.newPage();
    const email = uniqueEmail('browser');

    await page.goto(`${app.url}/`);
    expect(await page.getByRole('checkbox').count()).toBe(3);
    await looksFinished(page, '1-signup', 'signup form');
    // Keyboard only: the label names the field, Tab reaches the button.
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('First name (optional)').fill('Ada');
    await page.getByRole('checkbox', { name: 'Weekly' }).check();
    await page.getByRole('checkbox', { name: 'Sports & Scores' }).check();
    await page.getByRole('button', { name: 'Subscribe' }).focus();
    await Promise.all([page.waitForURL(`${app.url}/subscribe`), page.keyboard.press('Enter')]);
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    await looksFinished(page, '2-check-inbox', 'check your inbox');

    const mail = await waitForMail(app, email, /confirm/i);
    expect(mail.parsed.text).toContain('Weekly and Sports & Scores');
    const confirmPage = await context.newPage();
    await confirmPage.setContent(mail.parsed.html as string);
    await confirmPage.screenshot({ path: path.join(SHOTS, '3-confirmation-email.png'), fullPage: true });
    await confirmPage.close();

    // The page as its script submits it: stopped there once, to be looked at.
    await openWithItsPostStopped(page, linkIn(mail, '/confirm'));
    expect(await page.getByRole('button', { name: 'Confirm my subscription' }).isDisabled()).toBe(true);
    await looksFinished(page, '4-confirming', 'confirm page, its script submitting');
    // The script served from /assets submits the confirm form by itself: no second click.
    await page.goto(linkIn(mail, '/confirm'));
    await page.getByRole('heading', { name: 'Welcome aboard!' }).waitFor();
    await looksFinished(page, '4-confirmed', 'confirmed');

    const welcome = await waitForMail(app, email, /welcome/i);
    expect(welcome.parsed.text).toContain('- Weekly (Every Monday at 07:00)\n- Sports & Scores (Every Saturday at 18:00)');

    await page.goto(linkIn(welcome, '/preferences'));
    await page.getByRole('heading', { name: 'Your newsletters' }).waitFor();
    expect(await page.getByRole('switch', { name: 'Daily' }).isChecked()).toBe(false);
    expect(await page.getByRole('switch', { name: 'Weekly' }).isChecked()).toBe(true);
    expect(await page.getByRole('switch', { name: 'Sports & Scores' }).isChecked()).toBe(true);
    await looksFinished(page, '5-preferences', 'preferences with two of three newsletters');
    await page.getByRole('switch', { name: 'Weekly' }).uncheck();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('switch', { name: 'Weekly' }).isChecked()).toBe(false);
    expect(await subscriptionsOf(app, email)).toEqual(['sports']);
    await looksFinished(page, '5-preferences-saved', 'preferences, saved');

    // The unsubscribe link of a Sports edition: scoped to Sports (signed as the service signs it).
    const { id } = (await query<{ id: number }>(app, 'SELECT id FROM subscribers WHERE email = $1', [email]))[0]!;
    const links = new SignedLinks(app.config.SECRET_KEY!, app.config.PUBLIC_URL);
    await page.goto(links.url('unsubscribe', id, sportsId));
    await page.getByRole('heading', { name: 'Leave Sports & Scores?' }).waitFor();
    await looksFinished(page, '6-leave-newsletter', 'leave one newsletter');
    await page.getByRole('button', { name: 'Leave Sports & Scores' }).click();
    await page.getByRole('heading', { name: 'You left Sports & Scores' }).waitFor();
    await looksFinished(page, '6-left-newsletter', 'left one newsletter');
    expect(await subscriptionsOf(app, email)).toEqual([]);

    await page.getByRole('button', { name: 'Unsubscribe from everything' }).click();
    await page.getByRole('heading', { name: 'You will not hear from us again' }).waitFor();
    await looksFinished(page, '6-unsubscribed', 'unsubscribed');
    expect(await page.getByRole('button', { name: 'Resubscribe' }).isVisible()).toBe(true);

    await page.goto(linkIn(welcome, '/preferences'));
    await looksFinished(page, '6-preferences-unsubscribed', 'preferences of an unsubscribed reader');
  }, 90_000);

  test('when scripts are off, then the confirm page shows a button that confirms', async () => {
    const noScript = await browser.browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await noScript.newPage();
      const email = uniqueEmail('noscript');
      await page.goto(`${app.url}/`);
      await page.getByLabel('Email address').fill(email);
      await page.getByRole('checkbox', { name: 'Daily' }).check();
      await page.getByRole('button', { name: 'Subscribe' }).click();
      await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
      const mail = await waitForMail(app, email, /confirm/i);
      await page.goto(linkIn(mail, '/confirm'));
      await screenshots(page, '7-confirm-without-script');
      // axe-core needs scripts; the same page with its own script blocked is what this reader sees.
      const checked = await context.newPage();
      await checked.route('**/assets/confirm.js', (route) => route.abort());
      await checked.goto(linkIn(mail, '/confirm'));
      await atEachWidth(checked, PAGE_WIDTHS, (width) => expectNoAxeViolations(checked, `confirm page without script, ${width} px`));
      await checked.close();
      await page.getByRole('button', { name: 'Confirm my subscription' }).click();
      await page.getByRole('heading', { name: 'Welcome aboard!' }).waitFor();
    } finally {
      await noScript.close();
    }
  }, 60_000);

  test('when a reader meets every other public page (errors, spent and expired links, manage, 404), then each looks finished and axe-core finds no violation', async () => {
    const page = await context.newPage();

    await page.goto(`${app.url}/`);
    await page.getByLabel('Email address').fill('not-an-address');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('alert').waitFor();
    await looksFinished(page, '8-signup-errors', 'signup form with validation errors');

    await page.goto(`${app.url}/confirm?token=not-a-token`);
    await page.getByRole('heading', { name: 'This link is not valid' }).waitFor();
    await looksFinished(page, '9-link-invalid', 'invalid confirmation link');
    await page.getByRole('button', { name: 'Send me a new link' }).click();
    await page.getByRole('heading', { name: 'This link is not valid' }).waitFor();
    await looksFinished(page, '9-link-invalid-errors', 'invalid confirmation link, no address given');

    const late = uniqueEmail('late');
    await page.goto(`${app.url}/`);
    await page.getByLabel('Email address').fill(late);
    await page.getByRole('checkbox', { name: 'Daily' }).check();
    await page.getByRole('button', { name: 'Subscribe' }).click();
    const lateMail = await waitForMail(app, late, /confirm/i);
    await query(app, `UPDATE tokens SET expires_at = now() - interval '1 minute' WHERE subscriber_id = (SELECT id FROM subscribers WHERE email = $1)`, [late]);
    await page.goto(linkIn(lateMail, '/confirm'));
    await page.getByRole('heading', { name: 'This link has expired' }).waitFor();
    await looksFinished(page, '10-link-expired', 'expired confirmation link');

    const reader = uniqueEmail('reader');
    const { confirmMail, welcome } = await subscribeAndConfirm(app, reader);
    await page.goto(linkIn(confirmMail, '/confirm'));
    await page.getByRole('heading', { name: 'You are already subscribed' }).waitFor();
    await looksFinished(page, '11-already-confirmed', 'confirmation link used again');

    await page.goto(linkIn(welcome, '/unsubscribe'));
    await page.getByRole('heading', { name: /^Stop receiving/ }).waitFor();
    await looksFinished(page, '12-unsubscribe', 'unsubscribe');

    await page.goto(linkIn(welcome, '/preferences'));
    await page.getByRole('switch', { name: 'Daily' }).uncheck();
    await page.getByRole('button', { name: 'Save preferences' }).click();
    await page.getByRole('status').waitFor();
    await looksFinished(page, '13-preferences-none', 'preferences, every newsletter switched off');

    await page.goto(`${app.url}/manage`);
    await looksFinished(page, '14-manage', 'manage: ask for a link');
    await page.getByRole('button', { name: 'Email me a link' }).click();
    await page.getByRole('heading', { name: 'Lost your emails?' }).waitFor();
    await looksFinished(page, '14-manage-errors', 'manage, no address given');
    await page.getByLabel('Email address').fill(reader);
    await page.getByRole('button', { name: 'Email me a link' }).click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    const manageMail = await waitForMail(app, reader, /manage/i);
    await openWithItsPostStopped(page, linkIn(manageMail, '/manage/open'));
    expect(await page.getByRole('button', { name: 'Open my preferences' }).isDisabled()).toBe(true);
    await looksFinished(page, '15-manage-open', 'manage link page, its script submitting');
    await page.goto(linkIn(manageMail, '/manage/open'));
    await page.getByRole('heading', { name: 'Your newsletters' }).waitFor();
    await page.goto(linkIn(manageMail, '/manage/open'));
    await page.getByRole('heading', { name: 'This link has expired' }).waitFor();
    await looksFinished(page, '16-manage-expired', 'manage link used again');

    await page.goto(`${app.url}/no-such-page`);
    await looksFinished(page, '17-not-found', '404 page');
    await page.close();
  }, 90_000);
});
