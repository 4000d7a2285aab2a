import type { Schema } from '../schema.ts';
import {
  closed,
  string,
  nullableString,
  instant,
  id,
  integer,
  boolean,
  permission,
  nullableInstant,
  nullableId,
} from './shared.ts';

/** Accounts, roles and sessions. */
export const IDENTITY_COMPONENTS = {
  Problem: closed(
    {
      type: { type: 'string', pattern: '^urn:attest:problem:[a-z-]+$' },
      title: string,
      status: { type: 'integer', minimum: 400, maximum: 599 },
      detail: string,
      instance: string,
      requestId: string,
      errors: {
        type: 'array',
        items: closed(
          {
            pointer: { type: 'string', description: 'JSON pointer into the body, query or path' },
            keyword: string,
            message: string,
          },
          'What is wrong at one place of the input',
        ),
      },
    },
    'An RFC 9457 problem document',
    ['errors'],
  ),
  User: closed(
    {
      id,
      username: string,
      printedName: string,
      email: nullableString,
      active: boolean,
      locked: boolean,
      mustChangePassword: boolean,
      passwordChangedAt: instant,
      language: string,
      createdAt: instant,
      roles: { type: 'array', items: string },
      version: integer,
    },
    'A user; users are deactivated, never deleted (A1)',
  ),
  UserWithOneTimePassword: closed(
    {
      user: { $ref: '#/components/schemas/User' },
      oneTimePassword: {
        type: 'string',
        description: 'To be given to the user; it must be changed at first use',
      },
    },
    'A user and the one-time password an administrator hands over (A6)',
  ),
  Role: closed(
    {
      id,
      name: string,
      title: string,
      description: string,
      permissions: { type: 'array', items: permission },
      version: integer,
    },
    'A role and the permissions it grants',
  ),
  SecurityChange: closed(
    {
      id,
      kind: {
        type: 'string',
        enum: ['role', 'user-roles'],
        description: 'role: define or change a role; user-roles: grant or revoke roles',
      },
      target: { type: 'string', description: 'The role name, or the id of the user whose roles change' },
      proposal: {
        type: 'object',
        description: 'What takes effect on approval: the role definition, or the roles (and those before)',
      },
      baseVersion: {
        type: ['integer', 'null'],
        description: 'Version proposed against; null for a new role',
      },
      status: { type: 'string', enum: ['pending', 'approved', 'rejected'] },
      proposedBy: id,
      proposedAt: instant,
      proposalReason: nullableString,
      decidedBy: nullableId,
      decidedAt: nullableInstant,
      decisionReason: nullableString,
      version: integer,
    },
    'A change to access proposed by one administrator, effective once a second approves it (dual control, A3)',
  ),
  Session: closed(
    {
      token: { type: 'string', description: 'Bearer token, valid for 15 minutes; refresh it before then' },
      expiresAt: instant,
      mustChangePassword: boolean,
      user: { $ref: '#/components/schemas/User' },
    },
    'An open session',
  ),
  Me: closed(
    {
      user: { $ref: '#/components/schemas/User' },
      roles: { type: 'array', items: string },
      permissions: { type: 'array', items: permission },
      mustChangePassword: boolean,
      plant: closed(
        {
          timeZone: { type: 'string', description: 'IANA time zone times are shown in, e.g. Asia/Shanghai' },
          dualControl: {
            type: 'boolean',
            description:
              'Dual control (A3): a change of a role’s permissions, and a grant of GMP approval authority, are proposed and take effect once a second administrator approves',
          },
          gmpApproval: {
            type: 'array',
            items: permission,
            description:
              'The permissions that are GMP approval authority; under dual control granting them is proposed',
          },
        },
        'The plant’s settings every screen needs',
      ),
    },
    'The person behind the token and what they may do',
  ),
} satisfies Record<string, Schema>;
