import type { FieldChange } from '../../audit/types.ts';
import { ExpressionError } from '../../feel/feel.ts';
import type { FlowNode, ProcessGraph } from '../model/graph.ts';
import { ACTIVITIES } from '../model/rules.ts';
import { startActivity, execute, scheduleWork, activityDone } from './activities.ts';
import { startMultiInstance } from './multiInstance.ts';
import { openScope, completeEmptyScopes, triggerEventSubProcess } from './subProcesses.ts';
import { catchEvent, listenSafely, rearmOrEnd, throwEvent, raise } from './events.ts';
import { exclusive, parallel, inclusiveSplit, fireInclusiveJoins, eventBased } from './gateways.ts';
import type {
  Wait,
  RetryPhase,
  Token,
  Scope,
  InstanceStatus,
  JobKind,
  NewJob,
  NewIncident,
  Step,
  Item,
  ExecutionOptions,
} from './types.ts';
import { pointer, variableChanges } from './types.ts';

/** More elements passed in one move than any sensible model needs: a loop without a wait state. */
const MAX_ELEMENTS_PER_MOVE = 10_000;

/**
 * Moves the tokens of one instance through its graph until each rests at a wait state or has
 * ended, per BPMN 2.0 token semantics, with scopes for sub-processes, multi-instance activities and
 * local variables. Pure: no I/O, ids and time are given, so a move is computed once and written
 * atomically. Failures of the model's expressions become incidents; a move that cannot be made
 * (an output mapping failing on completion) throws ExpressionError and changes nothing.
 *
 * The class holds the instance's state, what callers do to it and the bookkeeping of tokens,
 * scopes and variables; what each element family does is beside it (activities.ts, events.ts,
 * gateways.ts, multiInstance.ts, subProcesses.ts), as functions of the execution they move.
 */
export class Execution {
  readonly tokens: Token[];
  readonly scopes = new Map<string, Scope>();
  readonly variables: Record<string, unknown>;
  readonly step: Omit<Step, 'tokens' | 'scopes' | 'variables' | 'status'> = {
    newTasks: [],
    cancelledTasks: [],
    newJobs: [],
    cancelledJobs: [],
    rescheduledJobs: [],
    incidents: [],
    cancelledIncidents: [],
    newSubscriptions: [],
    closedSubscriptions: [],
    uncaughtError: null,
    uncaughtEscalations: [],
    events: [],
  };
  readonly queue: Item[] = [];
  ended: 'completed' | 'terminated' | null = null;
  moved = 0;
  readonly called: boolean;

  constructor(
    readonly graph: ProcessGraph,
    tokens: Token[],
    variables: Record<string, unknown>,
    readonly now: Date,
    readonly newId: () => string,
    options: ExecutionOptions = {},
  ) {
    this.tokens = structuredClone(tokens);
    this.variables = structuredClone(variables);
    for (const scope of structuredClone(options.scopes ?? [])) this.scopes.set(scope.id, scope);
    this.called = options.called ?? false;
  }

  // ---------------------------------------------------------------- what callers do to an instance

  /** A new instance: the process scope opens and a token leaves the start event given (or the none start). */
  start(startNode = this.graph.startNodes[0]): void {
    if (!startNode) throw new Error(`Process ${this.graph.key} has no none start event`);
    openScope(this, null, this.graph.eventSubProcesses);
    this.queue.push(...this.outgoing(this.node(startNode), null));
    this.drain();
  }

  /** Sets variables in the process scope and records what changed, field by field (C1). */
  setVariables(values: Record<string, unknown>): FieldChange[] {
    return this.assign(null, values);
  }

  /** The variables a token sees: the process's, overlaid by those of each scope it is in. */
  visibleVariables(tokenId: string): Record<string, unknown> {
    return this.context(this.token(tokenId).scope ?? null);
  }

  /**
   * The work a token waits on is done: a user task completed, a handler or a called instance
   * finished, with the variables it gives. The activity ends (its boundary events with it) and
   * the instance moves on. Returns the variable changes the completion made.
   */
  complete(tokenId: string, result: Record<string, unknown> = {}): FieldChange[] {
    const token = this.token(tokenId);
    if (!['task', 'job', 'call'].includes(token.wait)) {
      throw new Error(`Token ${tokenId} waits on ${token.wait}, not on work to complete`);
    }
    // The job or called instance that finished is closed by the caller, not cancelled.
    delete token.jobId;
    delete token.childInstanceId;
    const node = this.node(token.node);
    const changes = activityDone(this, node, token.scope ?? null, result, () => this.dispose(token));
    this.drain();
    return changes;
  }

