import type { Engine } from '@attest/engine';
import { ref } from '../components.ts';
import { json, ok, operation } from '../operation.ts';
import { LIMITS, object, oneOf, password, requiredText, text, uuid } from '../schema.ts';

const exceptionId = object({ id: uuid('Exception id') }, ['id']);

const disposition = object(
  {
    action: oneOf(
      ['assess', 'accept', 'raiseDeviation'] as const,
      'assess (open → assessed), then accept (→ accepted) or raiseDeviation (→ deviation)',
    ),
    comment: requiredText(
      LIMITS.reason,
      'The assessment, the justification of acceptance, or why a deviation is raised',
    ),
    deviationTitle: text(
      LIMITS.name,
      'For raiseDeviation: the deviation’s title; the exception’s message if left out',
    ),
    password: password('The signer’s own password, typed again (B1)'),
  },
  ['action', 'comment', 'password'],
);

/** Exceptions on records and QA's signed decisions on them (F4, F5). */
export function exceptionOperations(engine: Engine) {
  return [
    operation({
      id: 'getException',
      method: 'get',
      path: '/api/exceptions/{id}',
      tag: 'records',
      summary: 'An exception with its record and QA’s decisions on it (F4, F5)',
      access: 'session',
      params: exceptionId,
      responses: { 200: json('The exception', ref('Exception')) },
      handle: async ({ principal, params }) => ok(await engine.exceptions.get(principal, params.id)),
    }),
    operation({
      id: 'disposeException',
      method: 'post',
      path: '/api/exceptions/{id}/dispositions',
      tag: 'records',
      summary:
        'QA’s signed decision on an exception: assess it, then accept it or raise a deviation (F4, F5)',
      description:
        'Each decision is an e-signature (Reviewed to assess or raise a deviation, Approved to accept) with ' +
        'the comment as its reason. A blocking exception holds its record back — closing, review, approval ' +
        'and release signatures — until it is accepted or given a deviation. Nobody decides on an exception ' +
        'their own entry raised. A deviation is started from the deviation template, raised from the record.',
      access: 'session',
      params: exceptionId,
      body: disposition,
      responses: { 200: json('The exception with the decision', ref('Exception')) },
      problems: [409, 423],
      handle: async ({ principal, params, body }) =>
        ok(await engine.exceptions.dispose(principal, params.id, body)),
    }),
  ];
}
