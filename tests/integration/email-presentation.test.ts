import { startTestBulletin, type TestBulletin } from '../helpers/test-bulletin';
import { editorsNote, morningArticles, newsroomEnv, receiveEveryEmail, type EmailKind } from '../helpers/every-email';
import type { CapturedMail } from '../helpers/smtp-capture';

const env = {
  ...newsroomEnv,
  MAIL_FROM: 'Tom & Jerry Times <news@tj.example>',
  MAIL_POSTAL_ADDRESS: 'Tom & Jerry Times Ltd, 5 Quay Street, Bristol BS1 4DB, United Kingdom',
  MAIL_REPLY_TO: 'Letters desk <letters@tj.example>',
  MAIL_LOGO_URL: 'https://tj.example/logo.png',
};
const kinds: EmailKind[] = ['confirmation', 'welcome', 'manage', 'digest', 'alert'];

describe('what every email looks like in an inbox', () => {
  let app: TestBulletin;
  let emails: Record<EmailKind, CapturedMail>;
  beforeAll(async () => {
    app = await startTestBulletin(env);
    emails = await receiveEveryEmail(app);
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  test.each(kinds)('when a %s email arrives, then its plain text reads "Tom & Jerry" and its HTML escapes it', (kind) => {
    const { text, html } = emails[kind].parsed;
    expect(text).toContain('Tom & Jerry Times');
    expect(text).not.toMatch(/&amp;|&#39;|&quot;|&lt;|&gt;/);
    expect(html).toContain('Tom &amp; Jerry Times');
  });

  test.each(kinds)('when a %s email arrives, then its footer carries the postal address and replies go to MAIL_REPLY_TO', (kind) => {
    const mail = emails[kind];
    expect(mail.header('Reply-To')).toHaveLength(1);
    expect(mail.parsed.replyTo?.value).toEqual([{ name: 'Letters desk', address: 'letters@tj.example' }]);
    expect(mail.parsed.text).toContain(env.MAIL_POSTAL_ADDRESS);
    expect(mail.parsed.html).toMatch(/<p class="address"[^>]*>Tom &amp; Jerry Times Ltd, 5 Quay Street, Bristol BS1 4DB, United Kingdom<\/p>/);
  });

  test.each(kinds)('when a %s email arrives, then it declares light and dark colour schemes and styles the dark one', (kind) => {
    const html = emails[kind].parsed.html as string;
    expect(html).toContain('<meta name="color-scheme" content="light dark">');
    expect(html).toContain('<meta name="supported-color-schemes" content="light dark">');
    expect(html).toMatch(/@media \(prefers-color-scheme: dark\) \{[^}]*background: #[0-9a-f]{6} !important/);
    // The hidden preview line has no colour of its own (SpamAssassin: HTML_FONT_LOW_CONTRAST).
    expect(html).toMatch(/<div class="preheader" style="display: none;[^"]*"/);
    expect(html).not.toMatch(/<div class="preheader" style="[^"]*color/);
  });

  test.each(kinds)('when a %s email arrives, then its masthead shows the configured logo named after the newsletter', (kind) => {
    expect(emails[kind].parsed.html).toMatch(/<img class="logo" src="https:\/\/tj\.example\/logo\.png" alt="Tom &amp; Jerry Times" width="200"/);
  });

  test('when the digest arrives, then its subject leads with the top story and fits a phone', () => {
    const subject = emails.digest.parsed.subject as string;
    expect(subject).toBe('Tom & Jerry statue unveiled on the harbour front… · Tom & Jerry Times Daily');
    expect(subject.length).toBeLessThanOrEqual(78);
  });

  test('when the digest arrives, then every image names its headline and has valid size attributes', () => {
    const html = emails.digest.parsed.html as string;
    const images = html.match(/<img [^>]*>/g) ?? [];
    const articleImages = images.filter((img) => !img.includes('class="logo"'));
    // The lead story's large image, then the second story's thumbnail (the third has no image).
    expect(articleImages).toHaveLength(2);
    expect(articleImages[0]).toContain(`alt="${morningArticles[0]!.title.replace('&', '&amp;')}"`);
    expect(articleImages[0]).toContain('width="536"');
    expect(articleImages[1]).toContain(`alt="${morningArticles[1]!.title}"`);
    expect(articleImages[1]).toContain('width="120"');
    for (const img of images) {
      expect(img).toMatch(/ width="\d+"/);
      expect(img).not.toMatch(/ height=/);
    }
  });

  test('when the digest arrives, then the lead story stands out: a large image and the one top-level headline', () => {
    const html = emails.digest.parsed.html as string;
    expect(html.match(/<h1 /g)).toHaveLength(1);
    expect(html).toMatch(/<td class="article lead-story"[^>]*>\s*<a [^>]*><img class="lead-image"[^>]* width="536"/);
    expect(html).toMatch(/<h1 class="title" style="[^"]*font-size: 30px/);
    expect(html.match(/<h2 class="title" style="[^"]*font-size: 20px/g)).toHaveLength(morningArticles.length - 1);
    expect(emails.digest.parsed.text).toMatch(/TOP STORY · LOCAL\nTom & Jerry statue/);
  });

  test('when the digest was curated with a note, then the note opens it, before the stories, in both parts and in the inbox preview', () => {
    const html = emails.digest.parsed.html as string;
    const [first, second] = editorsNote.split('\n\n') as [string, string];
    expect(html).toMatch(/<div class="preheader"[^>]*>Good morning\. The harbour statue/);
    expect(html.indexOf(second)).toBeGreaterThan(html.indexOf(first));
    expect(html.indexOf(second)).toBeLessThan(html.indexOf('<td class="article lead-story"'));
    const text = emails.digest.parsed.text as string;
    expect(text).toContain(`EDITOR'S NOTE\n${first}\n\n${second}\n\n`);
    expect(text.indexOf(second)).toBeLessThan(text.indexOf('TOP STORY'));
  });
});
