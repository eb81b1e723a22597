import { categoryKey, passesCategoryFilter } from '../../src/shared/categories';

describe('categories compare without case or surrounding spaces', () => {
  test('when written in other cases or with spaces, then they are one category', () => {
    expect(new Set(['Sport', ' sport ', 'SPORT'].map(categoryKey))).toEqual(new Set(['sport']));
  });

  test('when a filter is empty, then every article passes, even one without categories', () => {
    expect(passesCategoryFilter([], [])).toBe(true);
    expect(passesCategoryFilter([], ['Politics'])).toBe(true);
  });

  test('when a filter is set, then only an article sharing one of its categories passes', () => {
    expect(passesCategoryFilter(['Sport', 'Weather'], ['politics', ' WEATHER'])).toBe(true);
    expect(passesCategoryFilter(['Sport'], ['Sports', 'politics'])).toBe(false);
    expect(passesCategoryFilter(['Sport'], [])).toBe(false);
  });
});
