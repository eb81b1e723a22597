/**
 * When a failed webhook delivery is tried again: the wait doubles from `baseSeconds` (1 minute by
 * default) up to 6 hours, with up to 10% of random spread so receivers that came back are not hit by
 * every retry in the same second. With the defaults, 12 attempts span about 20 hours
 * (1, 2, 4 ... 256 minutes, then 6 h twice); after the last one the delivery is given up.
 */
export const MAX_ATTEMPTS = 12;
export const MAX_DELAY_SECONDS = 6 * 3600;

/** Seconds to wait after the `failedAttempts`-th failure (1 = the first), or undefined: give up. */
export function retryDelaySeconds(failedAttempts: number, baseSeconds: number, random: () => number = Math.random): number | undefined {
  if (failedAttempts >= MAX_ATTEMPTS) return undefined;
  const plain = Math.min(baseSeconds * 2 ** (failedAttempts - 1), MAX_DELAY_SECONDS);
  return Math.round(plain * (1 + random() * 0.1));
}
