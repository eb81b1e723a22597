import { truncate } from '../articles/plain-text';
import type { Newsletter } from '../newsletters/newsletter';
import type { DigestArticle } from './digest-renderer';

/**
 * What a digest and an alert render alike: text on one line, an article's card, times in the
 * newsletter's zone, and the newsletter's own values that replace the configured brand.
 */

/** Titles, names and summaries arrive with any whitespace; an email shows them on one line. */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** What the templates show of an article (templates/emails/partials). */
export interface ArticleCard {
  title: string;
  url: string;
  summary: string;
  author: string;
  /** Only http(s): a `javascript:` or `data:` source from a feed never reaches an email. */
  imageUrl: string;
  category: string;
  timeLabel: string;
}

export function articleCard(a: Omit<DigestArticle, 'id'>, summaryMax: number, time: Intl.DateTimeFormat): ArticleCard {
  return {
    title: oneLine(a.title),
    url: a.url,
    summary: a.summary ? truncate(oneLine(a.summary), summaryMax) : '',
    author: a.author ? oneLine(a.author) : '',
    imageUrl: a.imageUrl && /^https?:\/\//i.test(a.imageUrl) ? a.imageUrl : '',
    category: a.categories[0] ?? '',
    timeLabel: time.format(a.publishedAt),
  };
}

/** Only a newsletter's own Reply-To replaces the configured one (the templates' brand). */
export function newsletterBrand(newsletter: Pick<Newsletter, 'replyTo'>): { replyTo?: string } {
  return newsletter.replyTo ? { replyTo: newsletter.replyTo } : {};
}

/** Date and time formats per time zone, made once each (newsletters have their own zones). */
export class ZoneFormats {
  private readonly byZone = new Map<string, { date: Intl.DateTimeFormat; time: Intl.DateTimeFormat }>();

  /** "Sunday 29 November 2026": an edition's date. */
  date(timeZone: string): Intl.DateTimeFormat {
    return this.in(timeZone).date;
  }

  /** "29 Nov, 07:00": an article's time. */
  time(timeZone: string): Intl.DateTimeFormat {
    return this.in(timeZone).time;
  }

  private in(timeZone: string) {
    let formats = this.byZone.get(timeZone);
    if (!formats) {
      formats = {
        date: new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone }),
        time: new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone }),
      };
      this.byZone.set(timeZone, formats);
    }
    return formats;
  }
}
