import type { Templates } from '../mail/templates';
import { Placeholders } from '../mail/personalize';
import type { DigestRecipient } from '../mail/digest-mime';
import type { LinkPurpose, SignedLinks } from '../shared/signed-links';
import type { Newsletter } from '../newsletters/newsletter';
import type { ArticleData } from '../articles/article-repository';
import { truncate } from '../articles/plain-text';
import { articleCard, newsletterBrand, oneLine, ZoneFormats } from './edition-parts';
import { noteParagraphs } from './edition-curation';

/** Articles are stored as plain text (see src/articles/plain-text.ts); the templates escape them. */
export type DigestArticle = Omit<ArticleData, 'sourceId'> & { id: number };

export interface RenderedDigest {
  subject: string;
  /**
   * CSS-inlined HTML, sealed with its own placeholders (see Placeholders.seal) for the personal
   * links: fill it with splitStored/compileStored, never by searching for `%%name%%`.
   */
  html: string;
  /** Plain text, sealed the same way. */
  text: string;
}

/**
 * The per-recipient values of a digest: each placeholder's name in the templates and the signed
 * link it stands for. Adding one is a line here (and its use in the templates); the sender and the
 * MIME builder fill whatever is declared. The web view fills generic links instead.
 */
export const PERSONAL_LINKS = { unsubscribeUrl: 'unsubscribe', preferencesUrl: 'preferences' } as const satisfies Record<
  string,
  LinkPurpose
>;
export type PersonalLink = keyof typeof PERSONAL_LINKS;
export const PERSONAL_LINK_NAMES = Object.keys(PERSONAL_LINKS) as PersonalLink[];

/**
 * Links that stand for one newsletter: leaving it from an edition leaves that newsletter and no
 * other. The others (preferences) stand for the whole address.
 */
const SCOPED_LINKS: ReadonlySet<PersonalLink> = new Set<PersonalLink>(['unsubscribeUrl']);

/**
 * One subscriber's copy of an edition of newsletter `newsletterId`: their signed links, the
 * unsubscribe one (scoped to the newsletter) also as List-Unsubscribe, so a one-click POST leaves
 * that newsletter only.
 */
export function digestRecipient(to: string, subscriberId: number, newsletterId: number, links: SignedLinks): DigestRecipient {
  const values = {} as Record<PersonalLink, string>;
  for (const name of PERSONAL_LINK_NAMES) {
    values[name] = links.url(PERSONAL_LINKS[name], subscriberId, SCOPED_LINKS.has(name) ? newsletterId : undefined);
  }
  return { to, values, listUnsubscribe: values.unsubscribeUrl };
}

/** The same value in every placeholder: for pages that show no one's personal links. */
export function genericLinks(url: string): Record<PersonalLink, string> {
  return Object.fromEntries(PERSONAL_LINK_NAMES.map((name) => [name, url])) as Record<PersonalLink, string>;
}

const SUMMARY_MAX = 320;
/** What a phone shows of a subject line in the inbox list, roughly. */
export const SUBJECT_MAX = 78;

/** What an edition shows of its newsletter. */
export type RenderedNewsletter = Pick<Newsletter, 'name' | 'timeZone' | 'replyTo'>;

/**
 * Templates -> one prepared message per digest (templates/emails/digest.html.eta and .txt.eta).
 * Rendered and CSS-inlined once; recipients differ only in the placeholders. Article text goes
 * through eta's escaping in the HTML, so a title with `<script>` arrives as text.
 */
export class DigestRenderer {
  private readonly formats = new ZoneFormats();

  constructor(private readonly deps: { templates: Templates; publicUrl: string; listName: string }) {}

  /** `note`: an editor's note (plain text, see edition-curation.ts), which opens the email and fills the inbox's preview line. */
  render(input: { newsletter: RenderedNewsletter; editionAt: Date; publicId: string; articles: DigestArticle[]; note?: string }): RenderedDigest {
    const { newsletter } = input;
    const dateLabel = this.formats.date(newsletter.timeZone).format(input.editionAt);
    const time = this.formats.time(newsletter.timeZone);
    const newsletterName = oneLine(newsletter.name);
    const subject = subjectLine(oneLine(input.articles[0]?.title ?? dateLabel), oneLine(`${this.deps.listName} ${newsletterName}`));
    // Made per render: article text cannot know them, so it is never filled (see personalize.ts).
    const placeholders = Placeholders.create();
    const { html, text } = this.deps.templates.email('digest', {
      subject,
      listName: this.deps.listName,
      newsletterName,
      dateLabel,
      preheader: input.note ? truncate(oneLine(input.note), 140) : preheaderOf(input.articles),
      note: noteParagraphs(input.note ?? ''),
      intro: `${capitalize(plural(input.articles.length, 'story'))} in this edition of ${newsletterName}.`,
      ...newsletterBrand(newsletter),
      articles: input.articles.map((a) => articleCard(a, SUMMARY_MAX, time)),
      homeUrl: this.deps.publicUrl,
      webUrl: `${this.deps.publicUrl}/digests/${input.publicId}`,
      ...placeholders.tokens(PERSONAL_LINK_NAMES),
    });
    return { subject, html: placeholders.seal(html), text: placeholders.seal(text) };
  }
}

/**
 * "<top story> · <Site> Daily": the story first, as a phone cuts subjects after about 40-80
 * characters; a long title is cut at a word and marked with an ellipsis.
 */
export function subjectLine(top: string, edition: string): string {
  const tail = ` · ${edition}`;
  if (top.length + tail.length <= SUBJECT_MAX) return `${top}${tail}`;
  const room = SUBJECT_MAX - tail.length - 1;
  if (room < 20) return cutAtWord(`${top}${tail}`, SUBJECT_MAX - 1);
  return `${cutAtWord(top, room)}${tail}`;
}

function cutAtWord(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.slice(0, max + 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut.slice(0, max)).replace(/[\s,;:·-]+$/, '')}…`;
}

/** The line inboxes show after the subject: the stories that follow the lead (or the lead's summary). */
function preheaderOf(articles: DigestArticle[]): string {
  const next = articles.slice(1, 4).map((a) => oneLine(a.title));
  if (next.length) return `Also: ${next.join(' · ')}`;
  return articles[0]?.summary ? truncate(oneLine(articles[0].summary), 140) : '';
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function plural(n: number, word: string): string {
  if (n === 1) return `one ${word}`;
  return `${n} ${word === 'story' ? 'stories' : `${word}s`}`;
}
