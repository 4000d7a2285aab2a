import type { EventDraft, FieldChange } from '../../audit/types.ts';
import { addDuration, dueDateFrom, evaluateFeel, ExpressionError } from '../feel.ts';
import type { EventTrigger, FlowNode, ProcessGraph, TimerSpec } from '../graph.ts';

/** What a token rests on between moves. */
export type Wait =
  | 'task'
  | 'join'
  | 'incident'
  | 'timer'
  | 'message'
  | 'signal'
  /** A service, send or business-rule task whose handler runs as a job. */
  | 'job'
  /** A call activity whose called process runs as its own instance. */
  | 'call'
  /** An activity that holds a scope: a sub-process, a multi-instance body or its local variables. */
  | 'scope';

/** Where an incident's element is taken up again when it is retried. */
export type RetryPhase = 'enter' | 'activity' | 'execute' | 'job' | 'listen' | 'settle';

/** A token resting at a wait state; tokens moving between wait states never leave memory. */
export interface Token {
  id: string;
  node: string;
  /** The flow it arrived by: a join counts arrivals per incoming flow. */
  via: string | null;
  /** The scope instance it is in; absent for the process itself. */
  scope?: string;
  wait: Wait;
  taskId?: string;
  incidentId?: string;
  jobId?: string;
  /** A boundary event's token: the token of the activity it is attached to. */
  hostTokenId?: string;
  /** Wait `scope`: the scope instance the activity holds. */
  childScope?: string;
  /** The catch events after an event-based gateway share a group: the first to fire ends the others. */
  group?: string;
  /** Wait `message` or `signal`: what it is subscribed to. */
  subscription?: { name: string; correlationKey: string | null };
  /** A repeating timer: how many times it fires after this one (null: for ever) and how often. */
  cycle?: { remaining: number | null; every: string; dueAt: string };
  /** The start event of an event sub-process, waiting in the scope the sub-process belongs to. */
  eventSubProcess?: true;
  /** Wait `call`: the called instance, once started. */
  childInstanceId?: string;
  /** An incident: where a retry takes the element up again. */
  /** `jobId`: the failed job a retry takes up again; without it a retry schedules the work anew. */
  retry?: { phase: RetryPhase; outermost: boolean; wait?: 'job' | 'call'; jobId?: string };
}

/** A scope instance: a sub-process, a multi-instance body or one of its iterations, or an activity's local variables. */
export interface Scope {
  id: string;
  node: string;
  /** The enclosing scope; null for the process itself. */
  parent: string | null;
  kind: 'subProcess' | 'eventSubProcess' | 'local' | 'multiInstance' | 'iteration';
  variables: Record<string, unknown>;
  /** Iteration: its position among the items. */
  index?: number;
  /** Multi-instance body: the items, how far it got, and the outputs collected per item. */
  mi?: { total: number; items: unknown[] | null; next: number; completed: number; outputs: unknown[] };
}

export type InstanceStatus = 'active' | 'incident' | 'completed' | 'terminated';

export interface NewTask {
  id: string;
  tokenId: string;
  elementId: string;
  name: string | null;
  candidateRoles: string[];
  formKey: string | null;
  dueAt: Date | null;
  /** The user name of the one person who may work on it, from `attest:assignee`. */
  assignee: string | null;
}

export type JobKind = 'timer' | 'service' | 'call' | 'throw' | 'cancel' | 'resume' | 'escalate' | 'start';

/** Work for the job workers (a timer, a handler, a called process): a row, so it survives restarts. */
export interface NewJob {
  id: string;
  tokenId: string;
  elementId: string;
  dueAt: Date;
  kind: JobKind;
  payload: Record<string, unknown> | null;
  /** The instance the job acts on when it is not the one moving (a called instance to cancel). */
  instanceId?: string;
}

export interface NewIncident {
  id: string;
  tokenId: string;
  elementId: string;
  message: string;
}

/** A token waiting for a message or a signal, findable by name across instances. */
export interface NewSubscription {
  tokenId: string;
  elementId: string;
  kind: 'message' | 'signal';
  name: string;
  correlationKey: string | null;
}

/** Everything one move from wait state to wait state changed: written in one transaction. */
export interface Step {
  tokens: Token[];
  scopes: Scope[];
  variables: Record<string, unknown>;
  status: InstanceStatus;
  newTasks: NewTask[];
  cancelledTasks: string[];
  newJobs: NewJob[];
  cancelledJobs: string[];
  /** Failed jobs taken up again by retrying their incident. */
  rescheduledJobs: string[];
  incidents: NewIncident[];
  /** Incidents whose token was ended by something else (an interrupting event, a terminate end). */
  cancelledIncidents: string[];
  newSubscriptions: NewSubscription[];
  /** Token ids whose subscriptions end. */
  closedSubscriptions: string[];
  /** A called instance ended by an error nothing in it caught: the caller's call activity gets it. */
  uncaughtError: { code: string; message: string } | null;
  /** Escalations a called instance did not catch: for its caller's call activity. */
  uncaughtEscalations: string[];
  events: EventDraft[];
}

/** More elements passed in one move than any sensible model needs: a loop without a wait state. */
const MAX_ELEMENTS_PER_MOVE = 10_000;

const CYCLE = /^R(\d*)\/(?:([^/]+)\/)?(P\S+)$/;

const ACTIVITIES = new Set<FlowNode['kind']>([
  'task',
  'manualTask',
  'userTask',
  'scriptTask',
  'serviceTask',
  'sendTask',
  'receiveTask',
  'businessRuleTask',
  'subProcess',
  'callActivity',
]);

const pointer = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

