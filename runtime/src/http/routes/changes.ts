import type { Engine } from '@attest/engine';
import { ref } from '../components.ts';
import { created, json, operation } from '../operation.ts';
import { LIMITS, object, oneOf, password, requiredText, text, uuid } from '../schema.ts';

const change = object(
  {
    kind: oneOf(
      ['skip', 'repeat', 'add', 'outOfOrder'] as const,
      'skip an open step, repeat a completed one, add a step with one of the template’s forms, or do a later step ahead of the flow where the template allows it',
    ),
    taskId: uuid('For skip: the open step; for repeat: the completed step'),
    formKey: text(LIMITS.name, 'For add: the key of one of the template’s forms'),
    name: text(LIMITS.name, 'For add: the name of the new step'),
    elementId: text(LIMITS.name, 'For outOfOrder: the id of the model’s step to do ahead of the flow'),
    reason: requiredText(LIMITS.reason, 'Why the procedure is changed for this record'),
    password: password('The signer’s own password, typed again (B1)'),
  },
  ['kind', 'reason', 'password'],
);

/** Run-time changes to a running record (D7). */
export function changeOperations(engine: Engine) {
  return [
    operation({
      id: 'changeRecord',
      method: 'post',
      path: '/api/records/{id}/changes',
      tag: 'records',
      summary:
        'Skip, repeat or add a step in a running record (D7), or do a later step ahead of the flow (F1): an e-signed, reasoned exception',
      description:
        'Needs the permission records.change and the signer’s password; the reason is the signature’s. ' +
        'A skipped step is withdrawn without values and the flow goes on from it; a repeated step gets a ' +
        'new task of the same element and form whose values stand beside the first ones; an added step ' +
        'uses one of the template’s forms. Neither a repeat nor an addition moves the flow, and the record ' +
        'holds while one is open. Each is a high, blocking exception that another person of QA dispositions. ' +
        'A record that is not running is refused. ' +
        'outOfOrder needs, instead of records.change, the authority to perform the step (one of its roles): the ' +
        'step, which its template marks attest:outOfOrder, gets its task now; when the process reaches it, the ' +
        'values done ahead complete it there. It is signed Performed and recorded as a high, blocking exception ' +
        'out_of_order.',
      access: 'session',
      params: object({ id: uuid('Record id') }, ['id']),
      body: change,
      responses: { 201: json('The change, with the exception that records it', ref('RunTimeChange')) },
      problems: [404, 409, 423],
      handle: async ({ principal, params, body }) =>
        created(await engine.records.change(principal, params.id, body)),
    }),
  ];
}
