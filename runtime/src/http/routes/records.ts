import { MEANINGS, type Engine } from '@attest/engine';
import { auditQuery, auditReply, auditResponses, readTrail } from '../auditExport.ts';
import { listOf, ref } from '../components.ts';
import { created, json, ok, operation } from '../operation.ts';
import { boolean, LIMITS, object, oneOf, password, requiredText, text, uuid } from '../schema.ts';

const recordId = object({ id: uuid('Record id') }, ['id']);

const signing = object(
  {
    meaning: oneOf(MEANINGS, 'What the signature means'),
    password: password('The signer’s own password, typed again (B1)'),
    reason: text(LIMITS.reason, 'Why; required for a rejection or an override (B3)'),
    override: boolean('Signing to override a rule, e.g. a limit or the order of steps'),
  },
  ['meaning', 'password'],
);

const withdrawal = object(
  {
    password: password('The signer’s own password, typed again'),
    reason: requiredText(LIMITS.reason, 'Why the signature is withdrawn'),
  },
  ['password', 'reason'],
);

export function recordOperations(engine: Engine) {
  return [
    operation({
      id: 'getRecord',
      method: 'get',
      path: '/api/records/{id}',
      tag: 'records',
      summary: 'One record',
      access: 'session',
      params: recordId,
      responses: { 200: json('The record', ref('Record')) },
      handle: async ({ principal, params }) => ok(await engine.records.get(principal, params.id)),
    }),
    operation({
      id: 'recordAuditTrail',
      method: 'get',
      path: '/api/records/{id}/audit',
      tag: 'records',
      summary: 'The audit trail of a record, filtered by user, time and field; as JSON or CSV (C5)',
      access: 'session',
      params: recordId,
      query: auditQuery,
      responses: auditResponses,
      handle: async ({ principal, params, query }) => {
        await engine.records.get(principal, params.id);
        return auditReply(await readTrail(engine, principal, params.id, query), query.format, params.id);
      },
    }),
    operation({
      id: 'listSignatures',
      method: 'get',
      path: '/api/records/{id}/signatures',
      tag: 'signatures',
      summary:
        'The signatures of a record, each with its manifestation and whether the record changed since (B2, B4)',
      access: 'session',
      params: recordId,
      responses: {
        200: json('The signatures, oldest first', listOf('signatures', 'Signature', 'Signatures')),
      },
      handle: async ({ principal, params }) =>
        ok({ signatures: await engine.signatures.list(principal, params.id) }),
    }),
    operation({
      id: 'signRecord',
      method: 'post',
      path: '/api/records/{id}/signatures',
      tag: 'signatures',
      summary: 'Sign a record (B1–B6)',
      description:
        'The password is typed again; a rejection or an override needs a reason; the signer needs the ' +
        'authority for the meaning and may not sign what segregation of duties forbids.',
      access: 'session',
      params: recordId,
      body: signing,
      responses: { 201: json('The signature with its manifestation', ref('Signature')) },
      problems: [409, 423],
      handle: async ({ principal, params, body }) =>
        created(await engine.signatures.sign(principal, params.id, body)),
    }),
    operation({
      id: 'withdrawSignature',
      method: 'post',
      path: '/api/signatures/{id}/withdraw',
      tag: 'signatures',
      summary: 'Withdraw one’s own signature: a new signed event; the signature stays (B7)',
      access: 'session',
      params: object({ id: uuid('Signature id') }, ['id']),
      body: withdrawal,
      responses: { 200: json('The signature, now withdrawn', ref('Signature')) },
      problems: [409, 423],
      handle: async ({ principal, params, body }) =>
        ok(await engine.signatures.withdraw(principal, params.id, body)),
    }),
  ];
}
