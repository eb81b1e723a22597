import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { isPublicAddress } from './public-address';
import { hostOf } from './webhook-target';

/** What one POST came to: the HTTP status if the receiver answered, else why not. */
export interface PostOutcome {
  status?: number;
  error?: string;
}

/** How much of a refusing receiver's answer is kept (last_error) for the admin to read. */
const KEPT_BODY_BYTES = 500;

/**
 * POSTs one signed webhook. No redirect is followed (a 3xx is a failure like any non-2xx: a
 * redirect could lead to an address the registration never saw). The whole exchange has
 * `timeoutMs`. Unless private targets are allowed, the address really connected to is checked
 * when the connection is made: a lookup that answers a private address fails the attempt, so a
 * name that passed at registration cannot be pointed inside the network later (DNS rebinding).
 */
export async function postWebhook(
  target: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; allowPrivate: boolean },
): Promise<PostOutcome> {
  const url = new URL(target);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: 'not an http or https URL' };
  const host = hostOf(url);
  // An IP literal is connected to without a lookup, so it is checked here.
  if (!options.allowPrivate && net.isIP(host) && !isPublicAddress(host)) return { error: `refused: ${host} is not a public address` };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<PostOutcome>((resolve) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Bulletin-Webhooks/1', ...headers, 'content-length': Buffer.byteLength(body) },
        signal: AbortSignal.timeout(options.timeoutMs),
        lookup: options.allowPrivate ? undefined : publicOnlyLookup,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        response.on('data', (chunk: Buffer) => {
          if (kept < KEPT_BODY_BYTES) chunks.push(chunk);
          kept += chunk.length;
        });
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8').slice(0, KEPT_BODY_BYTES);
          resolve(status >= 200 && status < 300 ? { status } : { status, error: `HTTP ${status}${text ? `: ${text}` : ''}` });
        });
        response.on('error', (err) => resolve({ status: response.statusCode, error: err.message }));
      },
    );
    request.on('error', (err) => resolve({ error: err.name === 'TimeoutError' || err.name === 'AbortError' ? `no answer within ${options.timeoutMs / 1000} s` : err.message }));
    request.end(body);
  });
}

/** dns.lookup that fails for any non-public address, in both of the shapes Node calls it with. */
const publicOnlyLookup: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused) return callback(Object.assign(new Error(`refused: ${hostname} resolves to ${refused.address}, not a public address`), { code: 'EPRIVATE' }), '', 0);
    if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};
