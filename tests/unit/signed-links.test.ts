import crypto from 'node:crypto';
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

  test('when the key is rotated, then links signed with a previous key still verify and new links use the new key', () => {
    const oldKey = 'o'.repeat(32);
    const newKey = 'n'.repeat(32);
    const sentBefore = new SignedLinks(oldKey, 'https://news.example').token('unsubscribe', 42);
    const rotated = new SignedLinks(newKey, 'https://news.example', [oldKey]);
    expect(rotated.verify('unsubscribe', sentBefore)).toBe(42);
    expect(rotated.token('unsubscribe', 42)).toBe(new SignedLinks(newKey, 'https://news.example').token('unsubscribe', 42));
    expect(rotated.token('unsubscribe', 42)).not.toBe(sentBefore);
    expect(rotated.verify('preferences', sentBefore)).toBeUndefined();
    // Once the old key is dropped from the list, its links stop working.
    expect(new SignedLinks(newKey, 'https://news.example').verify('unsubscribe', sentBefore)).toBeUndefined();
  });

  test('when the id is beyond a database integer, zero or zero-padded, then it is refused without throwing', () => {
    const sig = links.token('unsubscribe', 42).split('.')[1];
    for (const id of ['2147483648', '9999999999', '0', '042']) {
      expect(links.verify('unsubscribe', `${id}.${sig}`)).toBeUndefined();
    }
    // A genuine signature over an out-of-range id is still refused: it would overflow the query.
    const huge = 2_147_483_648;
    const forged = `${huge}.${crypto.createHmac('sha256', 'k'.repeat(32)).update(`unsubscribe:${huge}`).digest('base64url')}`;
    expect(links.verify('unsubscribe', forged)).toBeUndefined();
  });
});
