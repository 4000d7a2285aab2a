import type { Engine } from '@attest/engine';
import { listOf, ref } from '../components.ts';
import { json, ok, operation, stream } from '../operation.ts';
import { LIMITS, object, password, text, uuid } from '../schema.ts';
import type { TaskFeed } from '../taskFeed.ts';
import { variables, variablesOf } from './processes.ts';
import { withStoredSources } from './records.ts';
import { pointerKey, submission, submissionOf } from './forms.ts';

const byInstance = (what: string) => object({ instanceId: uuid(`Only the ${what} of this instance`) }, []);
const taskId = object({ id: uuid('Task id') }, ['id']);
const completion = object(
  {
    variables: { ...variables, description: 'For a task without a form: the variables it sets' },
    ...submission,
    confirmed: {
      type: 'array',
      maxItems: 2000,
      uniqueItems: true,
      items: pointerKey,
      description:
        'Values outside their limits the operator has seen and confirms, by pointer; completing over a ' +
        'breach that is not confirmed is refused (F4)',
    },
    comments: {
      type: 'object',
      maxProperties: 2000,
      propertyNames: pointerKey,
      additionalProperties: text(LIMITS.reason),
      description:
        'The operator’s comment on a value outside its limits, by pointer; required where the template asks',
    },
    signature: object(
      {
        password: password('The signer’s own password, typed again (B1)'),
        reason: text(LIMITS.reason, 'Why; required when the step is rejected (B3)'),
      },
      ['password'],
      'For a step the model signs (attest:signatureMeaning): the electronic signature of the completion',
    ),
  },
  [],
);
const instance = (description: string) => json(description, ref('ProcessInstance'));

export function taskOperations(engine: Engine, feed: TaskFeed) {
  return [
    operation({
      id: 'taskEvents',
      method: 'get',
      path: '/api/task-events',
      tag: 'tasks',
      summary: 'Server-sent events: `tasks` whenever tasks were created, claimed, completed or withdrawn',
      description:
        'The events carry no task data: a screen that hears one asks GET /api/tasks again and sees what ' +
        'its person may. A stream ends after five minutes; the client opens a new one with its current token.',
      access: 'session',
      responses: {
        200: {
          description: 'An event stream (text/event-stream): `ready` once, then `tasks` on every change',
          content: { 'text/event-stream': { type: 'string' } },
        },
      },
      handle: async () => stream((res) => feed.attach(res)),
    }),
    operation({
      id: 'listTasks',
      method: 'get',
      path: '/api/tasks',
      tag: 'tasks',
      summary: 'Open user tasks the caller’s roles may work on, oldest first',
      access: 'session',
      query: byInstance('tasks'),
      responses: { 200: json('The tasks', listOf('tasks', 'Task', 'User tasks')) },
      handle: async ({ principal, query }) =>
        ok({ tasks: await engine.tasks.list(principal, { instanceId: query.instanceId }) }),
    }),
    operation({
      id: 'getTask',
      method: 'get',
      path: '/api/tasks/{id}',
      tag: 'tasks',
      summary: 'A task, open or done, with its record and the signature completing it asks for',
      description:
        'What the step view shows before the form: the step, its record, and whether completing it is ' +
        'an electronic signature (its meaning, and whether it may be a rejection), and what it reviews ' +
        'beside its form (attest:reviewOf). For whoever may read audit trails or work the open step.',
      access: 'session',
      params: taskId,
      responses: { 200: json('The task', ref('TaskDetail')) },
      problems: [409],
      handle: async ({ principal, params }) => ok(await engine.tasks.get(principal, params.id)),
    }),
    operation({
      id: 'taskReview',
      method: 'get',
      path: '/api/tasks/{id}/review',
      tag: 'tasks',
      summary: 'What a review step shows of its record: the dossier, or the audit trail to review (C6)',
      description:
        'For a step whose model names attest:reviewOf. Whoever may read audit trails reads it; whoever ' +
        'may work the open step reads that one record through it, since they sign what it shows.',
      access: 'session',
      params: taskId,
      responses: { 200: json('The record under review', ref('StepReview')) },
      problems: [409],
      handle: async ({ principal, params }) => {
        const review = await engine.tasks.review(principal, params.id);
        return ok({ ...review, dossier: withStoredSources(review.dossier) });
      },
    }),
    operation({
      id: 'claimTask',
      method: 'post',
      path: '/api/tasks/{id}/claim',
      tag: 'tasks',
      summary: 'Claim a task: from then on only the claimant works on it (A2)',
      access: 'session',
      params: taskId,
      responses: { 200: json('The task, claimed', ref('Task')) },
      problems: [409],
      handle: async ({ principal, params }) => ok(await engine.tasks.claim(principal, params.id)),
    }),
    operation({
      id: 'completeTask',
      method: 'post',
      path: '/api/tasks/{id}/complete',
      tag: 'tasks',
      summary: 'Complete a task: its form data through the submission pipeline, or its output variables (A2)',
      description:
        'For a task with a form: the data is normalized, calculated values are worked out by the server, ' +
        'hidden values cleared, everything validated (all errors at once, in plain language at their ' +
        'pointers), limits checked; values, provenance, exceptions and the audit trail are written with ' +
        'the completion in one transaction. Critical values entered by hand must have been verified. A ' +
        'step the model signs needs the signer’s password (and a reason when the step is rejected).',
      access: 'session',
      params: taskId,
      body: completion,
      bodyLimitKb: 1024,
      responses: { 200: instance('The instance, waiting where it next stopped') },
      problems: [409, 423],
      handle: async ({ principal, params, body }) =>
        ok(
          await engine.tasks.complete(principal, params.id, {
            variables: variablesOf(body),
            ...(body.data !== undefined || body.sources || body.na || body.reason ? submissionOf(body) : {}),
            ...(body.confirmed && { confirmed: body.confirmed }),
            ...(body.comments && { comments: body.comments as Record<string, string> }),
            ...(body.signature && { signature: body.signature }),
          }),
        ),
    }),
    operation({
      id: 'listIncidents',
      method: 'get',
      path: '/api/incidents',
      tag: 'tasks',
      summary: 'Open incidents: where instances cannot go on by themselves, oldest first',
      access: 'session',
      query: byInstance('incidents'),
      responses: { 200: json('The incidents', listOf('incidents', 'Incident', 'Open incidents')) },
      handle: async ({ principal, query }) =>
        ok({ incidents: await engine.incidents.list(principal, query.instanceId) }),
    }),
    operation({
      id: 'retryIncident',
      method: 'post',
      path: '/api/incidents/{id}/retry',
      tag: 'tasks',
      summary: 'Retry the element an incident holds, after correcting variables if need be',
      description:
        'A retry as it is needs the authority to enter values. Correcting variables first needs the ' +
        'authority to retry incidents with corrected variables and a reason; the audit trail keeps each ' +
        'variable’s old and new value.',
      access: 'session',
      params: object({ id: uuid('Incident id') }, ['id']),
      body: object(
        {
          variables: { ...variables, description: 'Corrected variables, set before the element runs again' },
          reason: text(LIMITS.reason, 'Why the variables are corrected; required with variables'),
        },
        [],
      ),
      responses: { 200: instance('The instance, waiting where it next stopped') },
      problems: [409],
      handle: async ({ principal, params, body }) =>
        ok(
          await engine.incidents.retry(principal, params.id, {
            variables: variablesOf(body),
            reason: body.reason,
          }),
        ),
    }),
  ];
}
