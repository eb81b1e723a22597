import { MIN_PASSWORD_LENGTH, passwordProblem, Passwords } from '../../src/accounts/passwords';
import { csrfMatches, csrfToken } from '../../src/accounts/sessions';
import { safeNext } from '../../src/http/console/console-session';

describe('console passwords', () => {
  test('when a password is shorter than 12 characters, then it is refused; any 12, of any kind, are enough', () => {
    expect(MIN_PASSWORD_LENGTH).toBe(12);
    expect(passwordProblem('elevenchars', 'a@b.example')).toMatch(/at least 12/);
    expect(passwordProblem('twelve chars', 'a@b.example')).toBeUndefined();
    // Characters, not bytes: 11 letters of another script are too short.
    expect(passwordProblem('ééééééééééé', 'a@b.example')).toMatch(/at least 12/);
    expect(passwordProblem('x'.repeat(257), 'a@b.example')).toMatch(/at most 256/);
  });

  test('when the password is the address, then it is refused whatever its case', () => {
    expect(passwordProblem('Editor.One@News.Example', 'editor.one@news.example')).toMatch(/email address/);
    expect(passwordProblem('longlocalpart', 'longlocalpart@news.example')).toMatch(/email address/);
  });

  test('when a hash is checked, then only its password matches, and a missing hash matches nothing', async () => {
    const passwords = new Passwords();
    const hash = await passwords.hash('correct horse battery');
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(await passwords.matches(hash, 'correct horse battery')).toBe(true);
    expect(await passwords.matches(hash, 'correct horse batterY')).toBe(false);
    expect(await passwords.matches(null, 'correct horse battery')).toBe(false);
    expect(await passwords.matches('not a hash', 'correct horse battery')).toBe(false);
  });
});

describe('console forms and redirects', () => {
  test('when a form token is checked, then only the session\'s own matches', () => {
    const session = { csrfToken: csrfToken('a'.repeat(43)) } as Parameters<typeof csrfMatches>[0];
    expect(csrfMatches(session, csrfToken('a'.repeat(43)))).toBe(true);
    expect(csrfMatches(session, csrfToken('b'.repeat(43)))).toBe(false);
    expect(csrfMatches(session, undefined)).toBe(false);
    expect(csrfMatches(session, ['x'])).toBe(false);
  });

  test('when next is not a console path of this site, then sign-in goes to the console home', () => {
    expect(safeNext('/admin/users')).toBe('/admin/users');
    expect(safeNext('/admin/audit?before=12')).toBe('/admin/audit?before=12');
    for (const bad of ['https://evil.example', '//evil.example', '/\\evil.example', '/adminx', '/admin\\x', ' /admin', '/admin/a b', undefined, ['/admin']]) {
      expect([bad, safeNext(bad)]).toEqual([bad, '/admin']);
    }
  });
});
