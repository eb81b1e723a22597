import path from 'node:path';
import { DigestRenderer } from '../../src/digests/digest-renderer';
import { arrange, cleanNote, curatedArticles, move, noteParagraphs, RefusedMove, type CurationChoice } from '../../src/digests/edition-curation';
import { Templates } from '../../src/mail/templates';

/** Articles 1..n, newest first as the window reads them (1 is the newest). */
const window = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i + 1, publishedAt: new Date(Date.UTC(2026, 10, 30, 12) - i * 60_000) }));
const ids = (list: { id: number }[]) => list.map((a) => a.id);
const choice = (c: Partial<CurationChoice>): CurationChoice => ({ order: [], pinned: [], dropped: [], ...c });

describe('applying a curation to the next edition', () => {
  test('when there is no curation, then the edition is the newest maxArticles, as composed', () => {
    expect(ids(curatedArticles(window(5), undefined, 3))).toEqual([1, 2, 3]);
    expect(arrange(window(2), undefined, 3).map((a) => a.arrivedLater)).toEqual([false, false]);
  });

  test('when the editor reordered, pinned and dropped, then pinned come first, then their order, the dropped are out, and the cut comes after', () => {
    const c = choice({ order: [4, 2, 5, 1, 3], pinned: [5], dropped: [2] });
    expect(ids(curatedArticles(window(5), c, 3))).toEqual([5, 4, 1]);
    const arranged = arrange(window(5), c, 3);
    expect(arranged.map((a) => [a.article.id, a.pinned, a.dropped, a.included])).toEqual([
      [5, true, false, true],
      [4, false, false, true],
      [1, false, false, true],
      [3, false, false, false],
      [2, false, true, false],
    ]);
  });

  test('when an article beyond the cut is moved into it, then it is in the edition and the last one goes out', () => {
    // As composed: 1, 2, 3 | 4, 5. The editor moves 4 above 3.
    const arranged = arrange(window(5), undefined, 3);
    const next = move(arranged, 'up', 4, 3);
    expect(next.order).toEqual([1, 2, 4, 3, 5]);
    expect(ids(curatedArticles(window(5), next, 3))).toEqual([1, 2, 4]);
  });

  test('when articles arrive after the curation, then they follow the arranged ones, newest first, and may fall beyond the cut', () => {
    const c = choice({ order: [3, 2] });
    // 1 arrived later (it is the newest of the window now): after the editor's 3 and 2.
    const arranged = arrange(window(3), c, 2);
    expect(arranged.map((a) => [a.article.id, a.arrivedLater, a.included])).toEqual([
      [3, false, true],
      [2, false, true],
      [1, true, false],
    ]);
  });

  test('when an arranged article was deleted since, then it is ignored, and the rest keeps its order', () => {
    const c = choice({ order: [9, 3, 1], pinned: [9], dropped: [] });
    expect(ids(curatedArticles(window(3), c, 5))).toEqual([3, 1, 2]);
  });

  test('when more are pinned than the newsletter holds (its limit lowered since), then every pinned one stays in', () => {
    const c = choice({ order: [3, 2, 1, 4], pinned: [1, 2, 3] });
    expect(ids(curatedArticles(window(4), c, 2))).toEqual([3, 2, 1]);
  });

  test('when every article is dropped, then the edition has none', () => {
    expect(curatedArticles(window(2), choice({ order: [1, 2], dropped: [1, 2] }), 5)).toEqual([]);
  });
});

