import request from 'supertest';
import { spawnBulletin, type BulletinProcess } from '../helpers/spawn-bulletin';
import { SmtpCapture, type CapturedMail } from '../helpers/smtp-capture';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const SECRET_KEY = 'public-url-secret-key-0123456789abcdef0123';
const ADMIN_TOKEN = 'public-url-admin-token-0123456789';

/** The link is the server's home page or a page under it. */
const under = (base: string) => (link: string) => link === base || link.startsWith(`${base}/`);

/** Every http(s) link in the email's HTML and text parts. */
function linksIn(mail: CapturedMail): string[] {
  const all = `${mail.parsed.html || ''}\n${mail.parsed.text ?? ''}`.match(/https?:\/\/[^\s<>"']+/g) ?? [];
  // The articles' own links point to the news site.
  return all.filter((u) => !u.startsWith('https://news.example/'));
}

describe('links without PUBLIC_URL', () => {
  let db: TestDatabase;
  let smtp: SmtpCapture;
  let app: BulletinProcess | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    smtp = await new SmtpCapture().start();
  });
  afterAll(async () => {
    app?.child.kill('SIGTERM');
    await app?.exited;
    await smtp.stop();
    await db.drop();
  });

  test('when PORT=0 and PUBLIC_URL is unset, then the start-up log names the port taken and every emailed link leads there', async () => {
    app = spawnBulletin({ DATABASE_URL: db.url, SMTP_URL: smtp.url, SECRET_KEY, ADMIN_TOKEN, PORT: '0' });
    const running = await app.waitForLog('Bulletin is running', 60_000);
    const publicUrl = running.publicUrl as string;
    expect(publicUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(publicUrl).not.toBe('http://127.0.0.1:0');
    expect(running.url).toBe(publicUrl);
    const http = request(publicUrl);

    const email = `port-${Date.now()}@example.org`;
    await http.post('/subscribe').send({ email, frequency: 'daily' }).expect(202);
    const confirmMail = await smtp.waitFor((m) => m.to.includes(email) && /confirm/i.test(m.parsed.subject ?? ''));
    const confirmLinks = linksIn(confirmMail);
    expect(confirmLinks.length).toBeGreaterThan(0);
    expect(confirmLinks.filter((l) => !under(publicUrl)(l))).toEqual([]);

    // Follow the emailed link itself: it reaches this server.
    const confirmUrl = confirmLinks.find((l) => new URL(l).pathname === '/confirm')!;
    const page = await request(confirmUrl).get('').expect(200);
    const token = /name="token" value="([^"]+)"/.exec(page.text)![1]!;
    await http.post('/confirm').type('form').send({ token }).expect(200);

    const welcome = await smtp.waitFor((m) => m.to.includes(email) && /welcome/i.test(m.parsed.subject ?? ''));
    const welcomeLinks = linksIn(welcome);
    expect(welcomeLinks.some((l) => new URL(l).pathname === '/preferences')).toBe(true);
    expect(welcomeLinks.filter((l) => !under(publicUrl)(l))).toEqual([]);
    const preferences = welcomeLinks.find((l) => new URL(l).pathname === '/preferences')!;
    expect((await request(preferences).get('')).status).toBe(200);

    const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    await http
      .post('/api/admin/articles')
      .set(admin)
      .send({ title: 'Port story', url: 'https://news.example/port-story', publishedAt: new Date(Date.now() - 60_000).toISOString() })
      .expect(201);
    const composed = await http.post('/api/admin/digests').set(admin).send({ frequency: 'daily' }).expect(201);
    expect(composed.body.digest.webUrl.startsWith(`${publicUrl}/digests/`)).toBe(true);
    const digest = await smtp.waitFor((m) => m.to.includes(email) && /Port story/.test(m.parsed.subject ?? ''));
    const digestLinks = linksIn(digest);
    expect(digestLinks.some((l) => l.startsWith(`${publicUrl}/digests/`))).toBe(true);
    expect(digestLinks.filter((l) => !under(publicUrl)(l))).toEqual([]);
    const webPage = await http.get(new URL(composed.body.digest.webUrl).pathname).expect(200);
    expect(webPage.text).toContain(`${publicUrl}/manage`);
  }, 90_000);
});
