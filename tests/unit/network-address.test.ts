import { isLoopback, listeningUrl } from '../../src/shared/network-address';

describe('network addresses', () => {
  test('when a host is a loopback name or address, then it counts as loopback, and nothing else does', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) {
      expect([host, isLoopback(host)]).toEqual([host, true]);
    }
    for (const host of ['0.0.0.0', '::', '', undefined, '10.0.0.5', '192.168.1.2', '::ffff:10.0.0.1', 'example.com', '128.0.0.1', 'localhost.evil.test']) {
      expect([host, isLoopback(host)]).toEqual([host, false]);
    }
  });

  test('when the server listens on a host and port, then its URL names them, a wildcard host as localhost', () => {
    expect(listeningUrl('127.0.0.1', 38571)).toBe('http://127.0.0.1:38571');
    expect(listeningUrl('0.0.0.0', 3000)).toBe('http://localhost:3000');
    expect(listeningUrl('::', 3000)).toBe('http://localhost:3000');
    expect(listeningUrl('::1', 3000)).toBe('http://[::1]:3000');
    expect(listeningUrl('news.internal', 8080)).toBe('http://news.internal:8080');
  });
});
