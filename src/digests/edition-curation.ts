/**
 * An editor's curation of a digest newsletter's next edition, as pure functions: where each of the
 * window's articles stands (pinned, in the editor's order, beyond the cut, dropped) and what one
 * editing action does to that. The composer and the console page use the same arrangement, so
 * the page shows exactly what the edition will hold. See docs/curation.md.
 */

/** What an editor decided; article ids only, so an article edited since shows its new title. */
export interface CurationChoice {
  /** Ids as arranged, pinned ones first, dropped ones last. */
  order: readonly number[];
  pinned: readonly number[];
  dropped: readonly number[];
}

/** An article of the window as it stands in the arrangement. */
export interface Arranged<A> {
  article: A;
  pinned: boolean;
  dropped: boolean;
  /** In the edition: not dropped and within the newsletter's most articles (pinned ones always). */
  included: boolean;
  /** Came after the curation was saved (not in its order): placed after the arranged ones. */
  arrivedLater: boolean;
  /** Its place in the edition as composed (0: the newest). */
  composedRank: number;
}

/**
 * The window's articles (`candidates`, newest first, as composed) in the curation's order: pinned
 * ones first, then the rest of the editor's order, then articles the editor has not seen (newest
 * first), then the dropped ones. The first `maxArticles` that are not dropped are included, and a
 * pinned article always is (pinning is limited to `maxArticles`, but the newsletter's limit may be
 * lowered later). Ids of articles gone from the window (deleted) are ignored. No curation: the
 * edition as composed.
 */
export function arrange<A extends { id: number }>(candidates: readonly A[], choice: CurationChoice | undefined, maxArticles: number): Arranged<A>[] {
  const byId = new Map(candidates.map((a) => [a.id, a]));
  const rank = new Map(candidates.map((a, i) => [a.id, i]));
  const pinned = new Set(choice?.pinned ?? []);
  const dropped = new Set(choice?.dropped ?? []);
  const seen = new Set<number>();
  const known: A[] = [];
  for (const id of choice?.order ?? []) {
    const article = byId.get(id);
    if (article && !seen.has(id)) {
      seen.add(id);
      known.push(article);
    }
  }
  const later = candidates.filter((a) => !seen.has(a.id));
  const isPinned = (a: A) => pinned.has(a.id) && !dropped.has(a.id);
  const groups = [
    known.filter(isPinned),
    known.filter((a) => !isPinned(a) && !dropped.has(a.id)),
    later.filter((a) => !dropped.has(a.id)),
    [...known, ...later].filter((a) => dropped.has(a.id)),
  ];
  const room = Math.max(maxArticles, groups[0]!.length);
  let kept = 0;
  return groups.flat().map((article) => {
    const isDropped = dropped.has(article.id);
    const included = !isDropped && kept++ < room;
    return { article, pinned: isPinned(article), dropped: isDropped, included, arrivedLater: !!choice && !seen.has(article.id), composedRank: rank.get(article.id)! };
  });
}

/** The articles an edition is made of: the included ones, in order. */
export function curatedArticles<A extends { id: number }>(candidates: readonly A[], choice: CurationChoice | undefined, maxArticles: number): A[] {
  return arrange(candidates, choice, maxArticles)
    .filter((a) => a.included)
    .map((a) => a.article);
}

export const CURATION_MOVES = ['up', 'down', 'pin', 'unpin', 'drop', 'restore'] as const;
export type CurationMove = (typeof CURATION_MOVES)[number];

/** A move refused because of what it asks (the route shows it beside the list). */
export class RefusedMove extends Error {}

/**
 * The choice after one move on the arrangement as it stands. Up and down swap an article with its
 * neighbour in its group (pinned ones among themselves, the others across the cut); pin puts it
 * last of the pinned, unpin first of the rest; drop sends it to the dropped; restore puts it back
 * among the rest where the composed order (newest first) places it. At most `maxArticles` pinned.
 */
export function move<A extends { id: number }>(arranged: readonly Arranged<A>[], kind: CurationMove, articleId: number, maxArticles: number): CurationChoice {
  const target = arranged.find((a) => a.article.id === articleId);
  if (!target) throw new RefusedMove(`Article ${articleId} is not in the next edition (deleted, or sent in an earlier one).`);
  const pinned = arranged.filter((a) => a.pinned);
  const rest = arranged.filter((a) => !a.pinned && !a.dropped);
  const dropped = arranged.filter((a) => a.dropped);
  const without = (list: Arranged<A>[]) => list.filter((a) => a !== target);
  let groups = { pinned, rest, dropped };
  switch (kind) {
    case 'up':
    case 'down': {
      const group = target.pinned ? pinned : target.dropped ? dropped : rest;
      const at = group.indexOf(target);
      const to = kind === 'up' ? at - 1 : at + 1;
      if (to >= 0 && to < group.length) [group[at], group[to]] = [group[to]!, group[at]!];
      break;
    }
    case 'pin':
      if (target.pinned) break;
      if (pinned.length >= maxArticles) {
        throw new RefusedMove(`At most ${maxArticles} articles can be pinned: that is all this newsletter's edition holds.`);
      }
      groups = { pinned: [...pinned, { ...target, pinned: true, dropped: false }], rest: without(rest), dropped: without(dropped) };
      break;
    case 'unpin':
      if (target.pinned) groups = { pinned: without(pinned), rest: [{ ...target, pinned: false }, ...rest], dropped };
      break;
    case 'drop':
      if (!target.dropped) groups = { pinned: without(pinned), rest: without(rest), dropped: [...dropped, { ...target, pinned: false, dropped: true }] };
      break;
    case 'restore':
      if (target.dropped) groups = { pinned, rest: inComposedPlace(rest, { ...target, dropped: false }), dropped: without(dropped) };
      break;
  }
  const order = [...groups.pinned, ...groups.rest, ...groups.dropped].map((a) => a.article.id);
  return { order, pinned: groups.pinned.map((a) => a.article.id), dropped: groups.dropped.map((a) => a.article.id) };
}

/** `item` inserted before the first of `list` that comes after it in the composed order. */
function inComposedPlace<A extends { id: number }>(list: Arranged<A>[], item: Arranged<A>): Arranged<A>[] {
  const at = list.findIndex((a) => a.composedRank > item.composedRank);
  return at < 0 ? [...list, item] : [...list.slice(0, at), item, ...list.slice(at)];
}

/** Most characters of an editor's note: a few sentences above the stories. */
export const NOTE_MAX = 500;

/** The note as stored: line ends made \n, other control characters removed, blank space around it trimmed. */
export function cleanNote(raw: string): string {
  // eslint-disable-next-line no-control-regex
  return raw.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '').replace(/[ \t]+\n/g, '\n').trim();
}

/** The note's paragraphs (split at blank lines), each a list of its lines: what the email shows. */
export function noteParagraphs(note: string): string[][] {
  return note
    .split(/\n\s*\n/)
    .map((p) => p.split('\n').map((line) => line.trim()).filter(Boolean))
    .filter((p) => p.length);
}
