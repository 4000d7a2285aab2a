import type { Engine } from '@attest/engine';
import { listOf, ref } from '../components.ts';
import { json, ok, operation } from '../operation.ts';
import { LIMITS, nullableText, object, requiredText, text, uuid } from '../schema.ts';
import { variables, variablesOf } from './processes.ts';

const message = object(
  {
    name: requiredText(LIMITS.name, 'The name of the bpmn:Message'),
    correlationKey: nullableText(
      LIMITS.name,
      'The message reaches a token waiting for this key or for none; null or absent: only a token waiting for none',
    ),
    variables: { ...variables, description: 'Variables the message carries into the instance' },
    reason: text(LIMITS.reason, 'Why; required when the message reaches the process of a record'),
  },
  ['name'],
);

const signal = object(
  {
    name: requiredText(LIMITS.name, 'The name of the bpmn:Signal'),
    variables: { ...variables, description: 'Variables the signal carries into every instance it reaches' },
    reason: text(LIMITS.reason, 'Why; required when the signal reaches the process of a record'),
  },
  ['name'],
);

/** Messages and signals from outside the engine, and the jobs that gave up. */
export function eventOperations(engine: Engine) {
  return [
    operation({
      id: 'correlateMessage',
      method: 'post',
      path: '/api/messages',
      tag: 'processes',
      summary: 'Deliver a message: to the token waiting for it longest, else to a process it starts',
      description:
        'A message nothing waits for and no process starts on is refused with 404: a message is never dropped ' +
        'silently. A message into the process of a record needs the authority to send messages and signals ' +
        'into records and a reason.',
      access: 'session',
      body: message,
      responses: { 200: json('The instance the message moved or started', ref('CorrelatedMessage')) },
      problems: [404, 409],
      handle: async ({ principal, body }) =>
        ok(
          await engine.processes.messages.correlate(principal, {
            name: body.name,
            correlationKey: body.correlationKey ?? null,
            variables: variablesOf(body),
            reason: body.reason,
          }),
        ),
    }),
    operation({
      id: 'broadcastSignal',
      method: 'post',
      path: '/api/signals',
      tag: 'processes',
      summary: 'Broadcast a signal: every token waiting for it moves on, every process it starts starts',
      description:
        'A signal that would reach the process of a record needs the authority to send messages and ' +
        'signals into records and a reason; without them nothing moves.',
      access: 'session',
      body: signal,
      responses: { 200: json('How many instances the signal moved on and started', ref('BroadcastSignal')) },
      problems: [409],
      handle: async ({ principal, body }) =>
        ok(
          await engine.processes.signals.broadcast(principal, {
            name: body.name,
            variables: variablesOf(body),
            reason: body.reason,
          }),
        ),
    }),
    operation({
      id: 'listFailedJobs',
      method: 'get',
      path: '/api/jobs/failed',
      tag: 'tasks',
      summary: 'Jobs that gave up after their retries, oldest first',
      description:
        'Those of service tasks and call activities also hold their token as an incident; a thrown message ' +
        'nobody received shows only here.',
      access: 'session',
      query: object({ instanceId: uuid('Only the failed jobs of this instance') }, []),
      responses: { 200: json('The failed jobs', listOf('jobs', 'FailedJob', 'Failed jobs')) },
      handle: async ({ principal, query }) =>
        ok({ jobs: await engine.jobs.failed(principal, query.instanceId) }),
    }),
  ];
}