  /**
   * What a catch event waited for happened (its timer is due, its message or signal came), with
   * the variables the message or signal carries.
   */
  fire(tokenId: string, variables: Record<string, unknown> = {}): FieldChange[] {
    const token = this.token(tokenId);
    const node = this.node(token.node);
    // The job that fired is closed by the caller.
    if (token.wait === 'timer') delete token.jobId;
    if (token.group) {
      for (const other of this.tokens.filter((t) => t.group === token.group && t.id !== token.id)) {
        this.dispose(other);
      }
    }
    const scope = token.scope ?? null;
    let changes: FieldChange[];
    if (node.kind === 'receiveTask') {
      changes = activityDone(this, node, scope, variables, () => this.dispose(token));
    } else if (token.eventSubProcess) {
      changes = triggerEventSubProcess(this, token, variables);
    } else if (node.kind === 'boundaryEvent') {
      this.step.events.push({ type: 'boundary.triggered', payload: { elementId: node.id } });
      if (node.interrupting) {
        const host = this.tokens.find((t) => t.id === token.hostTokenId);
        this.dispose(token);
        if (host) this.dispose(host);
      } else {
        rearmOrEnd(this, token, node);
      }
      changes = this.assign(scope, variables);
      this.queue.push(...this.outgoing(node, scope));
    } else {
      this.dispose(token);
      changes = this.assign(scope, variables);
      this.queue.push(...this.outgoing(node, scope));
    }
    this.drain();
    return changes;
  }

  /** A handler or a called instance ended with a BPMN error: caught by a boundary or event sub-process, or an incident. */
  throwError(tokenId: string, code: string, message: string): void {
    const token = this.token(tokenId);
    delete token.jobId;
    delete token.childInstanceId;
    raise(this, 'error', code, message, { node: this.node(token.node), scope: token.scope ?? null, token });
    this.drain();
  }

  /** The called instance of a call activity escalated: the call activity's boundary or an event sub-process may catch it. */
  escalate(tokenId: string, code: string): void {
    const token = this.token(tokenId);
    raise(this, 'escalation', code, '', { node: this.node(token.node), scope: token.scope ?? null, token });
    this.drain();
  }

  /** The called instance of a call activity has started. */
  callStarted(tokenId: string, childInstanceId: string): void {
    const token = this.token(tokenId);
    delete token.jobId;
    token.childInstanceId = childInstanceId;
  }

  /** A job gave up after its retries: its token becomes an incident, resolved by retrying the job. */
  jobFailed(tokenId: string, message: string, jobId: string): void {
    const token = this.token(tokenId);
    delete token.jobId;
    if (token.wait !== 'job' && token.wait !== 'call') {
      throw new Error(`Token ${tokenId} waits on ${token.wait}, not on a job`);
    }
    this.markIncident(token, message, { phase: 'job', outermost: false, wait: token.wait, jobId });
  }

  /** The token of an incident takes its element up again, e.g. after its variables were corrected. */
  retry(tokenId: string): void {
    const token = this.token(tokenId);
    if (token.wait !== 'incident' || !token.retry) throw new Error(`Token ${tokenId} is not an incident`);
    const { phase, outermost, wait, jobId } = token.retry;
    const node = this.node(token.node);
    const scope = token.scope ?? null;
    delete token.incidentId;
    delete token.retry;
    if (phase === 'job') {
      token.wait = wait ?? 'job';
      if (jobId) {
        token.jobId = jobId;
        this.step.rescheduledJobs.push(jobId);
      } else {
        scheduleWork(this, node, token);
      }
    } else if (phase === 'listen') {
      this.take(token.id);
      listenSafely(this, node, scope, (t) => {
        if (token.hostTokenId) t.hostTokenId = token.hostTokenId;
        if (token.eventSubProcess) t.eventSubProcess = true;
      });
    } else if (phase === 'settle') {
      this.take(token.id);
    } else {
      this.take(token.id);
      this.queue.push(
        phase === 'enter'
          ? { node: node.id, via: token.via, scope }
          : { node: node.id, via: token.via, scope, phase, outermost },
      );
    }
    this.drain();
  }

