import type { Request } from 'express';
import { isLoopback } from '../shared/network-address';

/** Headers a proxy adds to say whom it forwards for. */
const PROXY_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const;

/**
 * Whether a request comes from this machine itself: its connection is from a loopback address and
 * no proxy says it forwards for someone. Deliberately not `req.ip`: that follows TRUST_PROXY, and
 * with `TRUST_PROXY=true` (or a list naming the proxy) X-Forwarded-For decides it, which any client
 * can write ("X-Forwarded-For: 127.0.0.1"). And a reverse proxy on this machine connects from
 * loopback on behalf of the whole internet: any forwarding header therefore means "not local".
 */
export function isFromThisMachine(req: Request): boolean {
  return isLoopback(req.socket.remoteAddress) && PROXY_HEADERS.every((h) => req.headers[h] === undefined);
}