export function variableChanges(
  before: Record<string, unknown>,
  set: Record<string, unknown>,
  prefix = '',
): FieldChange[] {
  return Object.entries(set)
    .filter(([k, v]) => !Object.hasOwn(before, k) || JSON.stringify(before[k]) !== JSON.stringify(v))
    .map(([k, v]) => ({ path: `${prefix}/${pointer(k)}`, old: before[k] ?? null, new: v }));
}

/** One element to enter: from a flow (`enter`), or an activity taken up inside a scope made for it. */
interface Item {
  node: string;
  via: string | null;
  scope: string | null;
  phase?: 'activity' | 'execute';
  outermost?: boolean;
}

/** Nodes from which a token can still reach an inclusive join, per graph (graphs never change). */
const upstreamCache = new WeakMap<ProcessGraph, Map<string, Set<string>>>();

function upstreamOf(graph: ProcessGraph, join: string): Set<string> {
  let perGraph = upstreamCache.get(graph);
  if (!perGraph) upstreamCache.set(graph, (perGraph = new Map()));
  let found = perGraph.get(join);
  if (found) return found;
  found = new Set();
  const queue = graph.nodes[join]!.incoming.map((f) => graph.flows[f]!.source);
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    if (id === join || found.has(id)) continue;
    found.add(id);
    const node = graph.nodes[id]!;
    queue.push(...node.incoming.map((f) => graph.flows[f]!.source));
    // A boundary event's token comes from its activity; an event-gateway target's from the gateway.
    if (node.attachedTo) queue.push(node.attachedTo);
    // A link catch event is reached from the link throw events of its name beside it.
    const link =
      node.event?.type === 'link' && node.kind === 'intermediateCatchEvent' ? node.event.name : null;
    if (link !== null) {
      for (const thrower of Object.values(graph.nodes)) {
        if (
          thrower.kind === 'intermediateThrowEvent' &&
          thrower.parent === node.parent &&
          thrower.event?.type === 'link' &&
          thrower.event.name === link
        ) {
          queue.push(thrower.id);
        }
      }
    }
  }
  perGraph.set(join, found);
  return found;
}

export interface ExecutionOptions {
  /** The instance was started by a call activity: an error nothing catches goes back to it. */
  called?: boolean;
  scopes?: Scope[];
}

/**
 * Moves the tokens of one instance through its graph until each rests at a wait state or has
 * ended, per BPMN 2.0 token semantics, with scopes for sub-processes, multi-instance activities and
 * local variables. Pure: no I/O, ids and time are given, so a move is computed once and written
 * atomically. Failures of the model's expressions become incidents; a move that cannot be made
 * (an output mapping failing on completion) throws ExpressionError and changes nothing.
 */
