import path from 'node:path';
import { Templates } from '../../src/mail/templates';
import { AlertRenderer } from '../../src/digests/alert-renderer';
import { DigestRenderer } from '../../src/digests/digest-renderer';

// No MAIL_REPLY_TO in the brand: only a newsletter's own Reply-To can make the footer invite replies.
const templates = new Templates(path.resolve(__dirname, '../../templates'));
const deps = { templates, publicUrl: 'https://news.test', listName: 'The Courier' };
const article = {
  id: 1,
  title: '  Storm\n closes   the harbour ',
  url: 'https://news.test/storm',
  summary: 'Ferries stop.',
  author: ' Ana\tRuiz ',
  imageUrl: 'javascript:alert(1)',
  categories: ['Weather'],
  publishedAt: new Date('2026-11-28T06:05:00Z'),
  breaking: true,
};
const renderAlert = (replyTo: string | null) =>
  new AlertRenderer(deps).render({ newsletter: { name: 'Alerts', timeZone: 'Europe/Berlin', replyTo }, article, publicId: 'p'.repeat(22) });
const renderDigest = (replyTo: string | null) =>
  new DigestRenderer(deps).render({ newsletter: { name: 'Daily', timeZone: 'Europe/Berlin', replyTo }, editionAt: new Date('2026-11-28T07:00:00Z'), publicId: 'p'.repeat(22), articles: [article] });

describe('digests and alerts render the shared parts alike', () => {
  test.each([
    ['an alert', renderAlert],
    ['a digest', renderDigest],
  ])('when %s belongs to a newsletter with its own Reply-To, then its footer invites replies; without one it does not', (_kind, render) => {
    expect(render('desk@news.test').text).toContain('Reply to this email');
    expect(render(null).text).not.toContain('Reply to this email');
  });

  test.each([
    ['an alert', renderAlert],
    ['a digest', renderDigest],
  ])('when %s shows an article, then its text is on one line, its time in the newsletter zone, and a non-http image is left out', (_kind, render) => {
    const { html, text } = render(null);
    expect(text).toContain('Storm closes the harbour');
    expect(text).toContain('By Ana Ruiz · 28 Nov, 07:05');
    expect(html).not.toContain('javascript:');
  });
});
