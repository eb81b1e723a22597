import type { Templates } from '../mail/templates';
import { Placeholders } from '../mail/personalize';
import { truncate } from '../articles/plain-text';
import type { Newsletter } from '../newsletters/newsletter';
import { PERSONAL_LINK_NAMES, subjectLine, type RenderedDigest } from './digest-renderer';
import { articleCard, newsletterBrand, oneLine, ZoneFormats } from './edition-parts';
import type { AlertArticle } from './alert-queries';

/** One story has the email to itself: its summary gets more room than in a digest. */
const SUMMARY_MAX = 600;

/**
 * One alert email (templates/emails/alert.html.eta and .txt.eta): rendered and CSS-inlined once
 * per newsletter, sealed with its own placeholders for the personal links, which the sender fills
 * per recipient exactly as it fills a digest's (see digest-renderer.ts, PERSONAL_LINKS).
 */
export class AlertRenderer {
  private readonly formats = new ZoneFormats();

  constructor(private readonly deps: { templates: Templates; publicUrl: string; listName: string }) {}

  render(input: { newsletter: Pick<Newsletter, 'name' | 'timeZone' | 'replyTo'>; article: AlertArticle; publicId: string }): RenderedDigest {
    const { newsletter } = input;
    const article = articleCard(input.article, SUMMARY_MAX, this.formats.time(newsletter.timeZone));
    // "Breaking:" in ordinary case: a subject in capitals is what spam filters score, and the
    // inbox already shows who sent it.
    const subject = subjectLine(`Breaking: ${article.title}`, oneLine(`${this.deps.listName} ${newsletter.name}`));
    // Made per render: article text cannot know them, so it is never filled (see personalize.ts).
    const placeholders = Placeholders.create();
    const { html, text } = this.deps.templates.email('alert', {
      subject,
      listName: this.deps.listName,
      newsletterName: oneLine(newsletter.name),
      preheader: article.summary ? truncate(article.summary, 140) : article.title,
      ...newsletterBrand(newsletter),
      article,
      homeUrl: this.deps.publicUrl,
      webUrl: `${this.deps.publicUrl}/digests/${input.publicId}`,
      ...placeholders.tokens(PERSONAL_LINK_NAMES),
    });
    return { subject, html: placeholders.seal(html), text: placeholders.seal(text) };
  }
}