export class Execution {
  private readonly tokens: Token[];
  private readonly scopes = new Map<string, Scope>();
  private readonly variables: Record<string, unknown>;
  private readonly step: Omit<Step, 'tokens' | 'scopes' | 'variables' | 'status'> = {
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
  private readonly queue: Item[] = [];
  private ended: 'completed' | 'terminated' | null = null;
  private moved = 0;
  private readonly called: boolean;

  constructor(
    private readonly graph: ProcessGraph,
    tokens: Token[],
    variables: Record<string, unknown>,
    private readonly now: Date,
    private readonly newId: () => string,
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
    this.openScope(null, this.graph.eventSubProcesses);
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
    const changes = this.activityDone(node, token.scope ?? null, result, () => this.dispose(token));
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
      changes = this.activityDone(node, scope, variables, () => this.dispose(token));
    } else if (token.eventSubProcess) {
      changes = this.triggerEventSubProcess(token, variables);
    } else if (node.kind === 'boundaryEvent') {
      this.step.events.push({ type: 'boundary.triggered', payload: { elementId: node.id } });
      if (node.interrupting) {
        const host = this.tokens.find((t) => t.id === token.hostTokenId);
        this.dispose(token);
        if (host) this.dispose(host);
      } else {
        this.rearmOrEnd(token, node);
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
    this.raise('error', code, message, { node: this.node(token.node), scope: token.scope ?? null, token });
    this.drain();
  }

  /** The called instance of a call activity escalated: the call activity's boundary or an event sub-process may catch it. */
  escalate(tokenId: string, code: string): void {
    const token = this.token(tokenId);
    this.raise('escalation', code, '', { node: this.node(token.node), scope: token.scope ?? null, token });
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
        this.scheduleWork(node, token);
      }
    } else if (phase === 'listen') {
      this.take(token.id);
      this.listenSafely(node, scope, (t) => {
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

  private drain(): void {
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
          if (item.phase === 'activity') this.startActivity(node, item.via, item.scope, item.outermost!);
          else if (item.phase === 'execute') this.execute(node, item.via, item.scope, item.outermost!);
          else this.enter(node, item);
        } catch (error) {
          if (!(error instanceof ExpressionError)) throw error;
          this.incident(node, item, error.message, item.phase ?? 'enter', item.outermost ?? true);
        }
      }
      if (this.ended) return;
      if (this.fireInclusiveJoins()) continue;
      if (this.completeEmptyScopes()) continue;
      return;
    }
  }

  private enter(node: FlowNode, item: Item): void {
    const { via, scope } = item;
    if (ACTIVITIES.has(node.kind)) {
      if (node.multiInstance) this.startMultiInstance(node, via, scope);
      else this.startActivity(node, via, scope, true);
      return;
    }
    switch (node.kind) {
      case 'startEvent':
        this.queue.push(...this.outgoing(node, scope));
        return;
      case 'intermediateThrowEvent':
        this.throwEvent(node, via, scope, true);
        return;
      case 'endEvent':
        this.throwEvent(node, via, scope, false);
        return;
      case 'intermediateCatchEvent':
        if (node.event?.type === 'link') this.queue.push(...this.outgoing(node, scope));
        else this.catchEvent(node, via, scope);
        return;
      case 'exclusiveGateway':
        this.exclusive(node, via, scope);
        return;
      case 'parallelGateway':
        this.parallel(node, via, scope);
        return;
      case 'inclusiveGateway':
        if (node.incoming.length > 1) this.wait(node, via, scope, 'join');
        else this.inclusiveSplit(node, scope);
        return;
      case 'eventBasedGateway':
        this.eventBased(node, scope);
        return;
      case 'boundaryEvent':
        throw new Error(`Boundary event ${node.id} entered by a flow`);
    }
  }

  /** An activity instance, inside a local scope when it maps variables in or out. */
  private startActivity(node: FlowNode, via: string | null, scope: string | null, outermost: boolean): void {
    if (node.io && (node.io.inputs.length > 0 || node.io.outputs.length > 0)) {
      const context = this.context(scope);
      const inputs: Record<string, unknown> = {};
      for (const { source, target } of node.io.inputs) {
        inputs[target] = evaluateFeel(source, { ...context, ...inputs });
      }
      const local = this.openChildScope(node, scope, 'local', via, outermost, inputs);
      this.execute(node, via, local.id, false);
      return;
    }
    this.execute(node, via, scope, outermost);
  }

  /** What each kind of activity does once it starts; `outermost`: its boundary events wait on this token. */
  private execute(node: FlowNode, via: string | null, scope: string | null, outermost: boolean): void {
    try {
      this.executeKind(node, via, scope, outermost);
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      // Everything an activity evaluates is evaluated before it changes anything: the incident
      // takes its place in the scope made for it, and a retry runs it again there.
      this.incident(node, { node: node.id, via, scope }, error.message, 'execute', outermost);
    }
  }

  private executeKind(node: FlowNode, via: string | null, scope: string | null, outermost: boolean): void {
    switch (node.kind) {
      case 'task':
      case 'manualTask':
        this.activityDone(node, scope, {});
        return;
      case 'scriptTask':
      case 'businessRuleTask':
        if (node.script) {
          const { expression, resultVariable } = node.script;
          const value = evaluateFeel(expression, this.context(scope));
          const at = this.step.events.length;
          const changes = this.activityDone(node, scope, resultVariable ? { [resultVariable]: value } : {});
          this.step.events.splice(at, 0, {
            type: 'script.evaluated',
            payload: { elementId: node.id, changes },
          });
          return;
        }
        break;
      case 'sendTask':
        if (!node.service) {
          this.throwMessage(node, scope);
          this.activityDone(node, scope, {});
          return;
        }
        break;
      case 'userTask':
        this.userTask(node, via, scope, outermost);
        return;
      case 'receiveTask':
        this.boundaries(this.subscribe(node, via, scope, node.event!), outermost);
        return;
      case 'subProcess': {
        const sub = this.openChildScope(node, scope, 'subProcess', via, outermost, {});
        this.openScope(sub.id, node.subProcess!.eventSubProcesses);
        this.step.events.push({ type: 'subprocess.started', payload: { elementId: node.id } });
        this.queue.push(...this.outgoing(this.node(node.subProcess!.start!), sub.id));
        return;
      }
      case 'serviceTask':
      case 'callActivity':
        break;
      default:
        throw new Error(`${node.kind} ${node.id} is not an activity`);
    }
    // Work done outside the move: a handler (service, send, business-rule task) or a called process.
    const token = this.addToken({
      node: node.id,
      via,
      scope,
      wait: node.kind === 'callActivity' ? 'call' : 'job',
    });
    this.scheduleWork(node, token);
    this.boundaries(token, outermost);
  }

  private scheduleWork(node: FlowNode, token: Token): void {
    const payload: Record<string, unknown> =
      token.wait === 'call'
        ? // The called process gets the variables the caller sees when the job runs (a retry included).
          { processKey: node.calledElement }
        : { type: node.service!.type, retries: node.service!.retries };
    const job = this.addJob(token, node, token.wait === 'call' ? 'call' : 'service', this.now, payload);
    token.jobId = job.id;
  }

  private userTask(node: FlowNode, via: string | null, scope: string | null, outermost: boolean): void {
    const spec = node.userTask!;
    const dueAt = spec.dueDate ? dueDateFrom(spec.dueDate, this.context(scope), this.now) : null;
    const assignee = spec.assignee ? assigneeFrom(spec.assignee, this.context(scope)) : null;
    const token = this.addToken({ node: node.id, via, scope, wait: 'task' });
    const task: NewTask = {
      id: this.newId(),
      tokenId: token.id,
      elementId: node.id,
      name: node.name,
      candidateRoles: spec.candidateRoles,
      formKey: spec.formKey,
      dueAt,
      assignee,
    };
    token.taskId = task.id;
    this.step.newTasks.push(task);
    this.step.events.push({
      type: 'task.created',
      payload: {
        taskId: task.id,
        elementId: node.id,
        name: node.name,
        candidateRoles: spec.candidateRoles,
        ...(assignee !== null && { assignee }),
        formKey: spec.formKey ?? null,
        dueAt: dueAt?.toISOString() ?? null,
      },
    });
    this.boundaries(token, outermost);
  }

  /** The boundary events of an activity start waiting on its outermost token. */
  private boundaries(host: Token, outermost: boolean): void {
    if (!outermost) return;
    const node = this.node(host.node);
    for (const id of node.boundaries) {
      const boundary = this.node(id);
      const trigger = boundary.event;
      if (trigger?.type === 'timer' || trigger?.type === 'message' || trigger?.type === 'signal') {
        this.listenSafely(boundary, host.scope ?? null, (t) => (t.hostTokenId = host.id));
      }
      // Error and escalation boundaries wait for nothing: they are found when something is thrown.
    }
  }

  /**
   * Finishes an activity instance with its result. `end` removes the activity's own token first.
   * Scopes made for the activity are left from the inside out: a local scope maps its outputs, an
   * iteration gives its output element to its multi-instance body. Expressions are evaluated before
   * anything changes, so a failing one leaves the instance as it was.
   */
  private activityDone(
    node: FlowNode,
    scope: string | null,
    result: Record<string, unknown>,
    end: () => void = () => {},
  ): FieldChange[] {
    const sc = scope === null ? undefined : this.scopes.get(scope);
    if (sc && sc.node === node.id && sc.kind === 'local') {
      const outputs = node.io!.outputs;
      let passed = result;
      if (outputs.length > 0) {
        const context = { ...this.context(sc.id), ...result };
        passed = Object.fromEntries(
          outputs.map(({ source, target }) => [target, evaluateFeel(source, context)]),
        );
      }
      end();
      this.closeChildScope(sc);
      return this.activityDone(node, sc.parent, passed);
    }
    if (sc && sc.node === node.id && sc.kind === 'iteration') {
      return this.iterationDone(node, sc, result, end);
    }
    end();
    const changes = this.assign(scope, result);
    this.queue.push(...this.outgoing(node, scope));
    return changes;
  }

  // ---------------------------------------------------------------- multi-instance

  private startMultiInstance(node: FlowNode, via: string | null, scope: string | null): void {
    const spec = node.multiInstance!;
    const context = this.context(scope);
    let items: unknown[] | null = null;
    let total: number;
    if (spec.collection) {
      const value = evaluateFeel(spec.collection, context);
      if (!Array.isArray(value)) {
        throw new ExpressionError(
          `The collection "${spec.collection}" gave ${JSON.stringify(value)}, not a list`,
        );
      }
      items = value;
      total = value.length;
    } else {
      const value = evaluateFeel(spec.cardinality!, context);
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
        throw new ExpressionError(
          `The cardinality "${spec.cardinality}" gave ${JSON.stringify(value)}, not a count`,
        );
      }
      total = value;
    }
    const body = this.openChildScope(node, scope, 'multiInstance', via, true, {
      nrOfInstances: total,
      nrOfCompletedInstances: 0,
      nrOfActiveInstances: 0,
    });
    body.mi = { total, items, next: 0, completed: 0, outputs: new Array<unknown>(total).fill(null) };
    this.step.events.push({
      type: 'multiInstance.started',
      payload: { elementId: node.id, instances: total, sequential: spec.sequential },
    });
    if (total === 0) {
      this.completeBody(node, body);
      return;
    }
    const first = spec.sequential ? 1 : total;
    for (let i = 0; i < first; i++) this.startIteration(node, body, via);
  }

