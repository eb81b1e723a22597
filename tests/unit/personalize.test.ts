import path from 'node:path';
import { simpleParser } from 'mailparser';
import { compileStored, escapeHtml, Placeholders } from '../../src/mail/personalize';
import { PreparedDigestMime } from '../../src/mail/digest-mime';
import { Templates } from '../../src/mail/templates';
import { DigestRenderer, digestRecipient, PERSONAL_LINKS } from '../../src/digests/digest-renderer';
import { SignedLinks } from '../../src/shared/signed-links';

const templates = new Templates(path.resolve(__dirname, '../../templates'));
const links = { unsubscribeUrl: 'https://news.test/unsubscribe?s=7.SIGNED', preferencesUrl: 'https://news.test/preferences?s=7.SIGNED' };

function renderDigest() {
  const renderer = new DigestRenderer({ templates, publicUrl: 'https://news.test', listName: 'The Courier' });
  return renderer.render({
    newsletter: { name: 'Daily', timeZone: 'UTC', replyTo: null },
    editionAt: new Date('2026-11-28T07:00:00Z'),
    publicId: 'p'.repeat(22),
    articles: [
      {
        id: 1,
        title: 'Win %%unsubscribeUrl%% now',
        url: 'https://evil.test/c?u=%%preferencesUrl%%',
        summary: 'See %%preferencesUrl%%',
        author: null,
        imageUrl: null,
        categories: [],
        publishedAt: new Date('2026-11-28T06:00:00Z'),
      },
    ],
  });
}

describe('placeholders', () => {
  test('when a template holds look-alikes (plain names, another render\'s nonce), then only its own set is filled', () => {
    const mine = Placeholders.create();
    const other = Placeholders.create();
    const template = `a ${mine.token('x')} b %%x%% c ${other.token('x')} d ${mine.token('x')}`;
    expect(mine.compile(template)({ x: 'V' })).toBe(`a V b %%x%% c ${other.token('x')} d V`);
  });

  test('when two renders are made, then their nonces differ', () => {
    expect(Placeholders.create().token('x')).not.toBe(Placeholders.create().token('x'));
  });

  test('when a sealed document is filled for the web view, then its declaration is gone and article text is kept', () => {
    const { html } = renderDigest();
    const filled = compileStored(html, escapeHtml)(links);
    expect(filled.startsWith('<!doctype html>')).toBe(true);
    expect(filled).toContain('href="https://evil.test/c?u=%%preferencesUrl%%"');
    expect(filled.match(/SIGNED/g)).toHaveLength(2);
  });

  test('when a digest stored before the upgrade (plain %%name%%) is sent, then only its footer receives the links', async () => {
    const { subject, html, text } = renderDigest();
    // What the previous renderer stored: the same templates, with plain %%name%% placeholders.
    const legacy = (doc: string) => {
      const sealed = Placeholders.unseal(doc)!;
      return sealed.body.replaceAll(`:${sealed.placeholders.nonce}%%`, '%%');
    };
    const prepared = new PreparedDigestMime({ from: 'The Courier <news@news.test>', listId: 'news.test' }, { subject, html: legacy(html), text: legacy(text) });
    const mail = await simpleParser(prepared.fill({ to: 'reader@example.test', values: links, listUnsubscribe: links.unsubscribeUrl }).raw);

    expect(mail.html).toContain('href="https://evil.test/c?u=%%preferencesUrl%%"');
    expect(mail.html).toContain('Win %%unsubscribeUrl%% now');
    expect(mail.html).toContain('href="https://news.test/unsubscribe?s=7.SIGNED"');
    expect(mail.html).toContain('href="https://news.test/preferences?s=7.SIGNED"');
    expect((mail.html as string).match(/SIGNED/g)).toHaveLength(2);
    expect(mail.text).toContain('Read more: https://evil.test/c?u=%%preferencesUrl%%');
    expect(mail.text).toContain('See %%preferencesUrl%%');
    expect((mail.text as string).match(/SIGNED/g)).toHaveLength(2);
  });

  test('when a digest declares a value of its own, then the MIME builder fills it by name and List-Unsubscribe takes the URL it is given', async () => {
    const placeholders = Placeholders.create();
    const body = `Hello ${placeholders.token('readerName')}, leave at ${placeholders.token('leaveUrl')}`;
    const prepared = new PreparedDigestMime(
      { from: 'The Courier <news@news.test>', listId: 'news.test' },
      { subject: 'Hi', html: placeholders.seal(`<p>${body}</p>`), text: placeholders.seal(body) },
    );
    const { raw } = prepared.fill({
      to: 'reader@example.test',
      values: { readerName: 'Ada & Bo', leaveUrl: 'https://news.test/bye' },
      listUnsubscribe: 'https://news.test/one-click?s=7',
    });
    const mail = await simpleParser(raw);
    expect(mail.text).toContain('Hello Ada & Bo, leave at https://news.test/bye');
    expect(mail.html).toContain('<p>Hello Ada &amp; Bo, leave at https://news.test/bye</p>');
    expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line).toBe('List-Unsubscribe: <https://news.test/one-click?s=7>');
  });

  test('when a subscriber\'s copy is made, then every declared personal link is theirs, signed for its purpose, the unsubscribe one for the newsletter only', () => {
    const signed = new SignedLinks('k'.repeat(32), 'https://news.test');
    const recipient = digestRecipient('reader@example.test', 7, 3, signed);
    expect(Object.keys(recipient.values).sort()).toEqual(Object.keys(PERSONAL_LINKS).sort());
    for (const [name, purpose] of Object.entries(PERSONAL_LINKS)) {
      const url = new URL(recipient.values[name] ?? '');
      expect(url.pathname).toBe(`/${purpose}`);
      expect(signed.verifyLink(purpose, url.searchParams.get('s'))).toEqual(
        purpose === 'unsubscribe' ? { subscriberId: 7, newsletterId: 3 } : { subscriberId: 7, newsletterId: undefined },
      );
    }
    expect(recipient.listUnsubscribe).toBe(recipient.values.unsubscribeUrl);
  });
});
