import type { Schema } from '../schema.ts';
import {
  closed,
  string,
  nullableString,
  instant,
  id,
  integer,
  sha256,
  INSTANCE_STATUSES,
  WAITS,
  JOB_KINDS,
  enumOf,
  nullableInstant,
} from './shared.ts';

/** Process definitions, instances, messages, signals, jobs and migrations. */
export const PROCESS_COMPONENTS = {
  ProcessDefinition: closed(
    {
      id,
      key: { type: 'string', description: 'The process id in the XML; every version shares it' },
      version: { type: 'integer', minimum: 1 },
      name: nullableString,
      contentHash: { ...sha256, description: 'SHA-256 of the BPMN XML as deployed' },
      deployedAt: instant,
      created: {
        type: 'boolean',
        description: 'Deployed by this request; false when the same XML was deployed before, and in lists',
      },
    },
    'A deployed version of a BPMN process; a version never changes, a change is a new version',
  ),
  ProcessInstance: closed(
    {
      id,
      definitionId: id,
      key: string,
      version: { type: 'integer', description: 'The definition version the instance keeps for life' },
      status: enumOf(INSTANCE_STATUSES, 'Where the instance is'),
      businessKey: nullableString,
      variables: { type: 'object', description: 'The process variables' },
      startedAt: instant,
      endedAt: nullableInstant,
      openTasks: {
        type: 'array',
        items: closed(
          { id, elementId: string, name: nullableString, status: { const: 'open' } },
          'A user task the instance waits on',
        ),
      },
      incidents: {
        type: 'array',
        items: closed({ id, elementId: string }, 'An open incident that holds the instance'),
      },
      activeElements: {
        type: 'array',
        description: 'Where the instance’s tokens are, one entry per token',
        items: closed(
          { elementId: string, waitsFor: enumOf(WAITS, 'What the token waits for') },
          'An element a token of the instance waits at',
        ),
      },
      parentInstanceId: {
        oneOf: [{ type: 'null' }, id],
        description: 'The instance whose call activity started this one',
      },
    },
    'A running or finished process instance',
  ),
  CorrelatedMessage: closed(
    {
      instance: { $ref: '#/components/schemas/ProcessInstance' },
      started: { type: 'boolean', description: 'The message started a new instance rather than moving one' },
    },
    'The instance a message was delivered to, or the one it started',
  ),
  BroadcastSignal: closed(
    {
      triggered: { type: 'integer', minimum: 0, description: 'Running instances the signal moved on' },
      started: { type: 'integer', minimum: 0, description: 'Instances the signal started' },
    },
    'What a signal did',
  ),
  FailedJob: closed(
    {
      id,
      instanceId: { oneOf: [{ type: 'null' }, id], description: 'None for a timer start event' },
      elementId: string,
      kind: enumOf(JOB_KINDS, 'What the job did'),
      attempts: integer,
      error: nullableString,
      failedAt: instant,
    },
    'Work for the job workers that gave up after its retries',
  ),
  Migration: closed(
    {
      instanceId: id,
      fromDefinitionId: id,
      toDefinitionId: id,
      fromVersion: integer,
      toVersion: integer,
      mappable: { type: 'boolean', description: 'Nothing stands in the way of the migration' },
      moves: {
        type: 'array',
        items: closed({ from: string, to: string }, 'Where the tokens at an element go'),
      },
      problems: {
        type: 'array',
        items: closed({ elementId: string, problem: string }, 'Why an element cannot be migrated'),
      },
      instance: {
        $ref: '#/components/schemas/ProcessInstance',
        description: 'The instance on its new version; absent from a dry run',
      },
    },
    'A migration of a process instance to another version of its process, or a dry run of one',
    ['instance'],
  ),
} satisfies Record<string, Schema>;
