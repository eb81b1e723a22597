import type { Templates } from '../mail/templates';
import { Placeholders } from '../mail/personalize';
import { truncate } from '../articles/plain-text';
import type { Newsletter } from '../newsletters/newsletter';
import { PERSONAL_LINKS, subjectLine, type PersonalLink, type RenderedDigest } from './digest-renderer';
import type { AlertArticle } from './alert-queries';

const PERSONAL_LINK_NAMES = Object.keys(PERSONAL_LINKS) as PersonalLink[];
const SUMMARY_MAX = 600;

/**
 * One alert email (templates/emails/alert.html.eta and .txt.eta): rendered and CSS-inlined once
 * per newsletter, sealed with its own placeholders for the personal links, which the sender fills
 * per recipient exactly as it fills a digest's (see digest-renderer.ts, PERSONAL_LINKS).
 */
export class AlertRenderer {
  constructor(private readonly deps: { templates: Templates; publicUrl: string; listName: string }) {}

  render(input: { newsletter: Pick<Newsletter, 'name' | 'timeZone'>; article: AlertArticle; publicId: string }): RenderedDigest {
    const { newsletter, article } = input;
    const title = oneLine(article.title);
    // "Breaking:" in ordinary case: a subject in capitals is what spam filters score, and the
    // inbox already shows who sent it.
    const subject = subjectLine(`Breaking: ${title}`, oneLine(`${this.deps.listName} ${newsletter.name}`));
    const summary = article.summary ? truncate(oneLine(article.summary), SUMMARY_MAX) : '';
    const timeLabel = new Intl.DateTimeFormat('en-GB', {
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      timeZone: newsletter.timeZone,
    }).format(article.publishedAt);
    // Made per render: article text cannot know them, so it is never filled (see personalize.ts).
    const placeholders = Placeholders.create();
    const { html, text } = this.deps.templates.email('alert', {
      subject,
      listName: this.deps.listName,
      newsletterName: oneLine(newsletter.name),
      preheader: summary ? truncate(summary, 140) : title,
      article: {
        title,
        url: article.url,
        summary,
        author: article.author ? oneLine(article.author) : '',
        imageUrl: article.imageUrl && /^https?:\/\//i.test(article.imageUrl) ? article.imageUrl : '',
        category: article.categories[0] ?? '',
        timeLabel,
      },
      homeUrl: this.deps.publicUrl,
      webUrl: `${this.deps.publicUrl}/digests/${input.publicId}`,
      ...placeholders.tokens(PERSONAL_LINK_NAMES),
    });
    return { subject, html: placeholders.seal(html), text: placeholders.seal(text) };
  }
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
