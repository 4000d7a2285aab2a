import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { appendEvents } from '../../audit/auditTrail.ts';
import { jsonDigest } from '../../audit/stateDigest.ts';
import { canonicalize, sha256Hex } from '../../kernel/canonicalJson.ts';
import { InputError, NotAllowedError, type FieldError } from '../../kernel/errors.ts';
import { eventActor, requirePermission, type Principal } from '../../kernel/permissions.ts';
import { compileBpmn } from '../model/compile.ts';
import { scheduleTimer } from '../execution/timers.ts';
import { ExpressionError } from '../../feel/feel.ts';
import type { ProcessGraph } from '../model/graph.ts';
import { processRepository, type DefinitionRow } from './processRepository.ts';
import { RAW_REFUSED } from './inputs.ts';
import type { DeployedDefinition, ProcessContext } from './types.ts';

/**
 * GMP attributes the engine cannot enforce yet are refused at deployment rather than ignored:
 * a model that asks for a qualification check must get one.
 */
const NOT_YET_ENFORCED: [keyof NonNullable<ProcessGraph['nodes'][string]['userTask']>, string][] = [
  ['qualifications', 'qualification checks'],
  ['secondPersonVerification', 'second-person verification'],
];

export function unenforced(graph: ProcessGraph): FieldError[] {
  const errors: FieldError[] = [];
  for (const node of Object.values(graph.nodes)) {
    for (const [attribute, feature] of NOT_YET_ENFORCED) {
      const value = node.userTask?.[attribute];
      if (value && (!Array.isArray(value) || value.length > 0)) {
        errors.push({
          pointer: `/elements/${node.id}`,
          keyword: 'unsupported',
          message: `attest:${attribute} needs ${feature}, which this version of Attest cannot enforce yet`,
        });
      }
    }
  }
  return errors;
}