  private startIteration(node: FlowNode, body: Scope, via: string | null): void {
    const mi = body.mi!;
    const index = mi.next++;
    const spec = node.multiInstance!;
    const variables: Record<string, unknown> = { loopCounter: index + 1 };
    if (spec.elementVariable)
      variables[spec.elementVariable] = mi.items ? (mi.items[index] ?? null) : index + 1;
    const iteration = this.openChildScope(node, body.id, 'iteration', via, false, variables);
    iteration.index = index;
    body.variables.nrOfActiveInstances = (body.variables.nrOfActiveInstances as number) + 1;
    this.queue.push({ node: node.id, via, scope: iteration.id, phase: 'activity', outermost: false });
  }

  private iterationDone(
    node: FlowNode,
    iteration: Scope,
    result: Record<string, unknown>,
    end: () => void,
  ): FieldChange[] {
    const spec = node.multiInstance!;
    const body = this.scopes.get(iteration.parent!)!;
    const mi = body.mi!;
    const context = { ...this.context(iteration.id), ...result };
    const output = spec.outputElement ? evaluateFeel(spec.outputElement, context) : null;
    const counters = {
      nrOfInstances: mi.total,
      nrOfCompletedInstances: mi.completed + 1,
      nrOfActiveInstances: (body.variables.nrOfActiveInstances as number) - 1,
    };
    const done =
      counters.nrOfCompletedInstances === mi.total ||
      (spec.completionCondition !== null &&
        evaluateFeel(spec.completionCondition, { ...this.context(body.id), ...result, ...counters }) ===
          true);
    end();
    // Results stay in the iteration when the body collects outputs; otherwise they go up as usual.
    // From the inner instance: what it holds (its item, its counter) stays there and ends with it.
    const changes = this.assign(iteration.id, result);
    mi.outputs[iteration.index!] = output;
    mi.completed += 1;
    Object.assign(body.variables, counters);
    this.closeChildScope(iteration);
    if (done) this.completeBody(node, body);
    else if (spec.sequential && mi.next < mi.total) this.startIteration(node, body, null);
    return changes;
  }

  private completeBody(node: FlowNode, body: Scope): void {
    for (const t of this.tokens.filter((t) => t.scope === body.id)) this.dispose(t);
    const spec = node.multiInstance!;
    const { completed, total, outputs } = body.mi!;
    this.closeChildScope(body);
    const event: EventDraft = {
      type: 'multiInstance.completed',
      payload: { elementId: node.id, completed, instances: total },
    };
    this.step.events.push(event);
    const changes = this.activityDone(
      node,
      body.parent,
      spec.outputCollection ? { [spec.outputCollection]: outputs } : {},
    );
    if (changes.length > 0) event.payload!.changes = changes;
  }

  // ---------------------------------------------------------------- scopes

  /** A scope held by a token at `node` in `parent`; the token carries the boundary events when outermost. */
  private openChildScope(
    node: FlowNode,
    parent: string | null,
    kind: Scope['kind'],
    via: string | null,
    outermost: boolean,
    variables: Record<string, unknown>,
  ): Scope {
    const scope: Scope = { id: this.newId(), node: node.id, parent, kind, variables };
    this.scopes.set(scope.id, scope);
    const host = this.addToken({ node: node.id, via, scope: parent, wait: 'scope' });
    host.childScope = scope.id;
    this.boundaries(host, outermost);
    return scope;
  }

