import type pg from 'pg';
import { howOften } from '../newsletters/how-often';
import { isOffered, type Newsletter } from '../newsletters/newsletter';
import type { NewsletterRepository } from '../newsletters/newsletter-repository';
import { ACTIVE_NEWSLETTERS_BY_SLUG, type NamedNewsletterRow } from './subscriber-queries';

/** What the subscription area needs of the newsletters (src/newsletters/newsletter-repository.ts). */
export type NewsletterLookup = Pick<NewsletterRepository, 'active' | 'byId'>;

/** A newsletter as a reader is shown it: on the signup form, the preferences page, in emails. */
export interface NewsletterChoice {
  id: number;
  slug: string;
  name: string;
  description: string;
  /** "Every day at 07:00", "Breaking news, as it happens", ... */
  howOften: string;
  offered: boolean;
}

export function choiceOf(n: Newsletter): NewsletterChoice {
  return { id: n.id, slug: n.slug, name: n.name, description: n.description, howOften: howOften(n), offered: isOffered(n) };
}

/**
 * Which newsletters a reader can choose and what a choice names. A signup may name any active
 * newsletter, offered or not (an embedded box on the sports section fixes "sports" even when the
 * signup form does not list it); an archived or unknown slug is refused by name.
 */
export class NewsletterChoices {
  constructor(private readonly deps: { newsletters: NewsletterLookup; pool: pg.Pool }) {}

  /** The offered newsletters in the operator's order, and any active one of `alsoSlugs` after them. */
  async listed(alsoSlugs: readonly string[] = []): Promise<NewsletterChoice[]> {
    const active = await this.deps.newsletters.active();
    return active.filter((n) => isOffered(n) || alsoSlugs.includes(n.slug)).map(choiceOf);
  }

  /**
   * The active newsletters of these slugs in the order given, and the slugs that name none
   * (unknown or archived), so an error can name each one.
   */
  async resolve(slugs: readonly string[]): Promise<{ found: NamedNewsletterRow[]; missing: string[] }> {
    if (slugs.length === 0) return { found: [], missing: [] };
    const { rows } = await this.deps.pool.query<NamedNewsletterRow>({ ...ACTIVE_NEWSLETTERS_BY_SLUG, values: [slugs] });
    const bySlug = new Map(rows.map((n) => [n.slug, n]));
    return { found: slugs.flatMap((s) => bySlug.get(s) ?? []), missing: slugs.filter((s) => !bySlug.has(s)) };
  }
}

/** The message naming slugs that are no (longer a) newsletter: shown next to the field. */
export function unknownNewslettersMessage(missing: readonly string[]): string {
  const named = missing.map((s) => `"${s}"`).join(', ');
  return missing.length === 1 ? `There is no newsletter ${named} (unknown or archived)` : `There are no newsletters ${named} (unknown or archived)`;
}

/** "Daily", "Daily and Sports", "Daily, Sports and Weekly": names in a sentence. */
export function namesInProse(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
