import request from 'supertest';
import type { BrowserContext } from 'playwright-core';
import { adminAuth, QUIET_SCHEDULES, startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { launchBrowser, type TestBrowser } from '../helpers/chromium';
import { expectNoAxeViolations } from '../helpers/axe';
import { DigestFixtures } from '../helpers/digest-fixtures';
import type { CapturedMail } from '../helpers/smtp-capture';
import { linkIn, subscribeAndConfirm, uniqueEmail, waitForMail } from '../integration/subscription-test-kit';

/** January 1st at midnight: no slot comes due while the test runs, so only the admin API makes editions. */
const QUIET_CRON = '0 0 1 1 *';

const NEWSLETTERS = [
  { slug: 'morning', name: 'Morning Briefing', description: 'The news you need before nine.' },
  { slug: 'weekend', name: 'Weekend Reads', description: 'Long stories for a slow Saturday.' },
  { slug: 'sports', name: 'Sports & Scores', description: 'Every result, with the goals that mattered.' },
] as const;

/**
 * Issue 11's journey, end to end: a reader ticks two of three newsletters in a real browser,
 * confirms through the emailed link, receives the editions of those two only, leaves one with the
 * RFC 8058 one-click POST a mailbox provider sends, and from then on receives only the other.
 */
describe('a reader of two of three newsletters, in a real browser', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  let browser: TestBrowser;
  let context: BrowserContext;

  beforeAll(async () => {
    app = await startTestBulletin({ ...QUIET_SCHEDULES, RATE_LIMIT_PER_IP: '10000' });
    fx = new DigestFixtures(app.db.url);
    // The operator's own three replace the two the upgrade made (which have no readers yet).
    for (const slug of ['daily', 'weekly']) {
      const gone = await request(app.url).delete(`/api/admin/newsletters/${slug}`).set(adminAuth);
      expect([slug, gone.status, gone.body.outcome]).toEqual([slug, 200, 'deleted']);
    }
    for (const [i, n] of NEWSLETTERS.entries()) {
      const made = await request(app.url)
        .post('/api/admin/newsletters')
        .set(adminAuth)
        .send({ ...n, kind: 'digest', cron: QUIET_CRON, position: i + 1 });
      expect([n.slug, made.status]).toEqual([n.slug, 201]);
    }
    browser = await launchBrowser({ viewport: { width: 900, height: 900 } });
    context = browser.context;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await fx?.close();
    await app?.stop();
  });

  const addArticle = async (title: string) => {
    const res = await request(app.url).post('/api/admin/articles').set(adminAuth).send({ title, url: `https://news.example/${encodeURIComponent(title)}` });
    expect([title, res.status]).toEqual([title, 201]);
  };

  /** One edition of each newsletter named, each sent to all its readers before this returns. */
  const composeAndDeliver = async (slugs: readonly string[]) => {
    for (const slug of slugs) {
      const res = await request(app.url).post('/api/admin/digests').set(adminAuth).send({ newsletter: slug });
      expect([slug, res.status, res.body.digest?.newsletter]).toEqual([slug, 201, slug]);
      await fx.waitUntilSettled(res.body.digest.id);
    }
  };

  const listId = (slug: string, name: string) => `"${name}" <${slug}.${app.config.LIST_ID}>`;
  /** Every message the address received after its signup's confirmation and welcome emails. */
  const editionsTo = (email: string) => app.smtp.to(email).filter((m) => !signupMails.has(m));
  const signupMails = new Set<CapturedMail>();
  const listIdsOf = (mails: CapturedMail[]) => mails.map((m) => m.header('List-Id')[0]).sort();

  test('when the reader ticks two newsletters, confirms and later one-clicks unsubscribe from one, then they get editions of both and afterwards only of the other', async () => {
    // Someone who reads all three, so every edition has readers and is really sent.
    const everything = uniqueEmail('all-three');
    const theirs = await subscribeAndConfirm(app, everything, { newsletters: NEWSLETTERS.map((n) => n.slug) });
    signupMails.add(theirs.confirmMail).add(theirs.welcome);

    const reader = uniqueEmail('two-of-three');
    const page = await context.newPage();
    await page.goto(`${app.url}/`);
    expect(await page.getByRole('checkbox').count()).toBe(3);
    await page.getByLabel('Email address').fill(reader);
    await page.getByRole('checkbox', { name: 'Morning Briefing' }).check();
    await page.getByRole('checkbox', { name: 'Sports & Scores' }).check();
    await Promise.all([page.waitForURL(`${app.url}/subscribe`), page.getByRole('button', { name: 'Subscribe' }).click()]);
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();

    const confirmMail = await waitForMail(app, reader, /confirm/i);
    await page.goto(linkIn(confirmMail, '/confirm'));
    await page.getByRole('heading', { name: 'Welcome aboard!' }).waitFor();
    signupMails.add(confirmMail).add(await waitForMail(app, reader, /welcome/i));

    await addArticle('Harbour bridge reopens');
    app.clock.skip(60_000);
    await composeAndDeliver(NEWSLETTERS.map((n) => n.slug));

    const firstEditions = editionsTo(reader);
    expect(listIdsOf(firstEditions)).toEqual([listId('morning', 'Morning Briefing'), listId('sports', 'Sports & Scores')].sort());
    expect(listIdsOf(editionsTo(everything))).toHaveLength(3);

    // Leave Sports the way a mailbox provider does it: POST to the List-Unsubscribe URL, no cookies, no page.
    const sportsEdition = firstEditions.find((m) => m.header('List-Id')[0] === listId('sports', 'Sports & Scores'))!;
    expect(sportsEdition.header('List-Unsubscribe-Post')).toEqual(['List-Unsubscribe=One-Click']);
    const oneClickUrl = /<(https?:[^>]+)>/.exec(sportsEdition.header('List-Unsubscribe')[0] ?? '')?.[1];
    expect(oneClickUrl).toBeDefined();
    const oneClick = await fetch(oneClickUrl!, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
      redirect: 'manual',
    });
    expect(oneClick.status).toBe(200);

    // A later slot of both newsletters, with a new article.
    app.clock.skip(60 * 60_000);
    await addArticle('Late winner in the derby');
    app.clock.skip(60_000);
    await composeAndDeliver(['morning', 'sports']);

    const laterEditions = editionsTo(reader).filter((m) => !firstEditions.includes(m));
    expect(listIdsOf(laterEditions)).toEqual([listId('morning', 'Morning Briefing')]);
    expect(laterEditions[0]!.parsed.text).toContain('Late winner in the derby');
    // The other reader still gets both: the one-click left one reader's one newsletter, nothing more.
    expect(listIdsOf(editionsTo(everything))).toHaveLength(5);

    // The edition's "Manage your newsletters" link, followed from the email itself.
    const mailView = await context.newPage();
    await mailView.setContent(laterEditions[0]!.parsed.html as string);
    await Promise.all([mailView.waitForURL(/\/preferences\?/), mailView.getByRole('link', { name: 'Manage your newsletters' }).click()]);
    await mailView.getByRole('heading', { name: 'Your newsletters' }).waitFor();
    expect(await mailView.getByRole('switch', { name: 'Morning Briefing' }).isChecked()).toBe(true);
    expect(await mailView.getByRole('switch', { name: 'Sports & Scores' }).isChecked()).toBe(false);
    expect(await mailView.getByRole('switch', { name: 'Weekend Reads' }).isChecked()).toBe(false);
    await expectNoAxeViolations(mailView, 'preferences after leaving one newsletter');
  }, 120_000);
});