  /** Ends a scope whose tokens are gone: its host token and the boundary events on it go too. */
  private closeChildScope(scope: Scope): void {
    this.scopes.delete(scope.id);
    const host = this.tokens.find((t) => t.childScope === scope.id);
    if (host) {
      delete host.childScope;
      this.dispose(host);
    }
  }

  /** The event sub-processes of a scope start listening when the scope opens. */
  private openScope(scope: string | null, eventSubProcesses: string[]): void {
    for (const id of eventSubProcesses) {
      const start = this.node(this.node(id).subProcess!.start!);
      const trigger = start.event;
      if (trigger?.type === 'timer' || trigger?.type === 'message' || trigger?.type === 'signal') {
        this.listenSafely(start, scope, (t) => (t.eventSubProcess = true));
      }
    }
  }

  /** Sub-processes whose last token has gone complete, from the inside out; the process last. */
  private completeEmptyScopes(): boolean {
    const busy = (scope: string | undefined) =>
      this.tokens.some((t) => t.scope === scope && !t.eventSubProcess);
    for (const scope of this.scopes.values()) {
      if ((scope.kind === 'subProcess' || scope.kind === 'eventSubProcess') && !busy(scope.id)) {
        const node = this.node(scope.node);
        try {
          this.activityDone(node, scope.parent, {}, () => {
            for (const t of this.tokens.filter((t) => t.scope === scope.id)) this.dispose(t);
            this.step.events.push({ type: 'subprocess.completed', payload: { elementId: node.id } });
            this.closeChildScope(scope);
          });
        } catch (error) {
          if (!(error instanceof ExpressionError)) throw error;
          // Its output mapping failed: the sub-process stays, held by the incident until a retry.
          this.incident(node, { node: node.id, via: null, scope: scope.id }, error.message, 'settle');
        }
        return true;
      }
    }
    if (!busy(undefined)) {
      for (const t of [...this.tokens]) this.dispose(t);
      this.ended = 'completed';
      this.step.events.push({ type: 'process.completed' });
    }
    return false;
  }

  private triggerEventSubProcess(token: Token, variables: Record<string, unknown>): FieldChange[] {
    const start = this.node(token.node);
    const scope = token.scope ?? null;
    if (start.interrupting) {
      for (const t of this.tokens.filter((t) => (t.scope ?? null) === scope)) this.dispose(t);
    } else {
      this.rearmOrEnd(token, start);
    }
    return this.startEventSubProcess(start, scope, variables);
  }

  private startEventSubProcess(
    start: FlowNode,
    scope: string | null,
    variables: Record<string, unknown>,
  ): FieldChange[] {
    const node = this.node(start.parent!);
    const sub = this.openChildScope(node, scope, 'eventSubProcess', null, false, {});
    this.openScope(sub.id, node.subProcess!.eventSubProcesses);
    this.step.events.push({
      type: 'subprocess.started',
      payload: { elementId: node.id, trigger: start.event?.type ?? 'none', interrupting: start.interrupting },
    });
    const changes = this.assign(sub.id, variables);
    this.queue.push(...this.outgoing(start, sub.id));
    return changes;
  }

  // ---------------------------------------------------------------- events

  private catchEvent(node: FlowNode, via: string | null, scope: string | null, group?: string): void {
    const token = this.listen(node, via, scope, node.event!);
    if (group) token.group = group;
  }

  /** A token that waits for a timer, a message or a signal. */
  private listen(node: FlowNode, via: string | null, scope: string | null, trigger: EventTrigger): Token {
    if (trigger.type === 'timer') return this.arm(node, via, scope, trigger.timer);
    return this.subscribe(node, via, scope, trigger);
  }

  /**
   * A boundary event or event sub-process start starts listening. Its timer or correlation key
   * failing is an incident in its place; the rest of the move goes on.
   */
  private listenSafely(node: FlowNode, scope: string | null, mark: (token: Token) => void): void {
    try {
      mark(this.listen(node, null, scope, node.event!));
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      const token = this.addToken({ node: node.id, via: null, scope, wait: 'incident' });
      mark(token);
      this.markIncident(token, error.message, { phase: 'listen', outermost: false });
    }
  }

  private subscribe(node: FlowNode, via: string | null, scope: string | null, trigger: EventTrigger): Token {
    if (trigger.type !== 'message' && trigger.type !== 'signal') {
      throw new Error(`${node.id} cannot wait for a ${trigger.type}`);
    }
    const correlationKey =
      trigger.type === 'message' && trigger.correlationKey
        ? correlationText(evaluateFeel(trigger.correlationKey, this.context(scope)), trigger.correlationKey)
        : null;
    const token = this.addToken({ node: node.id, via, scope, wait: trigger.type });
    token.subscription = { name: trigger.name, correlationKey };
    this.step.newSubscriptions.push({
      tokenId: token.id,
      elementId: node.id,
      kind: trigger.type,
      name: trigger.name,
      correlationKey,
    });
    this.step.events.push({
      type: `${trigger.type}.subscribed`,
      payload: { elementId: node.id, name: trigger.name, ...(correlationKey !== null && { correlationKey }) },
    });
    return token;
  }

  /** The token waits for its time; the job that will move it on is written with this move. */
  private arm(node: FlowNode, via: string | null, scope: string | null, timer: TimerSpec): Token {
    const { dueAt, cycle } = scheduleTimer(timer, this.context(scope), this.now);
    const token = this.addToken({ node: node.id, via, scope, wait: 'timer' });
    if (cycle) token.cycle = { ...cycle, dueAt: dueAt.toISOString() };
    token.jobId = this.addJob(token, node, 'timer', dueAt, null).id;
    this.step.events.push({
      type: 'timer.scheduled',
      payload: { jobId: token.jobId, elementId: node.id, dueAt: dueAt.toISOString() },
    });
    return token;
  }

