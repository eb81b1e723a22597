import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Database } from '../../src/db/database';
import { openTestPool } from '../helpers/test-database';
import { ArticleRepository } from '../../src/articles/article-repository';
import { ArticleService } from '../../src/articles/article-service';
import { FeedPoller } from '../../src/articles/feed-poller';
import { createLogger } from '../../src/shared/logger';
import { systemClock } from '../../src/shared/clock';
import { startTestBulletin, type TestBulletin, adminAuth, QUIET_SCHEDULES } from '../helpers/test-bulletin';
import { DigestFixtures } from '../helpers/digest-fixtures';
import type { CapturedMail } from '../helpers/smtp-capture';
import { linkIn, relative } from './subscription-test-kit';


// Text an attacker can put into an article: the names of the per-reader links.
const evilUrl = 'https://evil.test/c?u=%%preferencesUrl%%';
const evilTitle = 'Prize for %%unsubscribeUrl%% readers';
const evilSummary = 'Claim it at %%preferencesUrl%% today';

/** Every signed link (`?s=<id>.<hmac>`) in a text, with what stands right before it. */
function signedLinks(text: string): string[] {
  return [...text.matchAll(/.{0,40}\/(?:preferences|unsubscribe)\?s=[\w.-]+/g)].map((m) => m[0]);
}

function expectOutsideTextUntouched(mail: CapturedMail) {
  const html = mail.parsed.html as string;
  const text = mail.parsed.text as string;
  // The article's own words arrive as they were written, in both parts...
  expect(html).toContain(`href="${evilUrl}"`);
  expect(html).toContain(evilTitle);
  expect(html).toContain(evilSummary);
  expect(text).toContain(evilUrl);
  expect(text).toContain(evilTitle);
  expect(text).toContain(evilSummary);
  // ...and the reader's signed links are only where the template put them (the footer).
  expect(html).not.toMatch(/evil\.test\/c\?u=http/);
  expect(signedLinks(html)).toHaveLength(2);
  for (const link of signedLinks(html)) expect(link).toMatch(/href="http:\/\/127\.0\.0\.1:\d+\/(preferences|unsubscribe)\?s=/);
  expect(signedLinks(text)).toHaveLength(2);
  expect(text).toMatch(/Unsubscribe from Daily: http:\/\/127\.0\.0\.1:\d+\/unsubscribe\?s=/);
  expect(text).toMatch(/Manage your newsletters: http:\/\/127\.0\.0\.1:\d+\/preferences\?s=/);
}

describe('article text that looks like a placeholder', () => {
  let app: TestBulletin;
  let fx: DigestFixtures;
  beforeEach(async () => {
    app = await startTestBulletin(QUIET_SCHEDULES);
    fx = new DigestFixtures(app.db.url);
  });
  afterEach(async () => {
    await fx.close();
    await app.stop();
  });

  async function composeAndReceive(reader: { email: string }): Promise<CapturedMail> {
    const res = await request(app.url).post('/api/admin/digests').set(adminAuth).send({ frequency: 'daily' });
    expect(res.status).toBe(201);
    return app.smtp.waitFor((m) => m.to.includes(reader.email));
  }

  test('when an article posted through the admin API names the personal links, then the digest keeps its text and the footer links still work', async () => {
    const [reader] = await fx.subscribers(1);
    const posted = await request(app.url)
      .post('/api/admin/articles')
      .set(adminAuth)
      .send({ title: evilTitle, url: evilUrl, summary: evilSummary, publishedAt: new Date(Date.now() - 60_000).toISOString() });
    expect(posted.status).toBe(201);

    const mail = await composeAndReceive(reader!);
    expectOutsideTextUntouched(mail);
    const preferences = await request(app.url).get(relative(linkIn(mail, '/preferences'))).set('Accept', 'text/html');
    expect(preferences.status).toBe(200);
    expect(preferences.text).toContain(reader!.email);
    const unsubscribe = await request(app.url).get(relative(linkIn(mail, '/unsubscribe'))).set('Accept', 'text/html');
    expect(unsubscribe.status).toBe(200);
  });

  test('when a polled RSS item names the personal links, then the digest keeps its text and the web view fills nothing of it', async () => {
    const [reader] = await fx.subscribers(1);
    const pubDate = new Date(Date.now() - 60_000).toUTCString();
    const feed = `<?xml version="1.0"?><rss version="2.0"><channel><title>Evil</title><link>https://evil.test/</link>
      <item><title>${evilTitle}</title><link>${evilUrl}</link><description>${evilSummary}</description>
      <guid>evil-1</guid><pubDate>${pubDate}</pubDate></item></channel></rss>`;
    const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(feed));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    let db: Database | undefined;
    try {
      db = openTestPool(app.db.url, 2);
      const poller = new FeedPoller({ articles: new ArticleService({ repository: new ArticleRepository({ db }), clock: systemClock }), logger: createLogger('silent') });
      await poller.pollAll([`http://127.0.0.1:${(server.address() as AddressInfo).port}/rss.xml`]);
    } finally {
      await db?.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }

    const mail = await composeAndReceive(reader!);
    expectOutsideTextUntouched(mail);
    const webUrl = /https?:\/\/\S+\/digests\/[\w-]+/.exec(mail.parsed.text as string)![0];
    const webView = await request(app.url).get(relative(webUrl));
    expect(webView.status).toBe(200);
    expect(webView.text).not.toMatch(/evil\.test\/c\?u=http/);
  });
});
