import type { FieldChange } from '../../audit/types.ts';
import { dueDateFrom, evaluateFeel, ExpressionError } from '../../feel/feel.ts';
import type { FlowNode } from '../model/graph.ts';
import type { Execution } from './execution.ts';
import { iterationDone } from './multiInstance.ts';
import { openChildScope, closeChildScope, openScope } from './subProcesses.ts';
import { listenSafely, subscribe, throwMessage } from './events.ts';
import type { Token, NewTask } from './types.ts';

// Activities: tasks of every kind, call activities, sub-processes entered, and how an activity ends.

/** An activity instance, inside a local scope when it maps variables in or out. */
export function startActivity(
  ex: Execution,
  node: FlowNode,
  via: string | null,
  scope: string | null,
  outermost: boolean,
): void {
  if (node.io && (node.io.inputs.length > 0 || node.io.outputs.length > 0)) {
    const context = ex.context(scope);
    const inputs: Record<string, unknown> = {};
    for (const { source, target } of node.io.inputs) {
      inputs[target] = evaluateFeel(source, { ...context, ...inputs });
    }
    const local = openChildScope(ex, node, scope, 'local', via, outermost, inputs);
    execute(ex, node, via, local.id, false);
    return;
  }
  execute(ex, node, via, scope, outermost);
}

/** What each kind of activity does once it starts; `outermost`: its boundary events wait on this token. */
export function execute(
  ex: Execution,
  node: FlowNode,
  via: string | null,
  scope: string | null,
  outermost: boolean,
): void {
  try {
    executeKind(ex, node, via, scope, outermost);
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    // Everything an activity evaluates is evaluated before it changes anything: the incident
    // takes its place in the scope made for it, and a retry runs it again there.
    ex.incident(node, { node: node.id, via, scope }, error.message, 'execute', outermost);
  }
}

export function executeKind(
  ex: Execution,
  node: FlowNode,
  via: string | null,
  scope: string | null,
  outermost: boolean,
): void {
  switch (node.kind) {
    case 'task':
    case 'manualTask':
      activityDone(ex, node, scope, {});
      return;
    case 'scriptTask':
    case 'businessRuleTask':
      if (node.script) {
        const { expression, resultVariable } = node.script;
        const value = evaluateFeel(expression, ex.context(scope));
        const at = ex.step.events.length;
        const changes = activityDone(ex, node, scope, resultVariable ? { [resultVariable]: value } : {});
        ex.step.events.splice(at, 0, {
          type: 'script.evaluated',
          payload: { elementId: node.id, changes },
        });
        return;
      }
      break;
    case 'sendTask':
      if (!node.service) {
        throwMessage(ex, node, scope);
        activityDone(ex, node, scope, {});
        return;
      }
      break;
    case 'userTask':
      userTask(ex, node, via, scope, outermost);
      return;
    case 'receiveTask':
      boundaries(ex, subscribe(ex, node, via, scope, node.event!), outermost);
      return;
    case 'subProcess': {
      const sub = openChildScope(ex, node, scope, 'subProcess', via, outermost, {});
      openScope(ex, sub.id, node.subProcess!.eventSubProcesses);
      ex.step.events.push({ type: 'subprocess.started', payload: { elementId: node.id } });
      ex.queue.push(...ex.outgoing(ex.node(node.subProcess!.start!), sub.id));
      return;
    }
    case 'serviceTask':
    case 'callActivity':
      break;
    default:
      throw new Error(`${node.kind} ${node.id} is not an activity`);
  }
  // Work done outside the move: a handler (service, send, business-rule task) or a called process.
  const token = ex.addToken({
    node: node.id,
    via,
    scope,
    wait: node.kind === 'callActivity' ? 'call' : 'job',
  });
  scheduleWork(ex, node, token);
  boundaries(ex, token, outermost);
}

export function scheduleWork(ex: Execution, node: FlowNode, token: Token): void {
  const payload: Record<string, unknown> =
    token.wait === 'call'
      ? // The called process gets the variables the caller sees when the job runs (a retry included).
        { processKey: node.calledElement }
      : { type: node.service!.type, retries: node.service!.retries };
  const job = ex.addJob(token, node, token.wait === 'call' ? 'call' : 'service', ex.now, payload);
  token.jobId = job.id;
}

export function userTask(
  ex: Execution,
  node: FlowNode,
  via: string | null,
  scope: string | null,
  outermost: boolean,
): void {
  const spec = node.userTask!;
  const dueAt = spec.dueDate ? dueDateFrom(spec.dueDate, ex.context(scope), ex.now) : null;
  const assignee = spec.assignee ? assigneeFrom(spec.assignee, ex.context(scope)) : null;
  const token = ex.addToken({ node: node.id, via, scope, wait: 'task' });
  const task: NewTask = {
    id: ex.newId(),
    tokenId: token.id,
    elementId: node.id,
    name: node.name,
    candidateRoles: spec.candidateRoles,
    formKey: spec.formKey,
    dueAt,
    assignee,
  };
  token.taskId = task.id;
  ex.step.newTasks.push(task);
  ex.step.events.push({
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
  boundaries(ex, token, outermost);
}

/** The boundary events of an activity start waiting on its outermost token. */
export function boundaries(ex: Execution, host: Token, outermost: boolean): void {
  if (!outermost) return;
  const node = ex.node(host.node);
  for (const id of node.boundaries) {
    const boundary = ex.node(id);
    const trigger = boundary.event;
    if (trigger?.type === 'timer' || trigger?.type === 'message' || trigger?.type === 'signal') {
      listenSafely(ex, boundary, host.scope ?? null, (t) => (t.hostTokenId = host.id));
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
export function activityDone(
  ex: Execution,
  node: FlowNode,
  scope: string | null,
  result: Record<string, unknown>,
  end: () => void = () => {},
): FieldChange[] {
  const sc = scope === null ? undefined : ex.scopes.get(scope);
  if (sc && sc.node === node.id && sc.kind === 'local') {
    const outputs = node.io!.outputs;
    let passed = result;
    if (outputs.length > 0) {
      const context = { ...ex.context(sc.id), ...result };
      passed = Object.fromEntries(
        outputs.map(({ source, target }) => [target, evaluateFeel(source, context)]),
      );
    }
    end();
    closeChildScope(ex, sc);
    return activityDone(ex, node, sc.parent, passed);
  }
  if (sc && sc.node === node.id && sc.kind === 'iteration') {
    return iterationDone(ex, node, sc, result, end);
  }
  end();
  const changes = ex.assign(scope, result);
  ex.queue.push(...ex.outgoing(node, scope));
  return changes;
}

/** The user name `attest:assignee` gives: text, or the task cannot be created. */
function assigneeFrom(expression: string, variables: Record<string, unknown>): string {
  const value = evaluateFeel(expression, variables);
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ExpressionError(`The assignee "${expression}" gave ${JSON.stringify(value)}, not a user name`);
  }
  return value.trim();
}
