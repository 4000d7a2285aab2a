import type { RequestHandler, Response } from 'express';
import { AuthenticationError, type Engine, type Principal } from '@attest/engine';
import type { Access } from './operation.ts';
import type { Tokens } from './tokens.ts';

export interface Session {
  principal: Principal;
  mustChangePassword: boolean;
}

export const sessionOf = (res: Response): Session | undefined => res.locals.session as Session | undefined;

/**
 * Verifies the bearer token, then asks the engine whether its session is still open: the engine
 * refuses ended sessions, deactivated or locked users and idle sessions, and, except where only a
 * password change is allowed, users who must change their password first.
 */
export function authenticator(engine: Engine, tokens: Tokens) {
  async function open(sessionId: string, access: Exclude<Access, 'public'>): Promise<Session> {
    const principal = await engine.identity.authenticate(sessionId, {
      allowPasswordChange: access === 'password-change',
    });
    return { principal, mustChangePassword: principal.mustChangePassword };
  }

  return (access: Exclude<Access, 'public'>): RequestHandler =>
    async (req, res, next) => {
      const claims = tokens.verify(req.get('authorization'));
      const session = await open(claims.sessionId, access);
      if (session.principal.userId !== claims.userId) {
        throw new AuthenticationError('The token is not valid; log in again');
      }
      res.locals.session = session;
      next();
    };
}