  /** After a non-interrupting event fires: a repeating timer waits for its next time, a one-off timer ends. */
  private rearmOrEnd(token: Token, node: FlowNode): void {
    if (token.wait !== 'timer') return; // message and signal subscriptions keep listening
    const cycle = token.cycle;
    if (cycle && cycle.remaining !== 0) {
      // The next time counts from when this one was due, not from when it ran: no drift after downtime.
      const dueAt = addDuration(new Date(cycle.dueAt), cycle.every);
      token.cycle = {
        remaining: cycle.remaining === null ? null : cycle.remaining - 1,
        every: cycle.every,
        dueAt: dueAt.toISOString(),
      };
      token.jobId = this.addJob(token, node, 'timer', dueAt, null).id;
      this.step.events.push({
        type: 'timer.scheduled',
        payload: { jobId: token.jobId, elementId: node.id, dueAt: dueAt.toISOString() },
      });
    } else {
      this.dispose(token);
    }
  }

  /** Intermediate throw and end events: what they throw, then on (throw) or done (end). */
  private throwEvent(node: FlowNode, via: string | null, scope: string | null, goOn: boolean): void {
    const trigger = node.event;
    switch (trigger?.type) {
      case 'terminate':
        this.terminate(node, scope);
        return;
      case 'error':
        this.raise('error', trigger.code!, `Error ${trigger.code} thrown by ${node.id}`, {
          node,
          scope,
          via,
        });
        return;
      case 'escalation':
        if (!this.raise('escalation', trigger.code!, '', { node, scope, via }) && goOn) {
          this.queue.push(...this.outgoing(node, scope));
        }
        return;
      case 'message':
        this.throwMessage(node, scope);
        break;
      case 'signal':
        this.addJob({ id: this.newId() }, node, 'throw', this.now, {
          signal: trigger.name,
          thrownAt: this.now.toISOString(),
        });
        this.step.events.push({ type: 'signal.thrown', payload: { elementId: node.id, name: trigger.name } });
        break;
      case 'link': {
        const target = Object.values(this.graph.nodes).find(
          (n) =>
            n.kind === 'intermediateCatchEvent' &&
            n.parent === node.parent &&
            n.event?.type === 'link' &&
            n.event.name === trigger.name,
        )!;
        this.queue.push({ node: target.id, via: null, scope });
        return;
      }
    }
    if (goOn) this.queue.push(...this.outgoing(node, scope));
  }

  /**
   * A message thrown to whoever waits for it. It carries only what the sender maps into it: a send
   * task's input mappings; a throw event carries no variables. Nothing of the sender's state leaks
   * into (or overwrites) the receiver's unless the model says so.
   */
  private throwMessage(node: FlowNode, scope: string | null): void {
    const trigger = node.event;
    if (trigger?.type !== 'message') return;
    const correlationKey = trigger.correlationKey
      ? correlationText(evaluateFeel(trigger.correlationKey, this.context(scope)), trigger.correlationKey)
      : null;
    const local = scope === null ? undefined : this.scopes.get(scope);
    const variables = local && local.node === node.id && local.kind === 'local' ? { ...local.variables } : {};
    this.addJob({ id: this.newId() }, node, 'throw', this.now, {
      message: trigger.name,
      correlationKey,
      variables,
    });
    this.step.events.push({
      type: 'message.thrown',
      payload: { elementId: node.id, name: trigger.name, correlationKey },
    });
  }

  /**
   * Throws an error or escalation from an element, to the nearest boundary event or event
   * sub-process that catches it, scope by scope outwards. Returns whether the thrower was ended
   * (an interrupting catch around it). An error nothing catches is an incident, or, in a called
   * instance, goes back to its caller; an escalation nothing catches is recorded and let be.
   */
  private raise(
    kind: 'error' | 'escalation',
    code: string,
    message: string,
    from: { node: FlowNode; scope: string | null; token?: Token; via?: string | null },
  ): boolean {
    this.step.events.push({ type: `${kind}.thrown`, payload: { elementId: from.node.id, code } });
    let token = from.token;
    let node = from.node;
    let scope = from.scope;
    for (;;) {
      if (token && this.outermost(token)) {
        const boundary = catcher(
          node.boundaries.map((id) => this.node(id)),
          kind,
          code,
        );
        if (boundary) {
          this.step.events.push({ type: `${kind}.caught`, payload: { elementId: boundary.id, code } });
          if (boundary.interrupting) this.dispose(token);
          this.queue.push(...this.outgoing(boundary, token.scope ?? null));
          return boundary.interrupting;
        }
      }
      const holder = scope === null ? null : this.scopes.get(scope)!;
      const subs =
        holder === null
          ? this.graph.eventSubProcesses
          : holder.kind === 'subProcess' || holder.kind === 'eventSubProcess'
            ? this.node(holder.node).subProcess!.eventSubProcesses
            : [];
      const start = catcher(
        subs.map((id) => this.node(this.node(id).subProcess!.start!)),
        kind,
        code,
      );
      if (start) {
        this.step.events.push({ type: `${kind}.caught`, payload: { elementId: start.id, code } });
        if (start.interrupting) {
          for (const t of this.tokens.filter((t) => (t.scope ?? null) === scope)) this.dispose(t);
        }
        this.startEventSubProcess(start, scope, {});
        return start.interrupting;
      }
      if (holder === null) break;
      token = this.tokens.find((t) => t.childScope === holder.id)!;
      node = this.node(token.node);
      scope = holder.parent;
    }
    if (kind === 'escalation') {
      // A called instance hands it to its caller's call activity; the called instance goes on.
      if (this.called) this.step.uncaughtEscalations.push(code);
      return false;
    }
    if (this.called) {
      this.step.uncaughtError = { code, message };
      for (const t of [...this.tokens]) this.dispose(t);
      this.scopes.clear();
      this.ended = 'terminated';
      this.step.events.push({ type: 'process.failed', payload: { code, message } });
      return true;
    }
    const text = `Error "${code}" was thrown and nothing catches it${message ? `: ${message}` : ''}`;
    if (from.token) {
      this.markIncident(from.token, text, { phase: 'job', outermost: false, wait: from.token.wait as 'job' });
    } else {
      this.incident(
        from.node,
        { node: from.node.id, via: from.via ?? null, scope: from.scope },
        text,
        'enter',
      );
    }
    return true;
  }

