import autocannon from 'autocannon';
import { round } from './stats';

export type BodyKind = 'json' | 'form';

export interface LoadFigures {
  /** 2xx responses per second over the whole run. */
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx responses plus socket errors and timeouts. */
  errors: number;
  ok: number;
}

/**
 * POST /subscribe requests where every request carries a new address (a repeat address would test
 * the "already pending" branch and its throttle instead).
 */
export function signupRequests(kind: BodyKind, prefix: string): autocannon.AutocannonRequest[] {
  let n = 0;
  return [
    {
      method: 'POST',
      path: '/subscribe',
      headers: { 'content-type': kind === 'json' ? 'application/json' : 'application/x-www-form-urlencoded' },
      setupRequest(request) {
        const email = `${prefix}-${++n}@example.test`;
        request.body =
          kind === 'json'
            ? JSON.stringify({ email, newsletters: ['daily'] })
            : `email=${encodeURIComponent(email)}&newsletters=daily`;
        return request;
      },
    },
  ];
}

export async function load(opts: {
  url: string;
  requests: autocannon.AutocannonRequest[];
  connections: number;
  durationSeconds: number;
}): Promise<LoadFigures> {
  const result = await autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.durationSeconds,
    timeout: 10,
    requests: opts.requests,
  });
  return {
    reqPerSec: round(result['2xx'] / result.duration, 1),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.non2xx + result.errors + result.timeouts,
    ok: result['2xx'],
  };
}
