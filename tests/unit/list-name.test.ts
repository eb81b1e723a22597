import { DEFAULT_LIST_NAME, listNameFrom } from '../../src/shared/list-name';

describe('the list name', () => {
  test('when MAIL_FROM has a display name, then it is the list name, quoted or not', () => {
    expect(listNameFrom('The Daily Courier <news@courier.example>')).toBe('The Daily Courier');
    expect(listNameFrom('"Courier, Evening" <news@courier.example>')).toBe('Courier, Evening');
    expect(listNameFrom('  Le Café  <news@cafe.example>')).toBe('Le Café');
  });

  test('when MAIL_FROM is a bare address, then digests and subscription emails both say the one default', () => {
    expect(DEFAULT_LIST_NAME).toBe('Bulletin');
    expect(listNameFrom('news@courier.example')).toBe('Bulletin');
    expect(listNameFrom('<news@courier.example>')).toBe('Bulletin');
  });
});