  /** Whether the token is the one an activity's boundary events wait on (not an inner scope's). */
  private outermost(token: Token): boolean {
    const sc = token.scope === undefined ? undefined : this.scopes.get(token.scope);
    return !(sc && sc.node === token.node && sc.kind !== 'subProcess' && sc.kind !== 'eventSubProcess');
  }

  /** A terminate end event ends every token of its scope; the scope then completes (the process: terminated). */
  private terminate(node: FlowNode, scope: string | null): void {
    if (scope === null) {
      for (const t of [...this.tokens]) this.dispose(t);
      this.scopes.clear();
      this.ended = 'terminated';
      this.step.events.push({ type: 'process.terminated', payload: { elementId: node.id } });
      return;
    }
    for (const t of this.tokens.filter((t) => t.scope === scope)) this.dispose(t);
    this.step.events.push({ type: 'scope.terminated', payload: { elementId: node.id } });
  }

  // ---------------------------------------------------------------- gateways

  /** The first outgoing flow whose condition is true, else the default; no match is an incident. */
  private exclusive(node: FlowNode, via: string | null, scope: string | null): void {
    const context = this.context(scope);
    const chosen =
      node.outgoing.find(
        (id) => id !== node.defaultFlow && this.holds(this.graph.flows[id]!.condition, context),
      ) ?? node.defaultFlow;
    if (!chosen) {
      this.incident(
        node,
        { node: node.id, via, scope },
        'No outgoing flow matches and there is no default flow',
        'enter',
      );
      return;
    }
    if (node.outgoing.length > 1) {
      this.step.events.push({ type: 'gateway.decided', payload: { elementId: node.id, flowId: chosen } });
    }
    this.queue.push({ node: this.graph.flows[chosen]!.target, via: chosen, scope });
  }

  private holds(condition: string | null, context: Record<string, unknown>): boolean {
    return condition === null || evaluateFeel(condition, context) === true;
  }

  /** A join waits for a token on every incoming flow, then one goes on along every outgoing flow. */
  private parallel(node: FlowNode, via: string | null, scope: string | null): void {
    if (node.incoming.length > 1) {
      this.wait(node, via, scope, 'join');
      const waiting = node.incoming.map((flow) =>
        this.tokens.find(
          (t) => t.node === node.id && t.wait === 'join' && t.via === flow && (t.scope ?? null) === scope,
        ),
      );
      if (waiting.some((t) => t === undefined)) return;
      for (const t of waiting) this.take(t!.id);
    }
    this.queue.push(...this.outgoing(node, scope));
  }

  /** Every outgoing flow whose condition holds; the default only when none does; none at all is an incident. */
  private inclusiveSplit(node: FlowNode, scope: string | null): void {
    const context = this.context(scope);
    const taken = node.outgoing.filter(
      (id) => id !== node.defaultFlow && this.holds(this.graph.flows[id]!.condition, context),
    );
    if (taken.length === 0 && node.defaultFlow) taken.push(node.defaultFlow);
    if (taken.length === 0) {
      this.incident(
        node,
        { node: node.id, via: null, scope },
        'No outgoing flow matches and there is no default flow',
        'enter',
      );
      return;
    }
    if (node.outgoing.length > 1) {
      this.step.events.push({ type: 'gateway.decided', payload: { elementId: node.id, flowIds: taken } });
    }
    this.queue.push(...taken.map((id) => ({ node: this.graph.flows[id]!.target, via: id, scope })));
  }

  /**
   * An inclusive join fires once no token that could still reach it is left in its scope: it
   * waits for every token that can arrive, however the flows before it are drawn.
   */
  private fireInclusiveJoins(): boolean {
    for (const waiting of this.tokens) {
      const node = this.graph.nodes[waiting.node]!;
      if (waiting.wait !== 'join' || node.kind !== 'inclusiveGateway') continue;
      const scope = waiting.scope;
      const upstream = upstreamOf(this.graph, node.id);
      if (this.tokens.some((t) => t.scope === scope && t.node !== node.id && upstream.has(t.node))) continue;
      const arrived = new Map<string | null, Token>();
      for (const t of this.tokens) {
        if (t.node === node.id && t.wait === 'join' && t.scope === scope && !arrived.has(t.via))
          arrived.set(t.via, t);
      }
      for (const t of arrived.values()) this.take(t.id);
      try {
        this.inclusiveSplit(node, scope ?? null);
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        this.incident(node, { node: node.id, via: null, scope: scope ?? null }, error.message, 'enter');
      }
      return true;
    }
    return false;
  }

  /** The catch events after an event-based gateway all wait; the first that fires takes the token. */
  private eventBased(node: FlowNode, scope: string | null): void {
    const group = this.newId();
    for (const flow of node.outgoing) {
      const target = this.node(this.graph.flows[flow]!.target);
      if (target.kind === 'receiveTask') {
        const token = this.subscribe(target, flow, scope, target.event!);
        token.group = group;
        this.boundaries(token, true);
      } else {
        this.catchEvent(target, flow, scope, group);
      }
    }
  }

