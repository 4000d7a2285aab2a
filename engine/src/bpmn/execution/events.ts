import { addDuration, evaluateFeel, ExpressionError } from '../../feel/feel.ts';
import type { EventTrigger, FlowNode, TimerSpec } from '../model/graph.ts';
import type { Execution } from './execution.ts';
import { startEventSubProcess } from './subProcesses.ts';
import { scheduleTimer } from './timers.ts';
import type { Token } from './types.ts';

// Events: catching (timers, messages, signals), throwing, errors and escalations, terminate.

export function catchEvent(
  ex: Execution,
  node: FlowNode,
  via: string | null,
  scope: string | null,
  group?: string,
): void {
  const token = listen(ex, node, via, scope, node.event!);
  if (group) token.group = group;
}

/** A token that waits for a timer, a message or a signal. */
export function listen(
  ex: Execution,
  node: FlowNode,
  via: string | null,
  scope: string | null,
  trigger: EventTrigger,
): Token {
  if (trigger.type === 'timer') return arm(ex, node, via, scope, trigger.timer);
  return subscribe(ex, node, via, scope, trigger);
}

/**
 * A boundary event or event sub-process start starts listening. Its timer or correlation key
 * failing is an incident in its place; the rest of the move goes on.
 */
export function listenSafely(
  ex: Execution,
  node: FlowNode,
  scope: string | null,
  mark: (token: Token) => void,
): void {
  try {
    mark(listen(ex, node, null, scope, node.event!));
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    const token = ex.addToken({ node: node.id, via: null, scope, wait: 'incident' });
    mark(token);
    ex.markIncident(token, error.message, { phase: 'listen', outermost: false });
  }
}

export function subscribe(
  ex: Execution,
  node: FlowNode,
  via: string | null,
  scope: string | null,
  trigger: EventTrigger,
): Token {
  if (trigger.type !== 'message' && trigger.type !== 'signal') {
    throw new Error(`${node.id} cannot wait for a ${trigger.type}`);
  }
  const correlationKey =
    trigger.type === 'message' && trigger.correlationKey
      ? correlationText(evaluateFeel(trigger.correlationKey, ex.context(scope)), trigger.correlationKey)
      : null;
  const token = ex.addToken({ node: node.id, via, scope, wait: trigger.type });
  token.subscription = { name: trigger.name, correlationKey };
  ex.step.newSubscriptions.push({
    tokenId: token.id,
    elementId: node.id,
    kind: trigger.type,
    name: trigger.name,
    correlationKey,
  });
  ex.step.events.push({
    type: `${trigger.type}.subscribed`,
    payload: { elementId: node.id, name: trigger.name, ...(correlationKey !== null && { correlationKey }) },
  });
  return token;
}

/** The token waits for its time; the job that will move it on is written with this move. */
export function arm(
  ex: Execution,
  node: FlowNode,
  via: string | null,
  scope: string | null,
  timer: TimerSpec,
): Token {
  const { dueAt, cycle } = scheduleTimer(timer, ex.context(scope), ex.now);
  const token = ex.addToken({ node: node.id, via, scope, wait: 'timer' });
  if (cycle) token.cycle = { ...cycle, dueAt: dueAt.toISOString() };
  token.jobId = ex.addJob(token, node, 'timer', dueAt, null).id;
  ex.step.events.push({
    type: 'timer.scheduled',
    payload: { jobId: token.jobId, elementId: node.id, dueAt: dueAt.toISOString() },
  });
  return token;
}

/** After a non-interrupting event fires: a repeating timer waits for its next time, a one-off timer ends. */
export function rearmOrEnd(ex: Execution, token: Token, node: FlowNode): void {
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
    token.jobId = ex.addJob(token, node, 'timer', dueAt, null).id;
    ex.step.events.push({
      type: 'timer.scheduled',
      payload: { jobId: token.jobId, elementId: node.id, dueAt: dueAt.toISOString() },
    });
  } else {
    ex.dispose(token);
  }
}

/** Intermediate throw and end events: what they throw, then on (throw) or done (end). */
export function throwEvent(
  ex: Execution,
  node: FlowNode,
  via: string | null,
  scope: string | null,
  goOn: boolean,
): void {
  const trigger = node.event;
  switch (trigger?.type) {
    case 'terminate':
      terminate(ex, node, scope);
      return;
    case 'error':
      raise(ex, 'error', trigger.code!, `Error ${trigger.code} thrown by ${node.id}`, {
        node,
        scope,
        via,
      });
      return;
    case 'escalation':
      if (!raise(ex, 'escalation', trigger.code!, '', { node, scope, via }) && goOn) {
        ex.queue.push(...ex.outgoing(node, scope));
      }
      return;
    case 'message':
      throwMessage(ex, node, scope);
      break;
    case 'signal':
      ex.addJob({ id: ex.newId() }, node, 'throw', ex.now, {
        signal: trigger.name,
        thrownAt: ex.now.toISOString(),
      });
      ex.step.events.push({ type: 'signal.thrown', payload: { elementId: node.id, name: trigger.name } });
      break;
    case 'link': {
      const target = Object.values(ex.graph.nodes).find(
        (n) =>
          n.kind === 'intermediateCatchEvent' &&
          n.parent === node.parent &&
          n.event?.type === 'link' &&
          n.event.name === trigger.name,
      )!;
      ex.queue.push({ node: target.id, via: null, scope });
      return;
    }
  }
  if (goOn) ex.queue.push(...ex.outgoing(node, scope));
}