describe('moves on the curation page', () => {
  const start = () => arrange(window(4), undefined, 3);

  test('when an article is moved up or down at the edge of its group, then nothing changes', () => {
    expect(move(start(), 'up', 1, 3).order).toEqual([1, 2, 3, 4]);
    expect(move(start(), 'down', 4, 3).order).toEqual([1, 2, 3, 4]);
    expect(move(start(), 'down', 2, 3).order).toEqual([1, 3, 2, 4]);
  });

  test('when an article is pinned, then it goes last of the pinned; unpinned, first of the rest', () => {
    const pinned = move(start(), 'pin', 3, 3);
    expect(pinned).toEqual({ order: [3, 1, 2, 4], pinned: [3], dropped: [] });
    const two = move(arrange(window(4), pinned, 3), 'pin', 4, 3);
    expect(two).toEqual({ order: [3, 4, 1, 2], pinned: [3, 4], dropped: [] });
    // A pinned article moves among the pinned only.
    expect(move(arrange(window(4), two, 3), 'down', 4, 3).order).toEqual([3, 4, 1, 2]);
    expect(move(arrange(window(4), two, 3), 'unpin', 3, 3)).toEqual({ order: [4, 3, 1, 2], pinned: [4], dropped: [] });
  });

  test('when more than maxArticles would be pinned, then the move is refused', () => {
    let c = move(start(), 'pin', 1, 2);
    c = move(arrange(window(4), c, 2), 'pin', 2, 2);
    expect(() => move(arrange(window(4), c, 2), 'pin', 3, 2)).toThrow(RefusedMove);
  });

  test('when a pinned article is dropped and restored, then it is unpinned and back where the composed order puts it', () => {
    const arranged = arrange(window(4), choice({ order: [4, 3, 1, 2], pinned: [4] }), 3);
    const dropped = move(arranged, 'drop', 4, 3);
    expect(dropped).toEqual({ order: [3, 1, 2, 4], pinned: [], dropped: [4] });
    // 2 is newer than 3 in the composed order: restored 2 goes before 3 wherever the editor put 3.
    const restored = move(arrange(window(4), move(arrange(window(4), dropped, 3), 'drop', 2, 3), 3), 'restore', 2, 3);
    expect(restored).toEqual({ order: [2, 3, 1, 4], pinned: [], dropped: [4] });
  });

  test('when the article is not in the next edition, then the move is refused', () => {
    expect(() => move(start(), 'up', 99, 3)).toThrow(/not in the next edition/);
  });
});

describe('the editor\'s note', () => {
  test('when a note is cleaned, then line ends are \\n, control characters go and blank space around it is trimmed', () => {
    expect(cleanNote('  Dear readers,\r\nthe storm\u0007 passed.  \r\n\r\nMore tomorrow.\t\n ')).toBe('Dear readers,\nthe storm passed.\n\nMore tomorrow.');
    expect(noteParagraphs('Dear readers,\nthe storm passed.\n\n\nMore tomorrow.')).toEqual([['Dear readers,', 'the storm passed.'], ['More tomorrow.']]);
  });

  test('when a digest has a note, then it opens both parts, escaped in the HTML, and fills the preview line', () => {
    const renderer = new DigestRenderer({ templates: new Templates(path.resolve(__dirname, '../../templates')), publicUrl: 'https://news.test', listName: 'The Courier' });
    const article = { id: 1, title: 'Harbour reopens', url: 'https://news.test/h', summary: null, author: null, imageUrl: null, categories: [], publishedAt: new Date('2026-11-28T06:05:00Z') };
    const input = { newsletter: { name: 'Daily', timeZone: 'UTC', replyTo: null }, editionAt: new Date('2026-11-28T07:00:00Z'), publicId: 'p'.repeat(22), articles: [article] };
    const { html, text } = renderer.render({ ...input, note: 'Good morning <b>all</b> & welcome,\nfrom the desk.\n\nSee you tomorrow.' });
    expect(html).toContain('Good morning &lt;b&gt;all&lt;/b&gt; &amp; welcome,<br>from the desk.');
    expect(html).not.toContain('<b>all</b>');
    expect(html.indexOf('Editor&#39;s note') >= 0 || html.indexOf("Editor's note") >= 0).toBe(true);
    expect(html.indexOf('See you tomorrow.')).toBeLessThan(html.indexOf('Harbour reopens</a>'));
    expect(html).toMatch(/class="preheader"[^>]*>Good morning &lt;b&gt;all/);
    expect(text).toContain("EDITOR'S NOTE\nGood morning <b>all</b> & welcome,\nfrom the desk.\n\nSee you tomorrow.\n\n");
    expect(text.indexOf('See you tomorrow.')).toBeLessThan(text.indexOf('Harbour reopens'));
    // Without a note, no trace of one.
    const plain = renderer.render(input);
    expect(plain.text).not.toContain("EDITOR'S NOTE");
    expect(plain.html).not.toContain('class="note');
  });
});
