import { categoryKey } from '../shared/categories';
import { validationError } from '../shared/errors';
import type { FeedItemInput } from './feed-parser';
import { CONTROL_CHARACTERS } from './plain-text';

/** A category of one feed renamed to the site's own (`Sport` -> `Sports`), compared without case. */
export interface CategoryRename {
  from: string;
  to: string;
}

/** What the console maps per feed: its categories' renames, and which of them mark breaking news. */
export interface FeedRules {
  categoryMap: CategoryRename[];
  breakingCategories: string[];
}

export const NO_RULES: FeedRules = Object.freeze({ categoryMap: [], breakingCategories: [] });

const MAX_RENAMES = 50;
const MAX_BREAKING = 20;
/** An article's category is at most 50 characters (article-input.ts): a rename cannot make a longer one. */
const MAX_CATEGORY = 50;

/**
 * An item as the site files it: each category renamed when the feed's map names it (any case),
 * duplicates dropped; breaking when any category, as sent or as renamed, is one of
 * `BREAKING_FEED_CATEGORIES` (`breaking`) or of the feed's own breaking categories. Otherwise the
 * item says nothing about breaking, so an article keeps its stored flag.
 */
export function applyFeedRules(item: FeedItemInput, rules: FeedRules, breaking: ReadonlySet<string>): FeedItemInput {
  const renames = new Map(rules.categoryMap.map((r) => [categoryKey(r.from), r.to]));
  const seen = new Set<string>();
  const categories = item.categories
    .map((c) => renames.get(categoryKey(c)) ?? c)
    .filter((c) => !seen.has(categoryKey(c)) && seen.add(categoryKey(c)));
  const marks = new Set([...breaking, ...rules.breakingCategories.map(categoryKey)]);
  const isBreaking = [...item.categories, ...categories].some((c) => marks.has(categoryKey(c)));
  return isBreaking ? { ...item, categories, breaking: true } : { ...item, categories };
}

/**
 * The Feeds page's form: `categoryMap` one `Feed category = Site category` per line, blank lines
 * ignored; `breakingCategories` comma-separated. Invalid: 400 naming the field (and the line).
 */
export function parseFeedRules(input: unknown): FeedRules {
  const body = (input ?? {}) as Record<string, unknown>;
  const errors: Record<string, string> = {};
  const categoryMap: CategoryRename[] = [];
  const lines = String(body.categoryMap ?? '').split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    const [from, to, extra] = line.split('=').map((s) => s.trim());
    const problem = extra !== undefined || !from || !to ? 'write it as Feed category = Site category' : (categoryProblem(from) ?? categoryProblem(to));
    if (problem) {
      errors.categoryMap ??= `line ${i + 1}: ${problem}`;
      continue;
    }
    categoryMap.push({ from: from!, to: to! });
  }
  if (categoryMap.length > MAX_RENAMES) errors.categoryMap ??= `at most ${MAX_RENAMES} renames`;
  const breakingCategories = [...new Set(String(body.breakingCategories ?? '').split(',').map((s) => s.trim()).filter(Boolean))];
  const breakingProblem = breakingCategories.map(categoryProblem).find(Boolean);
  if (breakingProblem) errors.breakingCategories = breakingProblem;
  else if (breakingCategories.length > MAX_BREAKING) errors.breakingCategories = `at most ${MAX_BREAKING} categories`;
  if (Object.keys(errors).length) throw validationError(errors);
  return { categoryMap, breakingCategories };
}

/** The form's text for stored rules (the inverse of parseFeedRules). */
export function formatFeedRules(rules: FeedRules): { categoryMap: string; breakingCategories: string } {
  return {
    categoryMap: rules.categoryMap.map((r) => `${r.from} = ${r.to}`).join('\n'),
    breakingCategories: rules.breakingCategories.join(', '),
  };
}

/** Rules read back from the database's JSON: anything not shaped as a rename is ignored. */
export function storedRules(row: { categoryMap: unknown; breakingCategories: string[] | null }): FeedRules {
  const renames = Array.isArray(row.categoryMap) ? row.categoryMap : [];
  return {
    categoryMap: renames.filter((r): r is CategoryRename => typeof r?.from === 'string' && typeof r?.to === 'string'),
    breakingCategories: row.breakingCategories ?? [],
  };
}

function categoryProblem(category: string): string | undefined {
  if (CONTROL_CHARACTERS.test(category)) return 'must not contain control characters';
  if (category.length > MAX_CATEGORY) return `"${category.slice(0, 20)}…" is longer than ${MAX_CATEGORY} characters`;
  return undefined;
}
