import { HourlyRateLimit } from '../../src/digests/hourly-rate-limit';
import { ManualClock } from '../helpers/manual-clock';

/** Takes tokens until one is refused; returns how many were granted and the wait it was told. */
function drain(limit: HourlyRateLimit): { granted: number; wait: number } {
  let granted = 0;
  for (;;) {
    const wait = limit.take();
    if (wait > 0) return { granted, wait };
    granted++;
  }
}

describe('HourlyRateLimit', () => {
  test('when a send starts, then a burst of one minute\'s worth goes at once and the next is told to wait for its token', async () => {
    const clock = new ManualClock();
    const limit = new HourlyRateLimit(3600, clock);
    expect(drain(limit)).toEqual({ granted: 60, wait: 1000 });
    await clock.advance(990);
    const wait = limit.take();
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(11); // 10 ms, give or take rounding
    await clock.advance(10);
    expect(limit.take()).toBe(0);
    expect(limit.take()).toBe(1000);
  });

  test('when it has been idle for longer than a minute, then the bucket holds no more than a minute\'s worth', async () => {
    const clock = new ManualClock();
    const limit = new HourlyRateLimit(600, clock);
    drain(limit);
    await clock.advance(3_600_000);
    expect(drain(limit).granted).toBe(10);
  });

  test('when sending flat out for an hour, then no more than the hourly rate plus one minute\'s burst goes out', async () => {
    const clock = new ManualClock();
    const limit = new HourlyRateLimit(1200, clock);
    let sent = 0;
    const end = clock.now().getTime() + 3_600_000;
    while (clock.now().getTime() < end) {
      const wait = limit.take();
      if (wait === 0) sent++;
      else await clock.advance(wait);
    }
    expect(sent).toBeGreaterThanOrEqual(1200);
    expect(sent).toBeLessThanOrEqual(1200 + 20);
  });

  test('when a token is given back, then the next take gets it without waiting', () => {
    const limit = new HourlyRateLimit(60, new ManualClock());
    expect(drain(limit).granted).toBe(1);
    limit.giveBack();
    expect(limit.take()).toBe(0);
    expect(limit.take()).toBeGreaterThan(0);
  });

  test('when the rate is 0, then there is no limit', () => {
    const limit = new HourlyRateLimit(0, new ManualClock());
    for (let i = 0; i < 10_000; i++) expect(limit.take()).toBe(0);
  });
});
