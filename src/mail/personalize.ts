import crypto from 'node:crypto';

/**
 * Render once, personalise cheaply: a template is rendered with placeholders where per-recipient
 * values go, then each copy only joins precomputed pieces with that recipient's values.
 *
 * Rendered emails hold text from outside (article titles, urls and summaries from the admin API and
 * from feeds), so the filler must never take that text for a placeholder: a feed item reading
 * `%%preferencesUrl%%` would otherwise receive every reader's signed link. Each render therefore
 * makes its own set of placeholders, `%%name:<random nonce>%%`, and the filler splits only on the
 * exact strings of that set; outside text cannot know the nonce (Ghost's replacement definitions:
 * named values filled at known places, content never scanned).
 */
export class Placeholders {
  private readonly pattern: RegExp;

  private constructor(readonly nonce: string) {
    this.pattern = new RegExp(`%%([a-zA-Z]+):${nonce}%%`, 'g');
  }

  /** A fresh set for one render. */
  static create(): Placeholders {
    return new Placeholders(crypto.randomBytes(16).toString('hex'));
  }

  /** The set a stored document declares (see seal), and the document without its declaration. */
  static unseal(document: string): { placeholders: Placeholders; body: string } | undefined {
    const declared = DECLARATION.exec(document);
    if (!declared) return undefined;
    return { placeholders: new Placeholders(declared[1] as string), body: document.slice(declared[0].length) };
  }

  /** The string the template receives in place of `name`'s value. */
  token(name: string): string {
    return `%%${name}:${this.nonce}%%`;
  }

  /** `{name: token}` for each name, ready to pass to a template. */
  tokens<N extends string>(names: readonly N[]): Record<N, string> {
    return Object.fromEntries(names.map((n) => [n, this.token(n)])) as Record<N, string>;
  }

  /** A template cut at this set's placeholders: literals[i], then names[i], ..., then the last literal. */
  split(template: string): SplitTemplate {
    // split() with a capture group alternates literal text (even indexes) and names (odd indexes).
    return alternate(template.split(this.pattern));
  }

  compile(template: string, escape: (v: string) => string = identity): Filler {
    return fillerOf(this.split(template), escape);
  }

  /**
   * The rendered document as it is stored (digests.html and .text): its set's nonce on a first line
   * of its own, which only the renderer writes (outside text always comes later in the document).
   */
  seal(document: string): string {
    return `${DECLARATION_START}${this.nonce}${DECLARATION_END}${document}`;
  }
}

export type Filler = (values: Record<string, string>) => string;

export interface SplitTemplate {
  literals: string[];
  names: string[];
}

const DECLARATION_START = '<!--bulletin-placeholders:';
const DECLARATION_END = '-->\n';
const DECLARATION = /^<!--bulletin-placeholders:([0-9a-f]{32})-->\n/;
/** Digests stored before placeholders had a nonce. */
const LEGACY_PLACEHOLDER = /%%([a-zA-Z]+)%%/g;

/**
 * Cuts a stored document (see Placeholders.seal) at its own placeholders. A document stored before
 * the nonce existed (an edition composed before an upgrade, sent after it) has plain `%%name%%`:
 * its template wrote each name once, in the footer, after every article, so only the LAST
 * occurrence of each name is the template's; earlier ones are article text and stay text.
 */
export function splitStored(document: string): SplitTemplate {
  const sealed = Placeholders.unseal(document);
  if (sealed) return sealed.placeholders.split(sealed.body);
  const { literals, names } = alternate(document.split(LEGACY_PLACEHOLDER));
  const last = new Map(names.map((name, i) => [name, i]));
  const out: SplitTemplate = { literals: [literals[0] as string], names: [] };
  names.forEach((name, i) => {
    if (last.get(name) === i) {
      out.names.push(name);
      out.literals.push(literals[i + 1] as string);
    } else {
      out.literals[out.literals.length - 1] += `%%${name}%%${literals[i + 1] as string}`;
    }
  });
  return out;
}

export function compileStored(document: string, escape: (v: string) => string = identity): Filler {
  return fillerOf(splitStored(document), escape);
}

/** Splits once; the returned function costs one string join per recipient. */
function fillerOf({ literals, names }: SplitTemplate, escape: (v: string) => string): Filler {
  return (values) => {
    let out = literals[0] as string;
    for (let i = 0; i < names.length; i++) out += escape(values[names[i] as string] ?? '') + (literals[i + 1] as string);
    return out;
  };
}

function alternate(pieces: string[]): SplitTemplate {
  return { literals: pieces.filter((_, i) => i % 2 === 0), names: pieces.filter((_, i) => i % 2 === 1) };
}

function identity(v: string): string {
  return v;
}

const htmlEntities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => htmlEntities[c] as string);
}