/**
 * A message thrown to whoever waits for it. It carries only what the sender maps into it: a send
 * task's input mappings; a throw event carries no variables. Nothing of the sender's state leaks
 * into (or overwrites) the receiver's unless the model says so.
 */
export function throwMessage(ex: Execution, node: FlowNode, scope: string | null): void {
  const trigger = node.event;
  if (trigger?.type !== 'message') return;
  const correlationKey = trigger.correlationKey
    ? correlationText(evaluateFeel(trigger.correlationKey, ex.context(scope)), trigger.correlationKey)
    : null;
  const local = scope === null ? undefined : ex.scopes.get(scope);
  const variables = local && local.node === node.id && local.kind === 'local' ? { ...local.variables } : {};
  ex.addJob({ id: ex.newId() }, node, 'throw', ex.now, {
    message: trigger.name,
    correlationKey,
    variables,
  });
  ex.step.events.push({
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
export function raise(
  ex: Execution,
  kind: 'error' | 'escalation',
  code: string,
  message: string,
  from: { node: FlowNode; scope: string | null; token?: Token; via?: string | null },
): boolean {
  ex.step.events.push({ type: `${kind}.thrown`, payload: { elementId: from.node.id, code } });
  let token = from.token;
  let node = from.node;
  let scope = from.scope;
  for (;;) {
    if (token && isOutermost(ex, token)) {
      const boundary = catcher(
        node.boundaries.map((id) => ex.node(id)),
        kind,
        code,
      );
      if (boundary) {
        ex.step.events.push({ type: `${kind}.caught`, payload: { elementId: boundary.id, code } });
        if (boundary.interrupting) ex.dispose(token);
        ex.queue.push(...ex.outgoing(boundary, token.scope ?? null));
        return boundary.interrupting;
      }
    }
    const holder = scope === null ? null : ex.scopes.get(scope)!;
    const subs =
      holder === null
        ? ex.graph.eventSubProcesses
        : holder.kind === 'subProcess' || holder.kind === 'eventSubProcess'
          ? ex.node(holder.node).subProcess!.eventSubProcesses
          : [];
    const start = catcher(
      subs.map((id) => ex.node(ex.node(id).subProcess!.start!)),
      kind,
      code,
    );
    if (start) {
      ex.step.events.push({ type: `${kind}.caught`, payload: { elementId: start.id, code } });
      if (start.interrupting) {
        for (const t of ex.tokens.filter((t) => (t.scope ?? null) === scope)) ex.dispose(t);
      }
      startEventSubProcess(ex, start, scope, {});
      return start.interrupting;
    }
    if (holder === null) break;
    token = ex.tokens.find((t) => t.childScope === holder.id)!;
    node = ex.node(token.node);
    scope = holder.parent;
  }
  if (kind === 'escalation') {
    // A called instance hands it to its caller's call activity; the called instance goes on.
    if (ex.called) ex.step.uncaughtEscalations.push(code);
    return false;
  }
  if (ex.called) {
    ex.step.uncaughtError = { code, message };
    for (const t of [...ex.tokens]) ex.dispose(t);
    ex.scopes.clear();
    ex.ended = 'terminated';
    ex.step.events.push({ type: 'process.failed', payload: { code, message } });
    return true;
  }
  const text = `Error "${code}" was thrown and nothing catches it${message ? `: ${message}` : ''}`;
  if (from.token) {
    ex.markIncident(from.token, text, { phase: 'job', outermost: false, wait: from.token.wait as 'job' });
  } else {
    ex.incident(from.node, { node: from.node.id, via: from.via ?? null, scope: from.scope }, text, 'enter');
  }
  return true;
}

/** Whether the token is the one an activity's boundary events wait on (not an inner scope's). */
export function isOutermost(ex: Execution, token: Token): boolean {
  const sc = token.scope === undefined ? undefined : ex.scopes.get(token.scope);
  return !(sc && sc.node === token.node && sc.kind !== 'subProcess' && sc.kind !== 'eventSubProcess');
}

/** A terminate end event ends every token of its scope; the scope then completes (the process: terminated). */
export function terminate(ex: Execution, node: FlowNode, scope: string | null): void {
  if (scope === null) {
    for (const t of [...ex.tokens]) ex.dispose(t);
    ex.scopes.clear();
    ex.ended = 'terminated';
    ex.step.events.push({ type: 'process.terminated', payload: { elementId: node.id } });
    return;
  }
  for (const t of ex.tokens.filter((t) => t.scope === scope)) ex.dispose(t);
  ex.step.events.push({ type: 'scope.terminated', payload: { elementId: node.id } });
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
