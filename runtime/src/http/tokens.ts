import { createSecretKey } from 'node:crypto';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import { AuthenticationError, type Clock } from '@attest/engine';

/**
 * Bearer tokens are short-lived and name a server-side session: the session, not the token, is
 * what logout, deactivation, lockout and inactivity end at once.
 */
const LIFETIME_SECONDS = 15 * 60;
const ALGORITHM = 'HS256';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;
const MIN_SECRET_LENGTH = 32;
/** Leeway for clocks of several runtime processes behind one load balancer. */
const SKEW_SECONDS = 60;

export interface IssuedToken {
  token: string;
  expiresAt: string;
}

export interface TokenClaims {
  userId: string;
  sessionId: string;
}

export type Tokens = ReturnType<typeof createTokens>;

/** Tokens are timed by the engine's clock, the one clock every act is recorded with. */
export function createTokens(secret: string, clock: Clock) {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`The token secret must be at least ${MIN_SECRET_LENGTH} characters long`);
  }
  // A key object rather than the string: given a string, jsonwebtoken first tries (and fails) to
  // parse it as a PEM public key on every verification, a tenth of a busy server's time.
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);

  function issue({ userId, sessionId }: TokenClaims): IssuedToken {
    const iat = nowSeconds();
    const token = jwt.sign({ sid: sessionId, iat }, key, {
      algorithm: ALGORITHM,
      subject: userId,
      expiresIn: LIFETIME_SECONDS,
    });
    return { token, expiresAt: new Date((iat + LIFETIME_SECONDS) * 1000).toISOString() };
  }

  /**
   * Reads the Authorization header; anything but a well-formed, unexpired token of ours is refused,
   * and so is one that would never expire or outlive the lifetime we issue (a forged or leaked
   * secret must not mint tokens that last for ever).
   */
  function verify(authorization: string | undefined): TokenClaims {
    if (!authorization) {
      throw new AuthenticationError('Log in first and send the token as "Authorization: Bearer <token>"');
    }
    const token = BEARER.exec(authorization)?.[1];
    if (!token) throw new AuthenticationError('The Authorization header must be "Bearer <token>"');
    let claims: JwtPayload | string;
    try {
      claims = jwt.verify(token, key, { algorithms: [ALGORITHM], clockTimestamp: nowSeconds() });
    } catch (error) {
      throw new AuthenticationError(
        error instanceof jwt.TokenExpiredError
          ? 'The token has expired; refresh it before it expires or log in again'
          : 'The token is not valid; log in again',
      );
    }
    if (
      typeof claims !== 'object' ||
      typeof claims.sub !== 'string' ||
      typeof claims.sid !== 'string' ||
      !UUID.test(claims.sub) ||
      !UUID.test(claims.sid) ||
      typeof claims.exp !== 'number' ||
      typeof claims.iat !== 'number' ||
      claims.exp - claims.iat > LIFETIME_SECONDS ||
      claims.iat > nowSeconds() + SKEW_SECONDS
    ) {
      throw new AuthenticationError('The token is not valid; log in again');
    }
    return { userId: claims.sub, sessionId: claims.sid };
  }

  return { issue, verify };
}
