import type { Knex } from 'knex';
import { chainEvents } from '../../audit/auditTrail.ts';
import { instanceStateDigest } from '../../audit/stateDigest.ts';
import type { EventActor } from '../../audit/types.ts';
import type { Clock } from '../../kernel/clock.ts';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  type FieldError,
} from '../../kernel/errors.ts';
import type { IdentityService } from '../../identity/identityService.ts';
import { eventActor, requirePermission, type Principal } from '../../kernel/permissions.ts';
import { writeSignature } from '../../signatures/signatureWriter.ts';
import type { SignedContent } from '../../signatures/subjectContent.ts';
import { AUTHORITY } from '../../signatures/types.ts';
import { optionalText } from '../../kernel/textInput.ts';
import type { Scope, Token } from '../execution/types.ts';
import type { FlowNode, ProcessGraph } from '../model/graph.ts';
import { writeMigration, type MovedToken } from './migrationRepository.ts';
import { processRepository, type InstanceRow } from './processRepository.ts';

export interface MigrationInput {
  /** Another version of the instance's process. */
  targetDefinitionId: string;
  /** Source element id → target element id; an element left out keeps its id if the target has it. */
  mapping?: Record<string, string>;
  /** Only report what the migration would do; nothing changes. */
  dryRun?: boolean;
  /** Moving a record is an electronic signature: the password again, and why. */
  signature?: { password?: unknown; reason?: unknown };
}

/** A template version as a record names it. */
export interface PinnedVersion {
  templateId: string;
  version: string;
  versionId: string;
}

/** The record an instance runs: its template version, and the one now effective. */
export interface RecordPin {
  recordId: string;
  number: string;
  template: PinnedVersion;
  effective: (PinnedVersion & { definitionId: string | null }) | null;
}

/** What migration needs of the records of templates. */
export interface MigrationRecords {
  /** The record whose process the instance is, or null. */
  pinOf(db: Knex | Knex.Transaction, instanceId: string): Promise<RecordPin | null>;
  /** Pins the record to the version its process now runs, with an event in the record's trail. */
  repin(
    trx: Knex.Transaction,
    pin: RecordPin,
    to: PinnedVersion,
    actor: EventActor,
    details: { reason: string; signatureId: string },
  ): Promise<void>;
  /** What the signature approving a move covers of the record: its content as it is now. */
  signedContent(db: Knex | Knex.Transaction, recordId: string): Promise<SignedContent>;
}

export interface MigrationProblem {
  /** The element of the running version (or the mapping key) that cannot be migrated. */
  elementId: string;
  problem: string;
}

export interface MigrationPlan {
  instanceId: string;
  fromDefinitionId: string;
  toDefinitionId: string;
  fromVersion: number;
  toVersion: number;
  /** No problems: the migration can be made as asked. */
  mappable: boolean;
  /** Where each element with tokens or scopes goes, by element id. */
  moves: { from: string; to: string }[];
  problems: MigrationProblem[];
}

/** A migration made: the plan, and the instance on its new version. */
export type MigrationResult<V> = MigrationPlan & { instance?: V };

