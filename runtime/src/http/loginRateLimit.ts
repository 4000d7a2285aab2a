import { rateLimit } from 'express-rate-limit';
import { HttpProblem } from './problem.ts';

export interface LoginRateLimit {
  windowMs: number;
  limit: number;
}

const DEFAULT_LOGIN_RATE_LIMIT: LoginRateLimit = { windowMs: 5 * 60_000, limit: 20 };

/**
 * Limits login attempts per client address. Only failed attempts count: operators on a shared
 * shop-floor network sign in many times a shift, while guessing passwords is what must be slowed.
 * The engine's lockout (A4) protects each account whatever the address.
 */
export function loginRateLimiter({ windowMs, limit }: LoginRateLimit = DEFAULT_LOGIN_RATE_LIMIT) {
  return rateLimit({
    windowMs,
    limit,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) =>
      next(
        new HttpProblem(
          'too-many-requests',
          'Too many failed login attempts from this address; wait before trying again (see Retry-After)',
        ),
      ),
  });
}
