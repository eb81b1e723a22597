import type pg from 'pg';
import { howOften } from '../newsletters/how-often';
import { isOffered, type Newsletter } from '../newsletters/newsletter';
import type { NewsletterRepository } from '../newsletters/newsletter-repository';
import type { Clock } from '../shared/clock';
import { ACTIVE_NEWSLETTERS, type NamedNewsletterRow } from './subscriber-queries';

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
/** How long the signup trusts the active newsletters it read (see resolve). */
const KNOWN_FOR_MS = 5_000;

export class NewsletterChoices {
  private known: { at: number; bySlug: Map<string, NamedNewsletterRow> } | undefined;

  constructor(private readonly deps: { newsletters: NewsletterLookup; pool: pg.Pool; clock: Clock }) {}

  /** The offered newsletters in the operator's order, and any active one of `alsoSlugs` after them. */
  async listed(alsoSlugs: readonly string[] = []): Promise<NewsletterChoice[]> {
    const active = await this.deps.newsletters.active();
    return active.filter((n) => isOffered(n) || alsoSlugs.includes(n.slug)).map(choiceOf);
  }

  /**
   * The active newsletters of these slugs in the order given, and the slugs that name none
   * (unknown or archived), so an error can name each one.
   *
   * On the signup's hot path: a query per signup halved its throughput (docs/benchmarks.md), so the
   * active newsletters are kept here for KNOWN_FOR_MS, and read again at once when a slug is not
   * among them (a newsletter created a moment ago is found). One archived on another instance may
   * still be found here for that long; the signup statement then writes no subscription to it, as
   * it takes only newsletters that are not archived.
   */
  async resolve(slugs: readonly string[]): Promise<{ found: NamedNewsletterRow[]; missing: string[] }> {
    if (slugs.length === 0) return { found: [], missing: [] };
    let bySlug = this.fresh();
    if (!bySlug || slugs.some((s) => !bySlug!.has(s))) bySlug = await this.reload();
    const known = bySlug;
    return { found: slugs.flatMap((s) => known.get(s) ?? []), missing: slugs.filter((s) => !known.has(s)) };
  }

  /** Newsletters changed here (the admin API): the next signup reads them again. */
  forget(): void {
    this.known = undefined;
  }

  private fresh(): Map<string, NamedNewsletterRow> | undefined {
    const known = this.known;
    return known && this.deps.clock.now().getTime() - known.at < KNOWN_FOR_MS ? known.bySlug : undefined;
  }

  private async reload(): Promise<Map<string, NamedNewsletterRow>> {
    const at = this.deps.clock.now().getTime();
    const { rows } = await this.deps.pool.query<NamedNewsletterRow>(ACTIVE_NEWSLETTERS);
    const bySlug = new Map(rows.map((n) => [n.slug, n]));
    this.known = { at, bySlug };
    return bySlug;
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