/** Where the tokens and scopes of an instance go in another graph, and what stands in the way. */
export interface MappedState {
  moves: { from: string; to: string }[];
  problems: MigrationProblem[];
  tokens: Token[];
  scopes: Scope[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const escapePointer = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/** A node of a graph by id; never one of Object's own properties (`constructor`, `__proto__`). */
const nodeOf = (graph: ProcessGraph, id: string | null | undefined): FlowNode | undefined =>
  id != null && Object.hasOwn(graph.nodes, id) ? graph.nodes[id] : undefined;

/**
 * Maps the tokens and scopes of an instance from one version of its process to another. Pure: it
 * only reports, element by element, what cannot be carried over — an element the target lacks or
 * has as another kind, a join waiting on a flow the target gateway lacks, a boundary event not
 * attached to its activity's target, a catch event waiting for something else, a token outside
 * the sub-process its scope became — and gives the tokens and scopes as they would be.
 */
export function mapInstance(
  source: ProcessGraph,
  target: ProcessGraph,
  state: { tokens: Token[]; scopes: Scope[] },
  mapping: Record<string, string>,
): MappedState {
  const problems = new Map<string, MigrationProblem>();
  const report = (elementId: string, problem: string) =>
    problems.set(`${elementId}\u0000${problem}`, { elementId, problem });

  for (const [from, to] of Object.entries(mapping)) {
    if (!nodeOf(source, from)) report(from, `${from} is not an element of the running version`);
    if (!nodeOf(target, to))
      report(from, `${from} is mapped to ${to}, which is not an element of the target`);
  }

  /** The target element id of a source element: mapped, else the same id if the target has it. */
  const targetId = (from: string): string | null =>
    Object.hasOwn(mapping, from) ? mapping[from]! : nodeOf(target, from) ? from : null;

  const moves = new Map<string, string>();
  /** The target element of a source element, or undefined with the reason reported. */
  const resolve = (from: string): FlowNode | undefined => {
    const id = targetId(from);
    if (id === null) {
      report(from, `The target has no element ${from}; map it to one`);
      return undefined;
    }
    const to = nodeOf(target, id);
    if (!to) return undefined; // a mapping to nothing, reported above
    moves.set(from, id);
    const was = nodeOf(source, from);
    if (was && was.kind !== to.kind) {
      report(from, `${from} is a ${was.kind}, but ${to.id} in the target is a ${to.kind}`);
      return undefined;
    }
    return to;
  };

  const scopes = new Map(state.scopes.map((s) => [s.id, s]));
  const tokens = new Map(state.tokens.map((t) => [t.id, t]));

  for (const scope of state.scopes) {
    const to = resolve(scope.node);
    if (!to) continue;
    const needs: [boolean, string][] = [
      [
        scope.kind === 'subProcess' && to.subProcess?.triggeredByEvent !== false,
        `${to.id} in the target is not an embedded sub-process`,
      ],
      [
        scope.kind === 'eventSubProcess' && to.subProcess?.triggeredByEvent !== true,
        `${to.id} in the target is not an event sub-process`,
      ],
      [
        scope.kind === 'local' && to.io === null,
        `${scope.node} holds local variables, but ${to.id} in the target maps none in or out`,
      ],
      [
        (scope.kind === 'multiInstance' || scope.kind === 'iteration') && to.multiInstance === null,
        `${scope.node} runs as multi-instance, but ${to.id} in the target does not`,
      ],
    ];
    for (const [wrong, problem] of needs) if (wrong) report(scope.node, problem);
  }

  for (const token of state.tokens) {
    const to = resolve(token.node);
    if (!to) continue;
    const from = token.node;
    const trigger = to.event;
    switch (token.wait) {
      case 'join':
        if (token.via !== null && !to.incoming.includes(token.via)) {
          report(
            from,
            `A token waits at ${from} for flow ${token.via}, which does not lead to ${to.id} in the target`,
          );
        }
        break;
      case 'timer':
        if (trigger?.type !== 'timer') report(from, `${to.id} in the target does not wait for a timer`);
        break;
      case 'message':
      case 'signal': {
        const name = token.subscription?.name;
        if (trigger?.type !== token.wait || trigger.name !== name) {
          report(from, `${to.id} in the target does not wait for the ${token.wait} "${name}"`);
        }
        break;
      }
      case 'job':
        if (to.service === null) report(from, `${to.id} in the target does not run a handler`);
        break;
      case 'incident':
        if (token.retry?.phase === 'job' && token.retry.wait !== 'call' && to.service === null) {
          report(from, `${to.id} in the target does not run a handler, so the incident cannot be retried`);
        }
        if (
          token.retry?.phase === 'listen' &&
          !['timer', 'message', 'signal'].includes(trigger?.type ?? '')
        ) {
          report(from, `${to.id} in the target waits for nothing, so the incident cannot be retried`);
        }
        break;
    }

    if (token.hostTokenId !== undefined) {
      const host = tokens.get(token.hostTokenId);
      const hostTarget = host ? targetId(host.node) : null;
      if (hostTarget !== null && to.attachedTo !== hostTarget) {
        report(from, `${to.id} in the target is not attached to ${hostTarget}`);
      }
    }

    // The element that must contain the token's: its scope's sub-process, or the process (null).
    const scope = token.scope === undefined ? undefined : scopes.get(token.scope);
    if (scope === undefined || scope.kind === 'subProcess' || scope.kind === 'eventSubProcess') {
      const expected = scope === undefined ? null : targetId(scope.node);
      // An event sub-process's start listens in the scope that holds the event sub-process.
      const container = token.eventSubProcess ? (nodeOf(target, to.parent)?.parent ?? null) : to.parent;
      if (scope === undefined || expected !== null) {
        if (container !== expected) {
          report(from, `${to.id} in the target is not inside ${expected ?? 'the process'}, as its token is`);
        }
      }
    }
  }

  const movedTo = (node: string) => moves.get(node) ?? node;
  return {
    moves: [...moves].map(([from, to]) => ({ from, to })).sort((a, b) => a.from.localeCompare(b.from)),
    problems: [...problems.values()],
    tokens: state.tokens.map((t) => ({ ...t, node: movedTo(t.node) })),
    scopes: state.scopes.map((s) => ({ ...s, node: movedTo(s.node) })),
  };
}

/** The mapping as given: an object of element ids to element ids. */
function checkMapping(mapping: unknown): Record<string, string> {
  if (mapping === undefined) return {};
  if (mapping === null || typeof mapping !== 'object' || Array.isArray(mapping)) {
    throw new InputError('The mapping must be an object of element ids', [
      { pointer: '/mapping', keyword: 'type', message: 'must be an object' },
    ]);
  }
  const errors: FieldError[] = Object.entries(mapping)
    .filter(([, to]) => typeof to !== 'string' || to === '')
    .map(([from]) => ({
      pointer: `/mapping/${escapePointer(from)}`,
      keyword: 'type',
      message: 'must be an element id',
    }));
  if (errors.length > 0) throw new InputError('The mapping must map element ids to element ids', errors);
  // A copy without a prototype: keys such as `__proto__` stay plain keys.
  return Object.assign(Object.create(null) as Record<string, string>, mapping);
}

/**
 * Migration of running instances to another version of their process (an approved change to a
 * process that has instances in flight). A dry run reports what would move and what cannot; a
 * migration moves the tokens in one transaction with an `instance.migrated` event in the
 * instance's audit trail, or changes nothing.
 *
 * A record moves only to the effective version of its own template (what review and approval
 * let run), by QA's electronic signature (meaning Approved, with a reason) in the record's trail,
 * and is pinned to that version from then on. Outside development mode only records migrate.
 */
export function createMigration<V>({
  knex,
  clock,
  view,
  identity,
  hooks,
  development,
}: {
  knex: Knex;
  clock: Clock;
  /** How the migrated instance is shown to the caller. */
  view: (instance: InstanceRow, graph: ProcessGraph, version: number) => V;
  identity: Pick<IdentityService, 'reauthenticate'>;
  /** Read when a migration is asked for: the records are bound after the services are made. */
  hooks: { records?: MigrationRecords };
  development: boolean;
}) {
  async function graphOf(id: string) {
    const found = await processRepository.definitionGraph(knex, id);
    if (!found) throw new NotFoundError(`There is no process definition ${id}`);
    return found;
  }

  async function migrate(
    principal: Principal,
    instanceId: string,
    input: MigrationInput,
  ): Promise<MigrationResult<V>> {
    requirePermission(principal, 'records.migrate');
    const { targetDefinitionId } = input;
    if (typeof targetDefinitionId !== 'string' || !UUID.test(targetDefinitionId)) {
      throw new InputError('The target definition must be a definition id', [
        { pointer: '/targetDefinitionId', keyword: 'format', message: 'must be a definition id' },
      ]);
    }
    const mapping = checkMapping(input.mapping);
    if (input.dryRun !== undefined && typeof input.dryRun !== 'boolean') {
      throw new InputError('dryRun must be true or false', [
        { pointer: '/dryRun', keyword: 'type', message: 'must be a boolean' },
      ]);
    }

    const instance =
      typeof instanceId === 'string' && UUID.test(instanceId)
        ? await processRepository.findInstance(knex, instanceId)
        : undefined;
    if (!instance) throw new NotFoundError(`There is no process instance ${instanceId}`);
    if (instance.status === 'completed' || instance.status === 'terminated') {
      throw new ConflictError(`The process instance has ${instance.status}; only running instances migrate`);
    }
    const targetRow = await processRepository.findDefinition(knex, targetDefinitionId);
    const notAnother = (message: string) =>
      new InputError(message, [{ pointer: '/targetDefinitionId', keyword: 'version', message }]);
    if (!targetRow) throw notAnother(`There is no process definition ${targetDefinitionId}`);
    if (targetRow.key !== instance.key) {
      throw notAnother(`Definition ${targetRow.id} is of process ${targetRow.key}, not ${instance.key}`);
    }
    if (targetRow.id === instance.definition_id) {
      throw notAnother(`The instance runs version ${targetRow.version} already`);
    }
    const pin = (await hooks.records?.pinOf(knex, instance.id)) ?? null;
    if (!pin && !development) {
      throw new NotAllowedError(
        'Only records move to another version, to the effective version of their template',
      );
    }
    const effective = pin?.effective;
    if (pin && (!effective || effective.definitionId !== targetRow.id)) {
      throw notAnother(
        effective
          ? `Record ${pin.number} moves only to the effective version of template ${pin.template.templateId}, ` +
              `${effective.version} (definition ${effective.definitionId})`
          : `Template ${pin.template.templateId} has no effective version for record ${pin.number} to move to`,
      );
    }
    const source = await graphOf(instance.definition_id);
    const target = await graphOf(targetRow.id);
    const mapped = mapInstance(source.graph, target.graph, instance, mapping);
    const plan: MigrationPlan = {
      instanceId: instance.id,
      fromDefinitionId: instance.definition_id,
      toDefinitionId: targetRow.id,
      fromVersion: source.version,
      toVersion: target.version,
      mappable: mapped.problems.length === 0,
      moves: mapped.moves,
      problems: mapped.problems,
    };
    if (input.dryRun === true) return plan;
    if (!plan.mappable) {
      throw new InputError(
        `The instance cannot be migrated: ${plan.problems.map((p) => p.problem).join('; ')}`,
        plan.problems.map((p) => ({
          pointer: `/mapping/${escapePointer(p.elementId)}`,
          keyword: 'migration',
          message: p.problem,
        })),
      );
    }

    const signing = pin && effective ? await signingOf(principal, input.signature) : null;
    const at = clock.now();
    const movedTokens: MovedToken[] = mapped.tokens
      .filter((t, i) => t.node !== instance.tokens[i]!.node)
      .map((t) => ({ tokenId: t.id, elementId: t.node, name: target.graph.nodes[t.node]!.name }));
    const events = await knex.transaction(async (trx) => {
      let signed: { signatureId: string; reason: string } | null = null;
      if (pin && effective && signing) {
        const to = {
          templateId: effective.templateId,
          version: effective.version,
          versionId: effective.versionId,
        };
        const reason = `Moved from ${pin.template.templateId} ${pin.template.version} to ${to.version}: ${signing.reason}`;
        const signature = await writeSignature(
          trx,
          clock,
          { id: pin.recordId, type: 'record' },
          await hooks.records!.signedContent(trx, pin.recordId),
          signing.signer,
          'Approved',
          reason,
        );
        signed = { signatureId: signature.id, reason: signing.reason };
        await hooks.records!.repin(trx, pin, to, eventActor(principal), signed);
      }
      const chained = chainEvents(
        { id: instance.id, type: 'instance' },
        { seq: instance.version, hash: instance.head_hash },
        eventActor(principal),
        at.toISOString(),
        [
          {
            type: 'instance.migrated',
            payload: {
              fromDefinitionId: plan.fromDefinitionId,
              toDefinitionId: plan.toDefinitionId,
              fromVersion: plan.fromVersion,
              toVersion: plan.toVersion,
              moves: plan.moves,
              mapping: { ...mapping },
              ...(signed && { signatureId: signed.signatureId }),
              state: instanceStateDigest({
                definitionId: targetRow.id,
                status: instance.status,
                tokens: mapped.tokens,
                scopes: mapped.scopes,
                variables: instance.variables,
              }),
            },
            reason: signed?.reason ?? null,
          },
        ],
      );
      await writeMigration(trx, {
        instance,
        definitionId: targetRow.id,
        tokens: mapped.tokens,
        scopes: mapped.scopes,
        events: chained,
        movedTokens,
        at,
      });
      return chained;
    });
    const head = events[events.length - 1]!;
    const migrated: InstanceRow = {
      ...instance,
      definition_id: targetRow.id,
      tokens: mapped.tokens,
      scopes: mapped.scopes,
      version: head.seq,
      head_hash: head.hash,
    };
    return { ...plan, instance: view(migrated, target.graph, target.version) };
  }

  /** QA's signature on the move (B1, B3): the authority, the password again and a reason. */
  async function signingOf(principal: Principal, input: MigrationInput['signature']) {
    requirePermission(principal, AUTHORITY.Approved);
    if (input === undefined || input === null || typeof input !== 'object') {
      throw new InputError('Moving a record to another version is signed: your password is required', [
        { pointer: '/signature/password', keyword: 'required', message: 'is required to sign the move' },
      ]);
    }
    const reason = optionalText(input.reason, '/signature/reason', 1000);
    if (!reason) {
      throw new InputError('A reason is required to move a record to another version', [
        { pointer: '/signature/reason', keyword: 'required', message: 'is required to sign the move' },
      ]);
    }
    const signer = await identity.reauthenticate(principal, input.password);
    return {
      signer: { userId: signer.id, username: signer.username, printedName: signer.printed_name },
      reason,
    };
  }

  return { migrate };
}
