import { MEANINGS, PERMISSIONS } from '@attest/engine';
import type { Schema } from './schema.ts';

/**
 * What the API answers with. Closed like the request schemas, so the tests that check every
 * response against the document notice at once when the two drift apart.
 */
const closed = (
  properties: Record<string, Schema>,
  description: string,
  optional: string[] = [],
): Schema => ({
  type: 'object',
  description,
  additionalProperties: false,
  required: Object.keys(properties).filter((key) => !optional.includes(key)),
  properties,
});

const string = { type: 'string' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const instant = { type: 'string', format: 'date-time' } as const;
const id = { type: 'string', format: 'uuid' } as const;
const integer = { type: 'integer' } as const;
const boolean = { type: 'boolean' } as const;
const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const permission = { type: 'string', enum: Object.keys(PERMISSIONS) } as const;
const meaning = { type: 'string', enum: MEANINGS } as const;

export const COMPONENTS = {
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
    },
    'The person behind the token and what they may do',
  ),
  Record: closed(
    {
      id,
      number: string,
      kind: string,
      title: string,
      status: string,
      content: { type: 'object' },
      version: integer,
      createdAt: instant,
      createdBy: id,
      updatedAt: instant,
    },
    'A GMP record',
  ),
  Manifestation: closed(
    {
      printedName: string,
      userId: string,
      signedAt: instant,
      meaning,
      text: {
        type: 'string',
        description: 'e.g. "Approved by Anna Li (anna.li) on 2026-11-24 08:12:03 UTC"',
      },
    },
    'How a signature shows itself: printed name, user id, date and time with zone, meaning (B2)',
  ),
  Signature: closed(
    {
      id,
      recordId: id,
      recordType: string,
      eventSeq: integer,
      signerId: id,
      meaning,
      reason: nullableString,
      signedAt: instant,
      contentHash: sha256,
      recordVersion: integer,
      manifestation: { $ref: '#/components/schemas/Manifestation' },
      contentChanged: { type: 'boolean', description: 'The record changed after it was signed (B4)' },
      withdrawn: {
        oneOf: [
          { type: 'null' },
          closed({ at: instant, by: id, reason: string }, 'When, by whom and why it was withdrawn (B7)'),
        ],
      },
    },
    'An electronic signature',
  ),
  AuditEvent: closed(
    {
      id: integer,
      recordId: id,
      recordType: { type: 'string', enum: ['record', 'user', 'role', 'security', 'ledger'] },
      seq: integer,
      type: string,
      actorId: { oneOf: [{ type: 'null' }, id] },
      actorName: string,
      at: instant,
      payload: { type: 'object' },
      reason: nullableString,
      prevHash: sha256,
      hash: sha256,
    },
    'One entry of an audit trail (C1)',
  ),
  Health: closed(
    {
      status: { const: 'ok' },
      database: { type: 'string', enum: ['postgres', 'embedded'] },
      version: string,
    },
    'The service is up',
  ),
} satisfies Record<string, Schema>;

export type ComponentName = keyof typeof COMPONENTS;

export const ref = (name: ComponentName): Schema => ({ $ref: `#/components/schemas/${name}` });

export const listOf = (key: string, name: ComponentName, description: string): Schema =>
  closed({ [key]: { type: 'array', items: ref(name) } }, description);

export const CSV = { type: 'string', description: 'RFC 4180 CSV with a header row' } as const;
