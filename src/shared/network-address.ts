import net from 'node:net';

/**
 * The base URL of a server listening on `host`:`port`, as a browser on this machine reaches it.
 * A wildcard host (0.0.0.0, ::) listens on every interface, and `localhost` reaches one of them.
 */
export function listeningUrl(host: string, port: number): string {
  const name = host === '' || host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${net.isIPv6(name) ? `[${name}]` : name}:${port}`;
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`: reachable from this machine only. */
export function isLoopback(hostOrAddress: string | undefined): boolean {
  if (!hostOrAddress) return false;
  const address = hostOrAddress.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (address === 'localhost' || address === '::1') return true;
  const v4 = address.replace(/^::ffff:/, '');
  return net.isIPv4(v4) && v4.startsWith('127.');
}
