import { ConflictError, NotFoundError } from '../../kernel/errors.ts';
import type { EventActor, FieldChange } from '../../audit/types.ts';
import { eventActor, requirePermission, type Principal } from '../../kernel/permissions.ts';
import { optionalText } from '../../kernel/textInput.ts';
import { processRepository, type DefinitionRow, type InstanceRow } from './processRepository.ts';
import { checkVariables, eventName, reasonRequired, refused } from './inputs.ts';
import type { Instances } from './instances.ts';
import type { Db, InstanceView, ProcessContext } from './types.ts';

/** How often a correlation or broadcast is tried again when an instance moved under it. */
const CONFLICT_RETRIES = 5;

/** Messages and signals: delivered to the tokens waiting for them, or starting the processes they trigger. */
export function createCorrelation(ctx: ProcessContext, instances: Instances) {
  const { knex, hooks } = ctx;
  const { definition, startsDirectly, startOn, move } = instances;

  /** The latest definitions with a start event triggered by this message or signal. */
  async function triggeredStarts(db: Db, type: 'message' | 'signal', name: string) {
    const found: { definition: DefinitionRow; startNode: string }[] = [];
    for (const latest of await processRepository.latestDefinitions(db)) {
      // A template's process starts only as a record.
      if (!(await startsDirectly(db, latest.key))) continue;
      const { graph } = await definition(latest.id, db);
      const startNode = graph.triggeredStarts.find((id) => {
        const event = graph.nodes[id]!.event;
        return event?.type === type && event.name === name;
      });
      if (startNode) found.push({ definition: latest, startNode });
    }
    return found;
  }

  /** Moves one instance, reading it again when someone else moved it first. */
  async function moveFresh(
    db: Db,
    instanceId: string,
    attempt: (instance: InstanceRow) => Promise<InstanceView | null>,
  ): Promise<InstanceView | null> {
    for (let i = 0; ; i++) {
      const instance = await processRepository.findInstance(db, instanceId);
      if (!instance) return null;
      try {
        return await attempt(instance);
      } catch (error) {
        if (!(error instanceof ConflictError) || i >= CONFLICT_RETRIES || db !== knex) throw error;
      }
    }
  }

  /**
   * Delivers a message to the one token waiting for its name and correlation key (the longest
   * waiting first), or else starts the process whose start event it triggers. Nothing waiting for
   * it is an error: a message is never dropped silently.
   */
  async function correlate(
    actor: EventActor,
    startedBy: string | null,
    input: {
      name: string;
      correlationKey: string | null;
      variables: Record<string, unknown>;
      reason?: string | null;
    },
    db: Db = knex,
    guard?: (instance: InstanceRow) => Promise<void>,
  ): Promise<{ instance: InstanceView; started: boolean }> {
    const { name, correlationKey, variables } = input;
    for (let i = 0; i <= CONFLICT_RETRIES; i++) {
      const [subscription] = await processRepository.openSubscriptions(db, 'message', name, correlationKey);
      if (!subscription) break;
      try {
        const moved = await moveFresh(db, subscription.instance_id, async (instance) => {
          const token = instance.tokens.find((t) => t.id === subscription.token_id);
          if (!token) throw new ConflictError('The subscription ended meanwhile');
          await guard?.(instance);
          return move(
            actor,
            instance,
            (execution) => {
              const changes = refused('The message cannot be delivered', () =>
                execution.fire(token.id, variables),
              );
              return [
                {
                  type: 'message.correlated',
                  payload: { name, correlationKey, elementId: token.node, changes },
                  reason: input.reason ?? null,
                },
              ];
            },
            {},
            db,
          );
        });
        if (moved) return { instance: moved, started: false };
      } catch (error) {
        if (!(error instanceof ConflictError) || db !== knex) throw error;
      }
    }
    const [target] = await triggeredStarts(db, 'message', name);
    if (!target) {
      const key = correlationKey === null ? '' : ` with correlation key "${correlationKey}"`;
      throw new NotFoundError(`Nothing waits for message "${name}"${key}`);
    }
    const instance = await startOn(
      target.definition,
      actor,
      startedBy,
      {
        variables,
        businessKey: correlationKey,
        startNode: target.startNode,
        cause: { message: name },
      },
      db,
    );
    return { instance, started: true };
  }

  /**
   * Broadcasts a signal: every token waiting for it fires, each instance in its own move, and
   * every process with a start event for it starts.
   */
  async function broadcast(
    actor: EventActor,
    startedBy: string | null,
    input: {
      name: string;
      variables: Record<string, unknown>;
      waitingSince?: Date;
      reason?: string | null;
    },
    db: Db = knex,
    guard?: (instance: InstanceRow) => Promise<void>,
  ): Promise<{ triggered: number; started: number }> {
    const { name, variables, waitingSince } = input;
    const subscriptions = (await processRepository.openSubscriptions(db, 'signal', name)).filter(
      (s) => !waitingSince || s.created_at <= waitingSince,
    );
    const instances = [...new Set(subscriptions.map((s) => s.instance_id))];
    // Every instance it would reach is allowed before any moves: a refusal changes nothing.
    if (guard) {
      for (const instanceId of instances) {
        const instance = await processRepository.findInstance(db, instanceId);
        if (instance) await guard(instance);
      }
    }
    let triggered = 0;
    for (const instanceId of instances) {
      const moved = await moveFresh(db, instanceId, async (instance) => {
        const waiting = subscriptions.filter((s) => s.instance_id === instanceId).map((s) => s.token_id);
        if (!instance.tokens.some((t) => waiting.includes(t.id))) return null;
        await guard?.(instance);
        return move(
          actor,
          instance,
          (execution) => {
            const fired: string[] = [];
            const changes: FieldChange[] = [];
            for (const tokenId of waiting) {
              // An earlier firing may have ended this one (an interrupting event sub-process).
              if (!execution.result().tokens.some((t) => t.id === tokenId)) continue;
              changes.push(...execution.fire(tokenId, variables));
              fired.push(tokenId);
            }
            return [
              {
                type: 'signal.received',
                payload: { name, tokens: fired.length, changes },
                reason: input.reason ?? null,
              },
            ];
          },
          {},
          db,
        );
      });
      if (moved) triggered += 1;
    }
    let started = 0;
    for (const target of await triggeredStarts(db, 'signal', name)) {
      await startOn(
        target.definition,
        actor,
        startedBy,
        { variables, businessKey: null, startNode: target.startNode, cause: { signal: name } },
        db,
      );
      started += 1;
    }
    return { triggered, started };
  }

  /** Whether an instance runs a GMP record: a template's process, or one called by it. */
  async function runsRecord(db: Db, instance: InstanceRow): Promise<boolean> {
    for (let at: InstanceRow | undefined = instance; at;) {
      if (await hooks.isTemplateProcess?.(db, at.key)) return true;
      at = at.parent_instance_id
        ? await processRepository.findInstance(db, at.parent_instance_id)
        : undefined;
    }
    return false;
  }

  /**
   * What a person's message or signal may reach: the process of a GMP record takes one only from
   * someone with the authority to send them there, with a reason (the variables it changes are in
   * the audit trail with their old and new values).
   */
  const correlationGuard = (principal: Principal, reason: string | null) => async (instance: InstanceRow) => {
    if (!(await runsRecord(knex, instance))) return;
    requirePermission(principal, 'processes.correlate');
    if (!reason) throw reasonRequired('to send a message or signal into a record');
  };

  async function correlateMessage(
    principal: Principal,
    input: {
      name: string;
      correlationKey?: string | null;
      variables?: Record<string, unknown>;
      reason?: unknown;
    },
  ): Promise<{ instance: InstanceView; started: boolean }> {
    requirePermission(principal, 'records.edit');
    const name = eventName(input.name, '/name');
    const variables = checkVariables(input.variables);
    const reason = optionalText(input.reason, '/reason', 1000);
    return correlate(
      eventActor(principal),
      principal.userId,
      { name, correlationKey: input.correlationKey ?? null, variables, reason },
      knex,
      correlationGuard(principal, reason),
    );
  }

  async function broadcastSignal(
    principal: Principal,
    input: { name: string; variables?: Record<string, unknown>; reason?: unknown },
  ): Promise<{ triggered: number; started: number }> {
    requirePermission(principal, 'records.edit');
    const name = eventName(input.name, '/name');
    const reason = optionalText(input.reason, '/reason', 1000);
    return broadcast(
      eventActor(principal),
      principal.userId,
      { name, variables: checkVariables(input.variables), reason },
      knex,
      correlationGuard(principal, reason),
    );
  }

  return { correlate, broadcast, correlateMessage, broadcastSignal };
}

export type Correlation = ReturnType<typeof createCorrelation>;
