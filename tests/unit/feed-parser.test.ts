import fs from 'node:fs';
import path from 'node:path';
import { FeedParseError, parseFeed } from '../../src/articles/feed-parser';
import { articleInputSchema } from '../../src/articles/article-input';
import { toSummary, SUMMARY_MAX_LENGTH } from '../../src/articles/plain-text';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'feeds', name), 'utf8');

describe('feed parser', () => {
  test('when an RSS 2.0 feed is parsed, then guid, link, creator, date, categories and image are read', () => {
    const items = parseFeed(fixture('rss.xml'), { baseUrl: 'https://news.example/feed.xml' });
    expect(items).toHaveLength(3);
    expect(items[0]).toEqual({
      sourceId: 'gazette-1001',
      title: 'Ferry timetable changes for the summer season',
      url: 'https://news.example/transport/ferry-summer-timetable',
      summary: expect.stringContaining('<strong>harbour ferry</strong>'),
      author: 'Maria Lindqvist',
      imageUrl: 'https://news.example/img/ferry.jpg',
      publishedAt: '2024-06-03T06:30:00.000Z',
      categories: ['Transport', 'Harbour'],
    });
  });

  test('when an RSS item has no guid, then its link (made absolute) is its identity', () => {
    const [, library] = parseFeed(fixture('rss.xml'), { baseUrl: 'https://news.example/feed.xml' });
    expect(library).toMatchObject({
      sourceId: 'https://news.example/culture/library-hours',
      url: 'https://news.example/culture/library-hours',
      title: 'Library extends opening hours & adds a reading café',
      imageUrl: 'https://news.example/img/library.png',
    });
  });

  test('when a feed is read from a file (no feed URL), then relative links resolve against the channel link', () => {
    const [, library] = parseFeed(fixture('rss.xml'));
    expect(library!.url).toBe('https://news.example/culture/library-hours');
  });

  test('when an RSS author is an email with a name, then only the name is kept', () => {
    const [, library] = parseFeed(fixture('rss.xml'));
    expect(library!.author).toBe('Jonas Berg');
    const [bare] = parseFeed('<rss><channel><item><link>https://a.example/</link><author>x@a.example</author></item></channel></rss>');
    expect(bare!.author).toBeUndefined();
  });

  test('when an Atom feed is parsed, then id, alternate link, author, published, terms and images are read', () => {
    const [derby, regatta] = parseFeed(fixture('atom.xml'));
    expect(derby).toMatchObject({
      sourceId: 'tag:news.example,2024:sports-2001',
      url: 'https://news.example/sports/derby-win',
      author: 'Ali Haddad',
      imageUrl: 'https://news.example/img/derby.jpg',
      publishedAt: '2024-06-03T09:15:00.000Z',
      categories: ['Sports', 'Football'],
    });
    // No published: updated; no entry author: the feed's; media:thumbnail as image; content as summary.
    expect(regatta).toMatchObject({
      author: 'Sports Desk',
      publishedAt: '2024-06-02T18:00:00.000Z',
      imageUrl: 'https://news.example/img/regatta-thumb.jpg',
      summary: '<p>Gusts of 20 m/s made racing unsafe.</p>',
    });
  });

  test('when feed items pass the article schema, then titles and summaries become plain text', () => {
    const [derby] = parseFeed(fixture('atom.xml'));
    const article = articleInputSchema.parse(derby);
    expect(article.title).toBe('Harbor FC wins the derby 3–1');
    expect(article.summary).toBe('A late double settles a tense match at the Quay Ground.');
  });

  test('when the XML is broken, then a FeedParseError is thrown', () => {
    expect(() => parseFeed(fixture('broken.xml'))).toThrow(FeedParseError);
  });

  test('when the document is XML but not a feed, then a FeedParseError is thrown', () => {
    expect(() => parseFeed('<html><body>hello</body></html>')).toThrow(/neither an RSS nor an Atom/);
  });

  test('when a DOCTYPE defines expanding entities, then parsing stays bounded', () => {
    const lol = '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">';
    const doc = `<?xml version="1.0"?><!DOCTYPE rss [${lol}]><rss><channel><item><title>&c;&c;&c;&c;&c;</title><link>https://a.example/</link></item></channel></rss>`;
    let title: string | undefined;
    try {
      title = parseFeed(doc)[0]?.title;
    } catch (err) {
      expect(err).toBeInstanceOf(Error);
    }
    expect((title ?? '').length).toBeLessThan(10_000);
  });

  test('when a summary is long, then it is cut at a word boundary with an ellipsis', () => {
    const summary = toSummary(`<p>${'word '.repeat(400)}</p>`);
    expect(summary.length).toBeLessThanOrEqual(SUMMARY_MAX_LENGTH);
    expect(summary).toMatch(/word…$/);
  });

  test('when a feed item holds NUL and other control characters, then they are removed and the item is still valid', () => {
    const xml = `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://news.example/</link>
      <item><title>Bridge&#0;opens\u0001 now</title><link>https://news.example/a&#0;b</link><guid>g\u00001</guid>
      <description>Sum\u0000mary</description><author>ed@news.example (Ann\u0000)</author><category>Har\u0000bour</category></item></channel></rss>`;
    const [item] = parseFeed(xml);
    expect(item).toMatchObject({ sourceId: 'g1', title: 'Bridgeopens now', url: 'https://news.example/ab', summary: 'Summary', categories: ['Harbour'] });
    expect(JSON.stringify(item)).not.toMatch(/\\u000[01]/);
    expect(articleInputSchema.safeParse(item).success).toBe(true);
  });

  test('when an article posted or imported holds a NUL byte, then validation names the field', () => {
    const parsed = articleInputSchema.safeParse({ title: 'Bridge\u0000', url: 'https://news.example/a' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['title', 'must not contain control characters (such as NUL)']]);
  });
});
