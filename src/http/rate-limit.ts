import type { Request, RequestHandler } from 'express';
import type { Clock } from '../shared/clock';
import { AppError } from '../shared/errors';

/**
 * Fixed-window counters kept in this process's memory. Each instance counts on its own: behind a
 * load balancer with N instances a client may get up to N times the limit (see docs/embed.md).
 */
export class FixedWindowRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastSweep = 0;

  constructor(
    private readonly opts: { limit: number; windowSeconds: number; clock: Clock },
  ) {}

  /** Counts one request for `key`; when over the limit, says how long until the window resets. */
  hit(key: string): { allowed: boolean; retryAfterSeconds: number } {
    const now = this.opts.clock.now().getTime();
    const windowMs = this.opts.windowSeconds * 1000;
    this.sweep(now, windowMs);
    let entry = this.windows.get(key);
    if (!entry || now - entry.start >= windowMs) {
      entry = { start: now, count: 0 };
      this.windows.set(key, entry);
    }
    entry.count += 1;
    const retryAfterSeconds = Math.max(1, Math.ceil((entry.start + windowMs - now) / 1000));
    return { allowed: entry.count <= this.opts.limit, retryAfterSeconds };
  }

  /** Throws the catalogue's RATE_LIMITED error (429 with Retry-After) when over the limit. */
  check(key: string): void {
    const { allowed, retryAfterSeconds } = this.hit(key);
    if (!allowed) {
      throw new AppError('RATE_LIMITED', 'Too many requests. Please wait a little and try again.', { retryAfterSeconds });
    }
  }

  /** Drops finished windows once per window, so memory follows the number of active clients. */
  private sweep(now: number, windowMs: number): void {
    if (now - this.lastSweep < windowMs) return;
    this.lastSweep = now;
    for (const [key, entry] of this.windows) if (now - entry.start >= windowMs) this.windows.delete(key);
  }
}

/** The limits on public endpoints that send email: per client IP and per email address. */
export interface PublicRateLimits {
  perIp: FixedWindowRateLimiter;
  perAddress: FixedWindowRateLimiter;
}

export function createPublicRateLimits(
  config: {
    RATE_LIMIT_PER_IP: number;
    RATE_LIMIT_PER_ADDRESS: number;
    RATE_LIMIT_WINDOW_SECONDS: number;
  },
  clock: Clock,
): PublicRateLimits {
  const windowSeconds = config.RATE_LIMIT_WINDOW_SECONDS;
  return {
    perIp: new FixedWindowRateLimiter({ limit: config.RATE_LIMIT_PER_IP, windowSeconds, clock }),
    perAddress: new FixedWindowRateLimiter({ limit: config.RATE_LIMIT_PER_ADDRESS, windowSeconds, clock }),
  };
}

/** The console's sign-in attempts, per client IP and per address, in the same window as the public limits. */
export function createLoginRateLimits(
  config: { ADMIN_LOGIN_LIMIT_PER_IP: number; ADMIN_LOGIN_LIMIT_PER_ADDRESS: number; RATE_LIMIT_WINDOW_SECONDS: number },
  clock: Clock,
): PublicRateLimits {
  return createPublicRateLimits(
    {
      RATE_LIMIT_PER_IP: config.ADMIN_LOGIN_LIMIT_PER_IP,
      RATE_LIMIT_PER_ADDRESS: config.ADMIN_LOGIN_LIMIT_PER_ADDRESS,
      RATE_LIMIT_WINDOW_SECONDS: config.RATE_LIMIT_WINDOW_SECONDS,
    },
    clock,
  );
}

/** Middleware: counts the request against its client IP (req.ip honours the trust proxy setting). */
export function limitPerIp(limiter: FixedWindowRateLimiter): RequestHandler {
  return (req: Request, _res, next) => {
    limiter.check(`ip:${req.ip ?? 'unknown'}`);
    next();
  };
}
