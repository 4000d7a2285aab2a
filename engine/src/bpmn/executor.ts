import type { EventDraft, FieldChange } from '../audit/types.ts';
import { dueDateFrom, evaluateFeel, ExpressionError } from './feel.ts';
import type { FlowNode, ProcessGraph } from './graph.ts';

/** A token resting at a wait state; tokens moving between wait states never leave memory. */
export interface Token {
  id: string;
  node: string;
  /** The flow it arrived by: a parallel join counts arrivals per incoming flow. */
  via: string | null;
  wait: 'task' | 'join' | 'incident' | 'timer';
  taskId?: string;
  incidentId?: string;
  jobId?: string;
  /** A boundary event's token: the token of the activity it is attached to. */
  hostTokenId?: string;
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
}

/** A timer (or later, other asynchronous work) for the job workers: a row, so it survives restarts. */
export interface NewJob {
  id: string;
  tokenId: string;
  elementId: string;
  dueAt: Date;
}

export interface NewIncident {
  id: string;
  tokenId: string;
  elementId: string;
  message: string;
}

/** Everything one move from wait state to wait state changed: written in one transaction. */
export interface Step {
  tokens: Token[];
  variables: Record<string, unknown>;
  status: InstanceStatus;
  newTasks: NewTask[];
  cancelledTasks: string[];
  newJobs: NewJob[];
  cancelledJobs: string[];
  incidents: NewIncident[];
  events: EventDraft[];
}

/** More elements passed in one move than any sensible model needs: a loop without a wait state. */
const MAX_ELEMENTS_PER_MOVE = 10_000;

export function variableChanges(
  before: Record<string, unknown>,
  set: Record<string, unknown>,
): FieldChange[] {
  return Object.entries(set)
    .filter(([k, v]) => JSON.stringify(before[k]) !== JSON.stringify(v))
    .map(([k, v]) => ({
      path: `/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`,
      old: before[k] ?? null,
      new: v,
    }));
}

/**
 * Moves the tokens of one instance through its graph until each rests at a wait state (a user
 * task, a parallel join still waiting, an incident) or has ended, per BPMN 2.0 token semantics.
 * Pure: no I/O, ids and time are given, so a move is computed once and written atomically.
 */
export class Execution {
  private readonly tokens: Token[];
  private readonly variables: Record<string, unknown>;
  private readonly step: Omit<Step, 'tokens' | 'variables' | 'status'> = {
    newTasks: [],
    cancelledTasks: [],
    newJobs: [],
    cancelledJobs: [],
    incidents: [],
    events: [],
  };
  private terminated = false;
  private moved = 0;

  constructor(
    private readonly graph: ProcessGraph,
    tokens: Token[],
    variables: Record<string, unknown>,
    private readonly now: Date,
    private readonly newId: () => string,
  ) {
    this.tokens = tokens.map((t) => ({ ...t }));
    this.variables = structuredClone(variables);
  }

  /** A new instance: one token at the (first) none start event. */
  start(): void {
    this.run([{ node: this.graph.startNodes[0] as string, via: null }]);
  }

  /** Sets variables and records what changed, field by field (C1). */
  setVariables(values: Record<string, unknown>): FieldChange[] {
    const changes = variableChanges(this.variables, values);
    Object.assign(this.variables, values);
    return changes;
  }

  /**
   * The token waiting at a completed task, a fired timer or a resolved incident goes on from its
   * element. Leaving an activity ends the boundary timers waiting on it; an interrupting boundary
   * event that fires ends its activity (the task is cancelled) and the activity's other timers.
   */
  leave(tokenId: string): void {
    const token = this.take(tokenId);
    const node = this.graph.nodes[token.node] as FlowNode;
    if (node.kind === 'boundaryEvent') {
      if (node.interrupting) this.interrupt(token.hostTokenId!);
    } else {
      this.endBoundaries(token.id);
    }
    this.run(this.outgoing(node));
  }

  private interrupt(hostTokenId: string): void {
    const host = this.tokens.find((t) => t.id === hostTokenId);
    if (!host) return;
    this.take(host.id);
    if (host.taskId) this.step.cancelledTasks.push(host.taskId);
    this.endBoundaries(host.id);
  }

  private endBoundaries(hostTokenId: string): void {
    for (const t of this.tokens.filter((t) => t.hostTokenId === hostTokenId)) {
      this.take(t.id);
      if (t.jobId) this.step.cancelledJobs.push(t.jobId);
    }
  }

  /** The token of an incident enters its element again, e.g. after its variables were corrected. */
  retry(tokenId: string): void {
    const token = this.take(tokenId);
    this.run([{ node: token.node, via: token.via }]);
  }

  result(): Step {
    const done = this.terminated || this.tokens.length === 0;
    if (done && !this.terminated) this.step.events.push({ type: 'process.completed' });
    const status: InstanceStatus = this.terminated
      ? 'terminated'
      : done
        ? 'completed'
        : this.tokens.some((t) => t.wait === 'incident')
          ? 'incident'
          : 'active';
    return { ...this.step, tokens: this.tokens, variables: this.variables, status };
  }

  private take(tokenId: string): Token {
    const index = this.tokens.findIndex((t) => t.id === tokenId);
    if (index < 0) throw new Error(`Token ${tokenId} is not waiting in this instance`);
    return this.tokens.splice(index, 1)[0] as Token;
  }

  private outgoing(node: FlowNode): { node: string; via: string }[] {
    return node.outgoing.map((id) => ({ node: this.graph.flows[id]!.target, via: id }));
  }

