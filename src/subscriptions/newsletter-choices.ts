import { howOften } from '../newsletters/how-often';
import { isOffered, type Newsletter } from '../newsletters/newsletter';
import type { NewsletterRepository } from '../newsletters/newsletter-repository';

/** What the subscription area needs of the newsletters (src/newsletters/newsletter-repository.ts). */
export type NewsletterLookup = Pick<NewsletterRepository, 'active' | 'activeBySlugs' | 'byId'>;

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
  constructor(private readonly deps: { newsletters: NewsletterLookup }) {}

  /** The offered newsletters in the operator's order, and any active one of `alsoSlugs` after them. */
  async listed(alsoSlugs: readonly string[] = []): Promise<NewsletterChoice[]> {
    const active = await this.deps.newsletters.active();
    return active.filter((n) => isOffered(n) || alsoSlugs.includes(n.slug)).map(choiceOf);
  }

  /** The active newsletters of these slugs, and the slugs that name none, so an error can name them. */
  async resolve(slugs: readonly string[]): Promise<{ found: NewsletterChoice[]; missing: string[] }> {
    if (slugs.length === 0) return { found: [], missing: [] };
    const { found, missing } = await this.deps.newsletters.activeBySlugs(slugs);
    return { found: found.map(choiceOf), missing };
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
