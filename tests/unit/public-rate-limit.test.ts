import { FixedWindowRateLimiter } from '../../src/http/rate-limit';
import { ManualClock } from '../helpers/manual-clock';

describe('FixedWindowRateLimiter', () => {
  test('when a client goes over the limit, then it is refused until its window ends, and told how long that is', async () => {
    const clock = new ManualClock();
    const limiter = new FixedWindowRateLimiter({ limit: 2, windowSeconds: 60, clock });
    expect(limiter.hit('a').allowed).toBe(true);
    await clock.advance(10_000);
    expect(limiter.hit('a').allowed).toBe(true);
    expect(limiter.hit('a')).toEqual({ allowed: false, retryAfterSeconds: 50 });
    expect(limiter.hit('b').allowed).toBe(true);
    await clock.advance(50_000);
    expect(limiter.hit('a').allowed).toBe(true);
  });

  test('when over the limit, then check throws RATE_LIMITED with Retry-After', () => {
    const limiter = new FixedWindowRateLimiter({ limit: 0, windowSeconds: 30, clock: new ManualClock() });
    expect(() => limiter.check('a')).toThrow(expect.objectContaining({ code: 'RATE_LIMITED', details: { retryAfterSeconds: 30 } }));
  });
});