  private run(queue: { node: string; via: string | null }[]): void {
    while (queue.length > 0 && !this.terminated) {
      const { node: id, via } = queue.shift()!;
      const node = this.graph.nodes[id] as FlowNode;
      if (++this.moved > MAX_ELEMENTS_PER_MOVE) {
        this.incident(
          node,
          via,
          'The process passed the same elements over and over without waiting; check its loops',
        );
        return;
      }
      switch (node.kind) {
        case 'startEvent':
        case 'task':
        case 'manualTask':
        case 'intermediateThrowEvent':
          queue.push(...this.outgoing(node));
          break;
        case 'scriptTask':
          this.script(node, via, queue);
          break;
        case 'userTask':
          this.userTask(node, via);
          break;
        case 'intermediateCatchEvent':
          this.timer(node, via);
          break;
        case 'exclusiveGateway':
          this.exclusive(node, via, queue);
          break;
        case 'parallelGateway':
          this.parallel(node, via, queue);
          break;
        case 'endEvent':
          if (node.terminate) this.terminate(node);
          break;
      }
    }
  }

  private script(node: FlowNode, via: string | null, queue: { node: string; via: string | null }[]): void {
    const { expression, resultVariable } = node.script!;
    try {
      const value = evaluateFeel(expression, this.variables);
      if (resultVariable) {
        const changes = this.setVariables({ [resultVariable]: value });
        this.step.events.push({ type: 'script.evaluated', payload: { elementId: node.id, changes } });
      }
      queue.push(...this.outgoing(node));
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      this.incident(node, via, error.message);
    }
  }

  private userTask(node: FlowNode, via: string | null): void {
    const spec = node.userTask!;
    let dueAt: Date | null = null;
    if (spec.dueDate) {
      try {
        dueAt = dueDateFrom(spec.dueDate, this.variables, this.now);
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        this.incident(node, via, error.message);
        return;
      }
    }
    const task: NewTask = {
      id: this.newId(),
      tokenId: this.newId(),
      elementId: node.id,
      name: node.name,
      candidateRoles: spec.candidateRoles,
      formKey: spec.formKey,
      dueAt,
    };
    this.tokens.push({ id: task.tokenId, node: node.id, via, wait: 'task', taskId: task.id });
    this.step.newTasks.push(task);
    this.step.events.push({
      type: 'task.created',
      payload: { taskId: task.id, elementId: node.id, name: node.name, candidateRoles: spec.candidateRoles },
    });
    for (const id of node.boundaries) this.timer(this.graph.nodes[id] as FlowNode, null, task.tokenId);
  }

  /**
   * The token waits for its time; the job that will move it on is written with this move. A
   * boundary timer's token also names the activity's token it waits on.
   */
  private timer(node: FlowNode, via: string | null, hostTokenId?: string): void {
    let dueAt: Date;
    try {
      dueAt = dueDateFrom(node.timer!.expression, this.variables, this.now);
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      this.incident(node, via, error.message);
      return;
    }
    const job: NewJob = { id: this.newId(), tokenId: this.newId(), elementId: node.id, dueAt };
    this.tokens.push({
      id: job.tokenId,
      node: node.id,
      via,
      wait: 'timer',
      jobId: job.id,
      ...(hostTokenId && { hostTokenId }),
    });
    this.step.newJobs.push(job);
    this.step.events.push({
      type: 'timer.scheduled',
      payload: { jobId: job.id, elementId: node.id, dueAt: dueAt.toISOString() },
    });
  }

  /** The first outgoing flow whose condition is true, else the default; no match is an incident. */
  private exclusive(node: FlowNode, via: string | null, queue: { node: string; via: string | null }[]): void {
    const candidates = node.outgoing.filter((id) => id !== node.defaultFlow);
    let chosen: string | null = null;
    try {
      for (const id of candidates) {
        const condition = this.graph.flows[id]!.condition;
        if (condition === null || evaluateFeel(condition, this.variables) === true) {
          chosen = id;
          break;
        }
      }
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      this.incident(node, via, error.message);
      return;
    }
    chosen ??= node.defaultFlow;
    if (!chosen) {
      this.incident(node, via, 'No outgoing flow matches and there is no default flow');
      return;
    }
    if (node.outgoing.length > 1) {
      this.step.events.push({ type: 'gateway.decided', payload: { elementId: node.id, flowId: chosen } });
    }
    queue.push({ node: this.graph.flows[chosen]!.target, via: chosen });
  }

  /** A join waits for a token on every incoming flow, then one goes on along every outgoing flow. */
  private parallel(node: FlowNode, via: string | null, queue: { node: string; via: string | null }[]): void {
    if (node.incoming.length > 1) {
      this.tokens.push({ id: this.newId(), node: node.id, via, wait: 'join' });
      const waiting = node.incoming.map((flow) =>
        this.tokens.find((t) => t.node === node.id && t.wait === 'join' && t.via === flow),
      );
      if (waiting.some((t) => t === undefined)) return;
      for (const t of waiting) this.tokens.splice(this.tokens.indexOf(t!), 1);
    }
    queue.push(...this.outgoing(node));
  }

  private terminate(node: FlowNode): void {
    this.terminated = true;
    for (const t of this.tokens) {
      if (t.taskId) this.step.cancelledTasks.push(t.taskId);
      if (t.jobId) this.step.cancelledJobs.push(t.jobId);
    }
    this.tokens.length = 0;
    this.step.events.push({ type: 'process.terminated', payload: { elementId: node.id } });
  }

  private incident(node: FlowNode, via: string | null, message: string): void {
    const incident: NewIncident = { id: this.newId(), tokenId: this.newId(), elementId: node.id, message };
    this.tokens.push({ id: incident.tokenId, node: node.id, via, wait: 'incident', incidentId: incident.id });
    this.step.incidents.push(incident);
    this.step.events.push({
      type: 'incident.raised',
      payload: { incidentId: incident.id, elementId: node.id, message },
    });
  }
}