/** Deployment: BPMN files become versioned definitions, their forms pinned, their timer starts scheduled. */
export function createDeployment(ctx: ProcessContext) {
  const { knex, clock, forms, hooks, development } = ctx;

  const toDeployed = (row: DefinitionRow, created: boolean): DeployedDefinition => ({
    id: row.id,
    key: row.key,
    version: row.version,
    name: row.name,
    contentHash: row.content_hash,
    deployedAt: row.deployed_at.toISOString(),
    created,
  });

  /**
   * Deploys a BPMN file outside the template lifecycle: only in development mode, and never under
   * the key of a template, whose process comes only from its effective version.
   */
  async function deploy(principal: Principal, xml: string): Promise<{ definitions: DeployedDefinition[] }> {
    requirePermission(principal, 'templates.manage');
    if (!development) throw new NotAllowedError(RAW_REFUSED);
    return deployDefinitions(principal, xml, { raw: true });
  }

  /**
   * Deploys every executable process of a BPMN file: version n+1 of its key, unless the same
   * content was deployed before. Compilation refuses the whole file on any problem (nothing is
   * deployed), and deployment is an audited configuration change (C4). Timer start events of the
   * new version are scheduled; those of earlier versions end.
   */
  async function deployDefinitions(
    principal: Principal,
    xml: string,
    options: { db?: Knex; formVersions?: ReadonlyMap<string, number>; raw?: boolean } = {},
  ): Promise<{ definitions: DeployedDefinition[] }> {
    requirePermission(principal, 'templates.manage');
    if (typeof xml !== 'string' || xml.trim() === '') {
      throw new InputError('The BPMN XML is empty', [
        { pointer: '/xml', keyword: 'required', message: 'is required' },
      ]);
    }
    // Compiled graphs are frozen; deployment pins forms into its own copies.
    const processes = (await compileBpmn(xml)).processes.map((g) => structuredClone(g));
    const problems = processes.flatMap((graph) => unenforced(graph));
    if (problems.length > 0)
      throw new InputError(
        `The model cannot be deployed: ${problems.map((p) => p.message).join('; ')}`,
        problems,
      );
    const at = clock.now();
    const startJobs = processes.map((graph) => timerStarts(graph, at));
    return (options.db ?? knex).transaction(async (trx) => {
      if (options.raw) {
        const owned: FieldError[] = [];
        for (const graph of processes) {
          if (await hooks.isTemplateProcess?.(trx, graph.key)) {
            owned.push({
              pointer: `/elements/${graph.key}`,
              keyword: 'template',
              message: `${graph.key} is the process of template ${graph.key}: change it as a new template version`,
            });
          }
        }
        if (owned.length > 0)
          throw new InputError(
            `The model cannot be deployed: ${owned.map((p) => p.message).join('; ')}`,
            owned,
          );
      }
      const pins = await pinForms(trx, principal, processes, options.formVersions);
      // The same XML pinned to other form versions is other content.
      const contentHash = sha256Hex(pins.length === 0 ? xml : `${xml}\n${canonicalize(pins)}`);
      const definitions: DeployedDefinition[] = [];
      for (const [index, graph] of processes.entries()) {
        const existing = await processRepository.findDefinitionByHash(trx, graph.key, contentHash);
        if (existing) {
          definitions.push(toDeployed(existing, false));
          continue;
        }
        const latest = await processRepository.latestDefinition(trx, graph.key);
        const row: DefinitionRow = {
          id: randomUUID(),
          key: graph.key,
          version: (latest?.version ?? 0) + 1,
          name: graph.name,
          content_hash: contentHash,
          deployed_at: at,
          deployed_by: principal.userId,
        };
        await processRepository.insertDefinition(trx, { ...row, xml, graph });
        await processRepository.cancelStartJobs(trx, graph.key, row.id, at);
        await processRepository.insertStartJobs(
          trx,
          startJobs[index]!.map((j) => ({ ...j, definitionId: row.id })),
          at,
        );
        await appendEvents(trx, clock, { id: row.id, type: 'definition' }, eventActor(principal), [
          {
            type: 'definition.deployed',
            payload: {
              key: row.key,
              version: row.version,
              contentHash,
              xmlHash: sha256Hex(xml),
              graphHash: jsonDigest(graph),
            },
          },
        ]);
        definitions.push(toDeployed(row, true));
      }
      return { definitions };
    });
  }

  /**
   * Pins the form of every user task to one version (`key@n`, or the latest of `key`) and freezes
   * that version: a deployed process always shows the form it was deployed with. An unknown form
   * refuses the deployment, naming the task.
   */
  async function pinForms(
    trx: Knex.Transaction,
    principal: Principal,
    processes: ProcessGraph[],
    formVersions?: ReadonlyMap<string, number>,
  ) {
    const pins: { elementId: string; formId: string }[] = [];
    const problems: FieldError[] = [];
    for (const graph of processes) {
      for (const node of Object.values(graph.nodes)) {
        const named = node.userTask?.formKey;
        if (!named) continue;
        // A template's process uses exactly the form versions its package brought.
        const exact = formVersions?.get(named);
        const reference = exact === undefined ? named : `${named}@${exact}`;
        const pinned = await forms.pin(trx, principal, reference);
        if (typeof pinned === 'string') {
          problems.push({ pointer: `/elements/${node.id}`, keyword: 'reference', message: pinned });
          continue;
        }
        node.userTask!.formId = pinned.id;
        node.userTask!.formVersion = pinned.version;
        pins.push({ elementId: `${graph.key}/${node.id}`, formId: pinned.id });
      }
    }
    if (problems.length > 0)
      throw new InputError(
        `The model cannot be deployed: ${problems.map((p) => p.message).join('; ')}`,
        problems,
      );
    return pins;
  }

  /** The first jobs of a process's timer start events; a timer that cannot be scheduled refuses the model. */
  function timerStarts(graph: ProcessGraph, at: Date) {
    const jobs: { id: string; elementId: string; dueAt: Date; payload: Record<string, unknown> }[] = [];
    for (const id of graph.triggeredStarts) {
      const event = graph.nodes[id]!.event;
      if (event?.type !== 'timer') continue;
      try {
        const { dueAt, cycle } = scheduleTimer(event.timer, {}, at);
        jobs.push({ id: randomUUID(), elementId: id, dueAt, payload: { cycle: cycle ?? null } });
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        throw new InputError(`The timer of start event ${id} cannot be scheduled: ${error.message}`, [
          { pointer: `/elements/${id}`, keyword: 'value', message: error.message },
        ]);
      }
    }
    return jobs;
  }

  async function listDefinitions(principal: Principal): Promise<DeployedDefinition[]> {
    requirePermission(principal, 'audit.read');
    return (await processRepository.listDefinitions(knex)).map((r) => toDeployed(r, false));
  }

  return { deploy, deployDefinitions, listDefinitions };
}
