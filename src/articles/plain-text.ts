import { convert } from 'html-to-text';

/** Longest summary kept: a digest shows a teaser, not the article. */
export const SUMMARY_MAX_LENGTH = 600;

/** C0 controls and DEL, except the whitespace ones (tab, line breaks, form feed) that text may hold. */
export const CONTROL_CHARACTERS = /[\u0000-\u0008\u000E-\u001F\u007F]/;

/** Content from outside (feeds) is cleaned rather than refused: one odd byte must not stop a poll. */
export function withoutControlCharacters(value: string): string {
  return value.replace(new RegExp(CONTROL_CHARACTERS.source, 'g'), '');
}

const LOOKS_LIKE_HTML = /<[a-z!/][^>]*>|&(#\d+|#x[\da-f]+|[a-z]+\d*);/i;

/**
 * Feeds and editors send HTML; we store plain text because the digest renderer escapes at render
 * time (stored HTML would show as tags, or worse, be trusted). Links and images are dropped.
 */
export function toPlainText(value: string): string {
  const text = LOOKS_LIKE_HTML.test(value)
    ? convert(value, {
        wordwrap: false,
        selectors: [
          { selector: 'a', options: { ignoreHref: true } },
          { selector: 'img', format: 'skip' },
          { selector: 'h1', options: { uppercase: false } },
          { selector: 'h2', options: { uppercase: false } },
          { selector: 'h3', options: { uppercase: false } },
          { selector: 'table', format: 'dataTable' },
        ],
      })
    : value;
  return text.replace(/\s+/g, ' ').trim();
}

/** Cuts at a word boundary and marks the cut, so a teaser never ends mid-word. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const lastSpace = cut.lastIndexOf(' ');
  return `${(lastSpace > max * 0.6 ? cut.slice(0, lastSpace) : cut).replace(/[\s,;:.-]+$/, '')}…`;
}

export function toSummary(value: string): string {
  return truncate(toPlainText(value), SUMMARY_MAX_LENGTH);
}
