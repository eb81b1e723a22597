import { SignedLinks } from '../../src/shared/signed-links';

describe('signed links', () => {
  const links = new SignedLinks('k'.repeat(32), 'https://news.example');

  test('when a token made for a subscriber is verified, then it yields that subscriber', () => {
    expect(links.verify('unsubscribe', links.token('unsubscribe', 42))).toBe(42);
    expect(links.url('preferences', 7)).toMatch(/^https:\/\/news\.example\/preferences\?s=7\.[\w-]{43}$/);
  });

  test('when the id is changed, then the token is refused', () => {
    const [, sig] = links.token('unsubscribe', 42).split('.');
    expect(links.verify('unsubscribe', `43.${sig}`)).toBeUndefined();
  });

  test('when a token is used for another purpose or signed with another key, then it is refused', () => {
    expect(links.verify('preferences', links.token('unsubscribe', 42))).toBeUndefined();
    const other = new SignedLinks('x'.repeat(32), 'https://news.example');
    expect(links.verify('unsubscribe', other.token('unsubscribe', 42))).toBeUndefined();
  });

  test('when the token is malformed, then it is refused without throwing', () => {
    for (const bad of [undefined, '', '42', '42.', 'abc.def', ['42'], `42.${'a'.repeat(44)}`]) {
      expect(links.verify('unsubscribe', bad)).toBeUndefined();
    }
  });
});