  // ---------------------------------------------------------------- tokens, variables, bookkeeping

  private node(id: string): FlowNode {
    const node = this.graph.nodes[id];
    if (!node) throw new Error(`Process ${this.graph.key} has no element ${id}`);
    return node;
  }

  private token(id: string): Token {
    const token = this.tokens.find((t) => t.id === id);
    if (!token) throw new Error(`Token ${id} is not waiting in this instance`);
    return token;
  }

  private outgoing(node: FlowNode, scope: string | null): Item[] {
    return node.outgoing.map((id) => ({ node: this.graph.flows[id]!.target, via: id, scope }));
  }

  private addToken(t: { node: string; via: string | null; scope: string | null; wait: Wait }): Token {
    const token: Token = { id: this.newId(), node: t.node, via: t.via, wait: t.wait };
    if (t.scope !== null) token.scope = t.scope;
    this.tokens.push(token);
    return token;
  }

  private wait(node: FlowNode, via: string | null, scope: string | null, wait: Wait): Token {
    return this.addToken({ node: node.id, via, scope, wait });
  }

  private addJob(
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

  private take(tokenId: string): Token {
    const index = this.tokens.findIndex((t) => t.id === tokenId);
    if (index < 0) throw new Error(`Token ${tokenId} is not waiting in this instance`);
    return this.tokens.splice(index, 1)[0] as Token;
  }

  /**
   * Ends a token and everything that hangs on it: its task, job, subscription or incident; the
   * scope it holds with all tokens in it; the boundary events waiting on it; a called instance.
   */
  private dispose(token: Token): void {
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

  private dropScope(id: string): void {
    this.scopes.delete(id);
    for (const inner of [...this.scopes.values()].filter((s) => s.parent === id)) this.dropScope(inner.id);
  }

  /** The variables seen in a scope: the process's, overlaid by each enclosing scope's, innermost last. */
  private context(scope: string | null): Record<string, unknown> {
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
  private assign(scope: string | null, values: Record<string, unknown>): FieldChange[] {
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

  private isolatingIteration(scope: string | null): Scope | null {
    for (let s = scope; s !== null; s = this.scopes.get(s)!.parent) {
      const sc = this.scopes.get(s)!;
      if (sc.kind === 'iteration' && this.node(sc.node).multiInstance?.outputElement) return sc;
    }
    return null;
  }

  private markIncident(token: Token, message: string, retry: NonNullable<Token['retry']>): void {
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

  private incident(node: FlowNode, item: Item, message: string, phase: RetryPhase, outermost = true): void {
    const token = this.addToken({ node: node.id, via: item.via, scope: item.scope, wait: 'incident' });
    this.markIncident(token, message, { phase, outermost });
  }
}

/**
 * When a timer is first due, and for a cycle how often and how many more times it fires after that:
 * `R3/PT1H` (three times, the first an hour from now), `R/P1D` (every day, without end),
 * `R/2026-01-05T08:00:00Z/P1D` (every day at 08:00 UTC from that day; repetitions already past are
 * skipped).
 */
export function scheduleTimer(
  timer: TimerSpec,
  variables: Record<string, unknown>,
  now: Date,
): { dueAt: Date; cycle?: { remaining: number | null; every: string } } {
  if (timer.type !== 'cycle') return { dueAt: dueDateFrom(timer.expression, variables, now) };
  const text = evaluateFeel(timer.expression, variables);
  const match = typeof text === 'string' ? CYCLE.exec(text) : null;
  if (!match) {
    throw new ExpressionError(
      `The cycle ${JSON.stringify(text)} is not R<n>/<ISO 8601 duration> or R<n>/<start>/<duration>`,
    );
  }
  const [, count, start, every] = match as unknown as [string, string, string | undefined, string];
  let remaining = count === '' ? null : Number(count) - 1;
  if (start === undefined) return { dueAt: addDuration(now, every), cycle: { remaining, every } };
  let dueAt = new Date(start);
  if (Number.isNaN(dueAt.getTime()))
    throw new ExpressionError(`The cycle start "${start}" is not a date and time`);
  // Skip the repetitions already past; a cycle that ended in the past is never due.
  for (let i = 0; dueAt < now && i < 1_000_000; i++) {
    if (remaining === 0) throw new ExpressionError(`The cycle ${JSON.stringify(text)} ended before now`);
    if (remaining !== null) remaining -= 1;
    const next = addDuration(dueAt, every);
    if (next <= dueAt) throw new ExpressionError(`The cycle ${JSON.stringify(text)} does not advance`);
    dueAt = next;
  }
  return { dueAt, cycle: { remaining, every } };
}

/** The catch event for a thrown code: one naming the code, else one catching every code. */
function catcher(candidates: FlowNode[], kind: 'error' | 'escalation', code: string): FlowNode | undefined {
  const of = candidates.filter((n) => n.event?.type === kind) as (FlowNode & {
    event: { type: 'error' | 'escalation'; code: string | null };
  })[];
  return of.find((n) => n.event.code === code) ?? of.find((n) => n.event.code === null);
}

/** A correlation key as text: messages are matched on it. */
function correlationText(value: unknown, expression: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ExpressionError(
    `The correlation key "${expression}" gave ${JSON.stringify(value)}, not a text or number`,
  );
}

/** The user name `attest:assignee` gives: text, or the task cannot be created. */
function assigneeFrom(expression: string, variables: Record<string, unknown>): string {
  const value = evaluateFeel(expression, variables);
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ExpressionError(`The assignee "${expression}" gave ${JSON.stringify(value)}, not a user name`);
  }
  return value.trim();
}
