import type { Engine } from '@attest/engine';
import { listOf, ref } from '../components.ts';
import { created, json, ok, operation } from '../operation.ts';
import { boolean, LIMITS, object, password, requiredText, text, uuid, type Schema } from '../schema.ts';

/** The largest BPMN file deployed in one request, in characters of XML. */
export const MOST_XML = 2_000_000;

/**
 * The XML travels as a JSON string, in which every quote doubles and non-ASCII text takes several
 * bytes: twice its length leaves room for an ordinary BPMN file of the largest size.
 */
const DEPLOY_BODY_LIMIT_KB = Math.ceil((2 * MOST_XML) / 1024);

/**
 * Process variables: JSON values under the names a model uses. The object is open by design, for
 * a model names its own variables; its size is bounded here and again by the engine.
 */
export const variables = {
  type: 'object',
  maxProperties: 500,
  description: 'Process variables by name, any JSON values',
} as const satisfies Schema;

/** The variables of a body: the schema admits nothing but an object there. */
export const variablesOf = (body: { variables?: unknown }) =>
  body.variables as Record<string, unknown> | undefined;

const processKey = object(
  {
    key: {
      type: 'string',
      maxLength: 200,
      pattern: '^[A-Za-z_][A-Za-z0-9_.-]{0,199}$',
      description: 'The process id in the BPMN XML, e.g. approval',
    },
  },
  ['key'],
);

const instanceId = object({ id: uuid('Process instance id') }, ['id']);

const deployment = object(
  { xml: requiredText(MOST_XML, 'A BPMN 2.0 file; every executable process in it is deployed') },
  ['xml'],
);

const start = object(
  {
    variables,
    businessKey: requiredText(LIMITS.name, 'The caller’s key for the instance, e.g. a batch number'),
  },
  [],
);

/** Element ids of a model: what a migration maps. */
const elementId = requiredText(LIMITS.name, 'An element id in a BPMN model');

const migration = object(
  {
    targetDefinitionId: uuid('Another version of the instance’s process'),
    mapping: {
      type: 'object',
      maxProperties: 500,
      propertyNames: elementId,
      additionalProperties: elementId,
      description:
        'Element id in the running version → element id in the target; an element left out keeps its id if ' +
        'the target has it',
    },
    dryRun: boolean('Only report where each element would go and what stands in the way; change nothing'),
    signature: object(
      {
        password: password('The signer’s own password, typed again (B1)'),
        reason: text(LIMITS.reason, 'Why the record moves to the new version (B3)'),
      },
      ['password', 'reason'],
      'Moving a record: the electronic signature (meaning Approved) of the move; a dry run needs none',
    ),
  },
  ['targetDefinitionId'],
);

const definitions = listOf('definitions', 'ProcessDefinition', 'Process definitions');

export function processOperations(engine: Engine) {
  return [
    operation({
      id: 'deployProcess',
      method: 'post',
      path: '/api/processes',
      tag: 'processes',
      summary: 'Deploy a BPMN file: each executable process in it as a new version of its key',
      description:
        'Development mode only: in production, processes come from effective template versions (403). ' +
        'A template’s process is never deployed this way. A model the engine cannot execute as written is ' +
        'refused whole, nothing deployed, with one error per offending element at `/elements/<id>`. ' +
        'Deploying identical XML again changes nothing.',
      access: 'session',
      body: deployment,
      bodyLimitKb: DEPLOY_BODY_LIMIT_KB,
      responses: {
        201: json('Deployed; `created` tells which processes are new versions', definitions),
        200: json('Every process in the file was deployed identically before', definitions),
      },
      // Two files deploying a new version of the same process at once: one of them is refused.
      problems: [409],
      handle: async ({ principal, body }) => {
        const result = await engine.processes.deploy(principal, body.xml);
        return result.definitions.some((d) => d.created) ? created(result) : ok(result);
      },
    }),
    operation({
      id: 'listProcessDefinitions',
      method: 'get',
      path: '/api/processes',
      tag: 'processes',
      summary: 'Every deployed version of every process, newest first per key',
      access: 'session',
      responses: { 200: json('The definitions', definitions) },
      handle: async ({ principal }) => ok({ definitions: await engine.processes.listDefinitions(principal) }),
    }),
    operation({
      id: 'startProcess',
      method: 'post',
      path: '/api/processes/{key}/instances',
      tag: 'processes',
      summary: 'Start an instance of the latest version of a process',
      description:
        'Development mode only: in production, processes run as records of effective templates ' +
        '(`POST /api/records`).',
      access: 'session',
      params: processKey,
      body: start,
      responses: { 201: json('The instance, waiting where it first stopped', ref('ProcessInstance')) },
      handle: async ({ principal, params, body }) => {
        const instance = await engine.processes.start(principal, params.key, {
          variables: variablesOf(body),
          businessKey: body.businessKey,
        });
        return created(instance, `/api/instances/${instance.id}`);
      },
    }),
    operation({
      id: 'getInstance',
      method: 'get',
      path: '/api/instances/{id}',
      tag: 'processes',
      summary: 'One process instance: its status, variables, open tasks and incidents',
      access: 'session',
      params: instanceId,
      responses: { 200: json('The instance', ref('ProcessInstance')) },
      handle: async ({ principal, params }) => ok(await engine.processes.get(principal, params.id)),
    }),
    operation({
      id: 'instanceHistory',
      method: 'get',
      path: '/api/instances/{id}/history',
      tag: 'processes',
      summary: 'The audit trail of a process instance: every step, who took it and when (C1)',
      access: 'session',
      params: instanceId,
      responses: {
        200: json('The audit trail, oldest first', listOf('events', 'AuditEvent', 'An audit trail')),
      },
      handle: async ({ principal, params }) =>
        ok({ events: await engine.processes.history(principal, params.id) }),
    }),
    operation({
      id: 'migrateInstance',
      method: 'post',
      path: '/api/instances/{id}/migrate',
      tag: 'processes',
      summary: 'Move a running instance to another version of its process, or try it in a dry run',
      description:
        'Each token moves to the element its element is mapped to, or to the element of the same id. ' +
        'What cannot be carried over is listed in `problems`; without `dryRun` the migration is then ' +
        'refused with one error per element at `/mapping/<id>`, and nothing changes. A migration is ' +
        'recorded in the instance’s audit trail. Needs the authority to move records. A record moves only ' +
        'to the effective version of its own template, signed (password and reason); it is then pinned to ' +
        'that version. Outside development mode only records move.',
      access: 'session',
      params: instanceId,
      body: migration,
      responses: { 200: json('What the migration did, or would do in a dry run', ref('Migration')) },
      problems: [409],
      handle: async ({ principal, params, body }) =>
        ok(
          await engine.processes.migrate(principal, params.id, {
            targetDefinitionId: body.targetDefinitionId,
            mapping: body.mapping as Record<string, string> | undefined,
            dryRun: body.dryRun,
            signature: body.signature,
          }),
        ),
    }),
  ];
}