  /** Ends the whole instance from outside (its caller was cancelled): everything open is cancelled. */
  cancel(reason: string): void {
    for (const t of [...this.tokens]) this.dispose(t);
    this.scopes.clear();
    this.ended = 'terminated';
    this.step.events.push({ type: 'process.cancelled', payload: { reason } });
  }

  result(): Step {
    const status: InstanceStatus =
      this.ended ?? (this.tokens.some((t) => t.wait === 'incident') ? 'incident' : 'active');
    return {
      ...this.step,
      tokens: this.tokens,
      scopes: [...this.scopes.values()],
      variables: this.variables,
      status,
    };
  }

  // ---------------------------------------------------------------- moving tokens

  drain(): void {
    for (;;) {
      while (this.queue.length > 0 && !this.ended) {
        const item = this.queue.shift()!;
        const node = this.node(item.node);
        if (++this.moved > MAX_ELEMENTS_PER_MOVE) {
          this.queue.length = 0;
          this.incident(
            node,
            item,
            'The process passed the same elements over and over without waiting; check its loops',
            'enter',
          );
          return;
        }
        if (item.scope !== null && !this.scopes.has(item.scope)) continue; // its scope ended meanwhile
        try {
          if (item.phase === 'activity') startActivity(this, node, item.via, item.scope, item.outermost!);
          else if (item.phase === 'execute') execute(this, node, item.via, item.scope, item.outermost!);
          else this.enter(node, item);
        } catch (error) {
          if (!(error instanceof ExpressionError)) throw error;
          this.incident(node, item, error.message, item.phase ?? 'enter', item.outermost ?? true);
        }
      }
      if (this.ended) return;
      if (fireInclusiveJoins(this)) continue;
      if (completeEmptyScopes(this)) continue;
      return;
    }
  }

  enter(node: FlowNode, item: Item): void {
    const { via, scope } = item;
    if (ACTIVITIES.has(node.kind)) {
      if (node.multiInstance) startMultiInstance(this, node, via, scope);
      else startActivity(this, node, via, scope, true);
      return;
    }
    switch (node.kind) {
      case 'startEvent':
        this.queue.push(...this.outgoing(node, scope));
        return;
      case 'intermediateThrowEvent':
        throwEvent(this, node, via, scope, true);
        return;
      case 'endEvent':
        throwEvent(this, node, via, scope, false);
        return;
      case 'intermediateCatchEvent':
        if (node.event?.type === 'link') this.queue.push(...this.outgoing(node, scope));
        else catchEvent(this, node, via, scope);
        return;
      case 'exclusiveGateway':
        exclusive(this, node, via, scope);
        return;
      case 'parallelGateway':
        parallel(this, node, via, scope);
        return;
      case 'inclusiveGateway':
        if (node.incoming.length > 1) this.wait(node, via, scope, 'join');
        else inclusiveSplit(this, node, scope);
        return;
      case 'eventBasedGateway':
        eventBased(this, node, scope);
        return;
      case 'boundaryEvent':
        throw new Error(`Boundary event ${node.id} entered by a flow`);
    }
  }

  // ---------------------------------------------------------------- tokens, variables, bookkeeping

  node(id: string): FlowNode {
    const node = this.graph.nodes[id];
    if (!node) throw new Error(`Process ${this.graph.key} has no element ${id}`);
    return node;
  }

  token(id: string): Token {
    const token = this.tokens.find((t) => t.id === id);
    if (!token) throw new Error(`Token ${id} is not waiting in this instance`);
    return token;
  }

  outgoing(node: FlowNode, scope: string | null): Item[] {
    return node.outgoing.map((id) => ({ node: this.graph.flows[id]!.target, via: id, scope }));
  }

  addToken(t: { node: string; via: string | null; scope: string | null; wait: Wait }): Token {
    const token: Token = { id: this.newId(), node: t.node, via: t.via, wait: t.wait };
    if (t.scope !== null) token.scope = t.scope;
    this.tokens.push(token);
    return token;
  }

  wait(node: FlowNode, via: string | null, scope: string | null, wait: Wait): Token {
    return this.addToken({ node: node.id, via, scope, wait });
  }

