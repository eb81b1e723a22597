import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { withoutControlCharacters } from './plain-text';

/**
 * Turns an RSS 2.0 or Atom document into article inputs shaped like the admin API's body, so
 * they pass the same validation (articleInputSchema). Pure: no network, no database.
 */

export interface FeedItemInput {
  sourceId?: string;
  title?: string;
  url?: string;
  summary?: string;
  author?: string;
  imageUrl?: string;
  publishedAt?: string;
  categories: string[];
  /** Set by the poller when a category is one the operator maps to breaking news. */
  breaking?: true;
}

export class FeedParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeedParseError';
  }
}

type Node = Record<string, unknown>;

// Elements that may repeat are always arrays, so one item and many read the same way.
const REPEATED = new Set(['item', 'entry', 'category', 'link', 'author', 'media:content', 'media:thumbnail', 'enclosure', 'media:group', 'dc:subject']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  // Titles like "2024" must stay strings.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => REPEATED.has(name),
  // Entity definitions in a DOCTYPE are capped by the library's defaults (billion-laughs guard).
  processEntities: true,
  htmlEntities: true,
});

/** `baseUrl` (the feed's own URL) and the feed's site link resolve relative links, as feed readers do. */
export function parseFeed(xml: string, opts: { baseUrl?: string } = {}): FeedItemInput[] {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new FeedParseError(`not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`);
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch (err) {
    throw new FeedParseError(`not well-formed XML (${(err as Error).message})`);
  }
  const rss = node(doc.rss) ?? node(doc['rdf:RDF']);
  if (rss) {
    const channel = node(rss.channel) ?? {};
    // RSS 1.0 (RDF) puts items beside the channel.
    const items = nodes(channel.item).length ? nodes(channel.item) : nodes(rss.item);
    const base = siteUrl(text(channel.link), opts.baseUrl);
    return items.map((item) => rssItem(item, base));
  }
  const feed = node(doc.feed);
  if (feed) {
    const feedAuthor = personName(feed.author);
    const site = nodes(feed.link).find((l) => !l['@rel'] || l['@rel'] === 'alternate');
    const base = siteUrl(str(site?.['@href']), opts.baseUrl);
    return nodes(feed.entry).map((entry) => atomEntry(entry, feedAuthor, base));
  }
  throw new FeedParseError('neither an RSS nor an Atom document');
}

/** Relative item links resolve against the site's own link (itself maybe relative to the feed URL). */
function siteUrl(link: string | undefined, feedUrl: string | undefined): string | undefined {
  const resolved = absolute(link, feedUrl);
  return resolved && /^https?:/i.test(resolved) ? resolved : feedUrl;
}

function rssItem(item: Node, baseUrl: string | undefined): FeedItemInput {
  const url = absolute(text(item.link), baseUrl);
  const guid = text(item.guid);
  return compact({
    sourceId: guid ?? url,
    title: text(item.title),
    url,
    summary: text(item.description) ?? text(item['content:encoded']),
    author: text(item['dc:creator']) ?? rssAuthor(item.author),
    imageUrl: rssImage(item, baseUrl),
    publishedAt: isoDate(text(item.pubDate) ?? text(item['dc:date'])),
    categories: terms([...nodesOrText(item.category), ...nodesOrText(item['dc:subject'])]),
  });
}

function atomEntry(entry: Node, feedAuthor: string | undefined, baseUrl: string | undefined): FeedItemInput {
  const links = nodes(entry.link);
  const alternate = links.find((l) => !l['@rel'] || l['@rel'] === 'alternate') ?? links[0];
  const url = absolute(str(alternate?.['@href']), baseUrl);
  const enclosure = links.find((l) => l['@rel'] === 'enclosure' && isImageType(l['@type']));
  return compact({
    sourceId: text(entry.id) ?? url,
    title: text(entry.title),
    url,
    summary: text(entry.summary) ?? text(entry.content),
    author: personName(entry.author) ?? feedAuthor,
    imageUrl: mediaImage(entry, baseUrl) ?? absolute(str(enclosure?.['@href']), baseUrl),
    publishedAt: isoDate(text(entry.published) ?? text(entry.updated)),
    categories: terms(nodes(entry.category).map((c) => str(c['@term']) ?? str(c['@label']) ?? text(c))),
  });
}

function rssImage(item: Node, baseUrl: string | undefined): string | undefined {
  const enclosure = nodes(item.enclosure).find((e) => isImageType(e['@type']));
  return mediaImage(item, baseUrl) ?? absolute(str(enclosure?.['@url']), baseUrl);
}

/** media:content (images only), then media:thumbnail, also inside media:group. */
function mediaImage(item: Node, baseUrl: string | undefined): string | undefined {
  const scopes = [item, ...nodes(item['media:group'])];
  for (const scope of scopes) {
    const content = nodes(scope['media:content']).find(
      (m) => m['@medium'] === 'image' || isImageType(m['@type']) || (!m['@medium'] && !m['@type']),
    );
    const url = str(content?.['@url']) ?? str(nodes(scope['media:thumbnail'])[0]?.['@url']);
    if (url) return absolute(url, baseUrl);
  }
  return undefined;
}

/** RSS <author> is an email, often "jane@example.com (Jane Doe)": keep the name, never the address. */
function rssAuthor(value: unknown): string | undefined {
  const raw = text(Array.isArray(value) ? value[0] : value);
  if (!raw) return undefined;
  const named = /\(([^)]+)\)\s*$/.exec(raw)?.[1];
  if (named) return named.trim();
  return raw.includes('@') ? undefined : raw;
}

function personName(value: unknown): string | undefined {
  const people = Array.isArray(value) ? value : value === undefined ? [] : [value];
  const names = people.map((p) => text(node(p)?.name) ?? text(p)).filter((n): n is string => !!n);
  return names.length ? names.join(', ') : undefined;
}

function terms(values: Array<string | undefined>): string[] {
  return [...new Set(values.map((v) => v?.trim()).filter((v): v is string => !!v))];
}

function nodesOrText(value: unknown): Array<string | undefined> {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(text);
}

function isoDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

function absolute(url: string | undefined, baseUrl: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url, baseUrl).toString();
  } catch {
    return url; // left for validation to reject with a clear reason
  }
}

function isImageType(type: unknown): boolean {
  return typeof type === 'string' && type.toLowerCase().startsWith('image/');
}

/** Text of an element, with or without attributes (`#text`), CDATA already merged in. */
function text(value: unknown): string | undefined {
  if (Array.isArray(value)) return text(value[0]);
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number') return String(value);
  const n = node(value);
  return n ? text(n['#text']) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

function node(value: unknown): Node | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Node) : undefined;
}

function nodes(value: unknown): Node[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map(node).filter((n): n is Node => !!n);
}

/** Drops missing fields and cleans the rest: a NUL or other control character from a feed is removed. */
function compact(item: FeedItemInput): FeedItemInput {
  const clean = (v: unknown): unknown =>
    typeof v === 'string' ? withoutControlCharacters(v) : Array.isArray(v) ? v.map(clean) : v;
  return Object.fromEntries(
    Object.entries(item)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, clean(v)]),
  ) as unknown as FeedItemInput;
}
