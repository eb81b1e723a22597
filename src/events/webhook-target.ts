import dns from 'node:dns';
import net from 'node:net';
import { isPublicAddress } from './public-address';

/** Why a target URL is refused, in words for the admin who typed it; undefined: it may be used. */
export type TargetProblem = string | undefined;

/**
 * Checks a webhook URL when it is registered: http or https, no credentials in it, and (unless
 * private targets are allowed) a host whose every address is public. The delivery checks the
 * address again when it connects (webhook-poster.ts), since DNS may answer differently by then.
 */
export async function targetProblem(raw: string, allowPrivate: boolean, lookup = lookupAll): Promise<TargetProblem> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'Give a full URL, like https://crm.example/hooks/bulletin';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'Only http and https URLs can receive webhooks';
  if (url.username || url.password) return 'Put no user name or password in the URL (the signature authenticates the request)';
  if (allowPrivate) return undefined;
  const host = hostOf(url);
  let addresses: string[];
  try {
    addresses = net.isIP(host) ? [host] : await lookup(host);
  } catch {
    return `The host ${host} cannot be found`;
  }
  if (!addresses.length || !addresses.every(isPublicAddress)) {
    return 'This URL leads to a private, loopback or link-local address; webhooks go to public addresses only (WEBHOOKS_ALLOW_PRIVATE)';
  }
  return undefined;
}

/** The URL's host as an address or name ([::1] without its brackets). */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

async function lookupAll(host: string): Promise<string[]> {
  const found = await dns.promises.lookup(host, { all: true, verbatim: true });
  return found.map((a) => a.address);
}
