import https from 'node:https';

/** GETs a URL and answers its body as text: the SNS certificate and subscription URLs. Injectable, so tests can serve their own. */
export type HttpsGet = (url: URL) => Promise<string>;

const MAX_BYTES = 64 * 1024;
const TIMEOUT_MS = 5000;

/**
 * The real one: https only (the caller checked the host), the system's CAs, no redirects
 * followed (a redirect could lead off the checked host), a 200 answer of at most 64 KB within 5 s.
 */
export const httpsGet: HttpsGet = (url) =>
  new Promise((resolve, reject) => {
    if (url.protocol !== 'https:') return reject(new Error('only https URLs are fetched'));
    const request = https.get(url, { timeout: TIMEOUT_MS }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return reject(new Error(`GET ${url.host} answered ${response.statusCode}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BYTES) request.destroy(new Error(`GET ${url.host}: answer over ${MAX_BYTES} bytes`));
        else chunks.push(chunk);
      });
      response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url.host}: no answer within ${TIMEOUT_MS} ms`)));
    request.on('error', reject);
  });
