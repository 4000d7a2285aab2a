import type { Request } from 'express';
import { GMP_APPROVAL, LANGUAGES, type Engine, type Principal } from '@attest/engine';
import { ref } from '../components.ts';
import { json, noContent, ok, operation } from '../operation.ts';
import { LIMITS, object, oneOf, password, requiredText } from '../schema.ts';
import type { Tokens } from '../tokens.ts';

const credentials = object({ username: requiredText(LIMITS.name, 'Login name'), password: password() }, [
  'username',
  'password',
]);

const passwordChange = object(
  {
    currentPassword: password('The password in use now, typed again'),
    newPassword: password('Must meet the password policy and differ from recent ones'),
  },
  ['currentPassword', 'newPassword'],
);

const languageChoice = object({ language: oneOf(LANGUAGES, 'The language of one’s screens') }, ['language']);

/** The client's address and user agent, recorded with the login (C4). */
const clientOf = (req: Request) =>
  [req.ip, req.get('user-agent')?.slice(0, 200)].filter(Boolean).join(' ') || null;

export function authOperations(engine: Engine, tokens: Tokens) {
  const session = async (principal: Principal, mustChangePassword: boolean) => ({
    ...tokens.issue(principal),
    mustChangePassword,
    user: await engine.identity.getUser(principal, principal.userId),
  });

  return [
    operation({
      id: 'login',
      method: 'post',
      path: '/api/auth/login',
      tag: 'auth',
      summary: 'Log in',
      description:
        'Opens a session. Failed attempts make further ones wait, per account and per client address ' +
        '(429 with Retry-After; successful logins never count); after 5 wrong passwords in a row the ' +
        'account is locked (423) until another administrator unlocks or resets it.',
      access: 'public',
      body: credentials,
      responses: { 200: json('The session and its token', ref('Session')) },
      problems: [401, 423, 429],
      handle: async ({ body, req }) => {
        const result = await engine.identity.login({
          ...body,
          client: clientOf(req),
          address: req.ip ?? null,
        });
        return ok({
          ...tokens.issue({ userId: result.user.id, sessionId: result.sessionId }),
          mustChangePassword: result.mustChangePassword,
          user: result.user,
        });
      },
    }),
    operation({
      id: 'logout',
      method: 'post',
      path: '/api/auth/logout',
      tag: 'auth',
      summary: 'Log out: the session ends at once, whatever its token says',
      access: 'password-change',
      responses: { 204: { description: 'The session has ended' } },
      handle: async ({ principal }) => {
        await engine.identity.logout(principal);
        return noContent();
      },
    }),
    operation({
      id: 'changePassword',
      method: 'post',
      path: '/api/auth/password',
      tag: 'auth',
      summary: 'Change one’s own password',
      description:
        'Also the way out of a one-time password (A6). A wrong current password counts towards lockout.',
      access: 'password-change',
      body: passwordChange,
      responses: { 204: { description: 'The password has been changed' } },
      problems: [409, 423],
      handle: async ({ principal, body }) => {
        await engine.identity.changePassword(principal, body.currentPassword, body.newPassword);
        return noContent();
      },
    }),
    operation({
      id: 'refresh',
      method: 'post',
      path: '/api/auth/refresh',
      tag: 'auth',
      summary: 'A new token for the session, which must still be open',
      access: 'password-change',
      responses: { 200: json('The session and its new token', ref('Session')) },
      handle: async ({ principal, mustChangePassword }) => ok(await session(principal, mustChangePassword)),
    }),
    operation({
      id: 'me',
      method: 'get',
      path: '/api/auth/me',
      tag: 'auth',
      summary: 'Who is logged in, with roles and permissions',
      access: 'password-change',
      responses: { 200: json('The person behind the token', ref('Me')) },
      handle: async ({ principal, mustChangePassword }) =>
        ok({
          user: await engine.identity.getUser(principal, principal.userId),
          roles: principal.roles,
          permissions: [...principal.permissions].sort(),
          mustChangePassword,
          plant: {
            timeZone: engine.settings.plant.timeZone,
            dualControl: engine.settings.dualControl,
            gmpApproval: GMP_APPROVAL,
          },
        }),
    }),
    operation({
      id: 'setLanguage',
      method: 'put',
      path: '/api/auth/language',
      tag: 'auth',
      summary: 'Choose the language of one’s own screens (English or Simplified Chinese)',
      access: 'session',
      body: languageChoice,
      responses: { 200: json('The account with its language', ref('User')) },
      handle: async ({ principal, body }) => ok(await engine.identity.setLanguage(principal, body.language)),
    }),
  ];
}
