import type { EventDraft, FieldChange } from '../../audit/types.ts';
import { evaluateFeel, ExpressionError } from '../../feel/feel.ts';
import type { FlowNode } from '../model/graph.ts';
import type { Execution } from './execution.ts';
import { activityDone } from './activities.ts';
import { openChildScope, closeChildScope } from './subProcesses.ts';
import type { Scope } from './types.ts';

// Multi-instance activities: the body, its iterations (sequential or parallel), and their outputs.

export function startMultiInstance(
  ex: Execution,
  node: FlowNode,
  via: string | null,
  scope: string | null,
): void {
  const spec = node.multiInstance!;
  const context = ex.context(scope);
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
  const body = openChildScope(ex, node, scope, 'multiInstance', via, true, {
    nrOfInstances: total,
    nrOfCompletedInstances: 0,
    nrOfActiveInstances: 0,
  });
  body.mi = { total, items, next: 0, completed: 0, outputs: new Array<unknown>(total).fill(null) };
  ex.step.events.push({
    type: 'multiInstance.started',
    payload: { elementId: node.id, instances: total, sequential: spec.sequential },
  });
  if (total === 0) {
    completeBody(ex, node, body);
    return;
  }
  const first = spec.sequential ? 1 : total;
  for (let i = 0; i < first; i++) startIteration(ex, node, body, via);
}

export function startIteration(ex: Execution, node: FlowNode, body: Scope, via: string | null): void {
  const mi = body.mi!;
  const index = mi.next++;
  const spec = node.multiInstance!;
  const variables: Record<string, unknown> = { loopCounter: index + 1 };
  if (spec.elementVariable)
    variables[spec.elementVariable] = mi.items ? (mi.items[index] ?? null) : index + 1;
  const iteration = openChildScope(ex, node, body.id, 'iteration', via, false, variables);
  iteration.index = index;
  body.variables.nrOfActiveInstances = (body.variables.nrOfActiveInstances as number) + 1;
  ex.queue.push({ node: node.id, via, scope: iteration.id, phase: 'activity', outermost: false });
}

export function iterationDone(
  ex: Execution,
  node: FlowNode,
  iteration: Scope,
  result: Record<string, unknown>,
  end: () => void,
): FieldChange[] {
  const spec = node.multiInstance!;
  const body = ex.scopes.get(iteration.parent!)!;
  const mi = body.mi!;
  const context = { ...ex.context(iteration.id), ...result };
  const output = spec.outputElement ? evaluateFeel(spec.outputElement, context) : null;
  const counters = {
    nrOfInstances: mi.total,
    nrOfCompletedInstances: mi.completed + 1,
    nrOfActiveInstances: (body.variables.nrOfActiveInstances as number) - 1,
  };
  const done =
    counters.nrOfCompletedInstances === mi.total ||
    (spec.completionCondition !== null &&
      evaluateFeel(spec.completionCondition, { ...ex.context(body.id), ...result, ...counters }) === true);
  end();
  // Results stay in the iteration when the body collects outputs; otherwise they go up as usual.
  // From the inner instance: what it holds (its item, its counter) stays there and ends with it.
  const changes = ex.assign(iteration.id, result);
  mi.outputs[iteration.index!] = output;
  mi.completed += 1;
  Object.assign(body.variables, counters);
  closeChildScope(ex, iteration);
  if (done) completeBody(ex, node, body);
  else if (spec.sequential && mi.next < mi.total) startIteration(ex, node, body, null);
  return changes;
}

export function completeBody(ex: Execution, node: FlowNode, body: Scope): void {
  for (const t of ex.tokens.filter((t) => t.scope === body.id)) ex.dispose(t);
  const spec = node.multiInstance!;
  const { completed, total, outputs } = body.mi!;
  closeChildScope(ex, body);
  const event: EventDraft = {
    type: 'multiInstance.completed',
    payload: { elementId: node.id, completed, instances: total },
  };
  ex.step.events.push(event);
  const changes = activityDone(
    ex,
    node,
    body.parent,
    spec.outputCollection ? { [spec.outputCollection]: outputs } : {},
  );
  if (changes.length > 0) event.payload!.changes = changes;
}
