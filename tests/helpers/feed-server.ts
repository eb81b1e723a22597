import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

const fixtures = path.join(__dirname, '..', 'fixtures', 'feeds');
export const fixture = (name: string) => fs.readFileSync(path.join(fixtures, name), 'utf8');

/** A feed host on 127.0.0.1; `responses` can be changed between polls. */
export async function startFeedServer(responses: Record<string, { status: number; type: string; body: string } | 'hang'>) {
  const server = http.createServer((req, res) => {
    const response = responses[req.url ?? ''];
    if (response === 'hang') return; // never answers: the poller's timeout must end it
    if (!response) return void res.writeHead(404).end('not found');
    res.writeHead(response.status, { 'content-type': response.type }).end(response.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (p: string) => `${base}${p}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const xml = (body: string) => ({ status: 200, type: 'application/rss+xml; charset=utf-8', body });
