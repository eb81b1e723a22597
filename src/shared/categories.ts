/**
 * Categories compare without case or surrounding spaces: "Sport", "sport " and "SPORT" are one
 * category, in a newsletter's filter, in `BREAKING_FEED_CATEGORIES` and on an article. (The digest
 * window's SQL compares with lower(), the same fold, on categories stored trimmed.)
 */
export function categoryKey(category: string): string {
  return category.trim().toLowerCase();
}

/** Whether an article's categories pass a filter: the filter is empty, or they share one. */
export function passesCategoryFilter(filter: readonly string[], categories: readonly string[]): boolean {
  if (filter.length === 0) return true;
  const wanted = new Set(filter.map(categoryKey));
  return categories.some((c) => wanted.has(categoryKey(c)));
}