  addJob(
    token: { id: string },
    node: FlowNode,
    kind: JobKind,
    dueAt: Date,
    payload: Record<string, unknown> | null,
    instanceId?: string,
  ): NewJob {
    const job: NewJob = { id: this.newId(), tokenId: token.id, elementId: node.id, dueAt, kind, payload };
    if (instanceId) job.instanceId = instanceId;
    this.step.newJobs.push(job);
    return job;
  }

  take(tokenId: string): Token {
    const index = this.tokens.findIndex((t) => t.id === tokenId);
    if (index < 0) throw new Error(`Token ${tokenId} is not waiting in this instance`);
    return this.tokens.splice(index, 1)[0] as Token;
  }

  /**
   * Ends a token and everything that hangs on it: its task, job, subscription or incident; the
   * scope it holds with all tokens in it; the boundary events waiting on it; a called instance.
   */
  dispose(token: Token): void {
    const index = this.tokens.indexOf(token);
    if (index < 0) return;
    this.tokens.splice(index, 1);
    if (token.taskId) this.step.cancelledTasks.push(token.taskId);
    if (token.jobId) this.step.cancelledJobs.push(token.jobId);
    if (token.incidentId) this.step.cancelledIncidents.push(token.incidentId);
    if (token.subscription) this.step.closedSubscriptions.push(token.id);
    if (token.childInstanceId) {
      this.addJob(token, this.node(token.node), 'cancel', this.now, null, token.childInstanceId);
    }
    if (token.childScope) {
      for (const t of this.tokens.filter((t) => t.scope === token.childScope)) this.dispose(t);
      this.dropScope(token.childScope);
    }
    for (const t of this.tokens.filter((t) => t.hostTokenId === token.id)) this.dispose(t);
  }

  dropScope(id: string): void {
    this.scopes.delete(id);
    for (const inner of [...this.scopes.values()].filter((s) => s.parent === id)) this.dropScope(inner.id);
  }

  /** The variables seen in a scope: the process's, overlaid by each enclosing scope's, innermost last. */
  context(scope: string | null): Record<string, unknown> {
    const chain: Record<string, unknown>[] = [];
    for (let s = scope; s !== null; s = this.scopes.get(s)!.parent)
      chain.unshift(this.scopes.get(s)!.variables);
    return Object.assign({}, this.variables, ...chain);
  }

  /**
   * Sets variables as seen from a scope: each goes to the nearest scope that has it, else to the
   * process. Returns the changes, field by field; those in a scope are prefixed with its element
   * and scope id.
   */
  assign(scope: string | null, values: Record<string, unknown>): FieldChange[] {
    const changes: FieldChange[] = [];
    for (const [key, value] of Object.entries(values)) {
      let holder: Scope | null = null;
      for (let s = scope; s !== null; s = this.scopes.get(s)!.parent) {
        if (Object.hasOwn(this.scopes.get(s)!.variables, key)) {
          holder = this.scopes.get(s)!;
          break;
        }
      }
      // A new variable goes to the process, except inside an inner instance whose activity collects
      // an output element: there it stays local, so parallel inner instances do not share it.
      holder ??= this.isolatingIteration(scope);
      const bag = holder ? holder.variables : this.variables;
      const prefix = holder ? `/${pointer(holder.node)}[${holder.id}]` : '';
      changes.push(...variableChanges(bag, { [key]: value }, prefix));
      bag[key] = value;
    }
    return changes;
  }

  isolatingIteration(scope: string | null): Scope | null {
    for (let s = scope; s !== null; s = this.scopes.get(s)!.parent) {
      const sc = this.scopes.get(s)!;
      if (sc.kind === 'iteration' && this.node(sc.node).multiInstance?.outputElement) return sc;
    }
    return null;
  }

  markIncident(token: Token, message: string, retry: NonNullable<Token['retry']>): void {
    const incident: NewIncident = { id: this.newId(), tokenId: token.id, elementId: token.node, message };
    token.wait = 'incident';
    token.incidentId = incident.id;
    token.retry = retry;
    this.step.incidents.push(incident);
    this.step.events.push({
      type: 'incident.raised',
      payload: { incidentId: incident.id, elementId: token.node, message },
    });
  }

  incident(node: FlowNode, item: Item, message: string, phase: RetryPhase, outermost = true): void {
    const token = this.addToken({ node: node.id, via: item.via, scope: item.scope, wait: 'incident' });
    this.markIncident(token, message, { phase, outermost });
  }
}
