import { evaluateFeel, ExpressionError } from '../../feel/feel.ts';
import type { FlowNode, ProcessGraph } from '../model/graph.ts';
import type { Execution } from './execution.ts';
import { boundaries } from './activities.ts';
import { catchEvent, subscribe } from './events.ts';
import type { Token } from './types.ts';

// Gateways: exclusive, parallel, inclusive (split and join), event-based.

/** The first outgoing flow whose condition is true, else the default; no match is an incident. */
export function exclusive(ex: Execution, node: FlowNode, via: string | null, scope: string | null): void {
  const context = ex.context(scope);
  const chosen =
    node.outgoing.find(
      (id) => id !== node.defaultFlow && holds(ex, ex.graph.flows[id]!.condition, context),
    ) ?? node.defaultFlow;
  if (!chosen) {
    ex.incident(
      node,
      { node: node.id, via, scope },
      'No outgoing flow matches and there is no default flow',
      'enter',
    );
    return;
  }
  if (node.outgoing.length > 1) {
    ex.step.events.push({ type: 'gateway.decided', payload: { elementId: node.id, flowId: chosen } });
  }
  ex.queue.push({ node: ex.graph.flows[chosen]!.target, via: chosen, scope });
}

export function holds(ex: Execution, condition: string | null, context: Record<string, unknown>): boolean {
  return condition === null || evaluateFeel(condition, context) === true;
}

/** A join waits for a token on every incoming flow, then one goes on along every outgoing flow. */
export function parallel(ex: Execution, node: FlowNode, via: string | null, scope: string | null): void {
  if (node.incoming.length > 1) {
    ex.wait(node, via, scope, 'join');
    const waiting = node.incoming.map((flow) =>
      ex.tokens.find(
        (t) => t.node === node.id && t.wait === 'join' && t.via === flow && (t.scope ?? null) === scope,
      ),
    );
    if (waiting.some((t) => t === undefined)) return;
    for (const t of waiting) ex.take(t!.id);
  }
  ex.queue.push(...ex.outgoing(node, scope));
}

/** Every outgoing flow whose condition holds; the default only when none does; none at all is an incident. */
export function inclusiveSplit(ex: Execution, node: FlowNode, scope: string | null): void {
  const context = ex.context(scope);
  const taken = node.outgoing.filter(
    (id) => id !== node.defaultFlow && holds(ex, ex.graph.flows[id]!.condition, context),
  );
  if (taken.length === 0 && node.defaultFlow) taken.push(node.defaultFlow);
  if (taken.length === 0) {
    ex.incident(
      node,
      { node: node.id, via: null, scope },
      'No outgoing flow matches and there is no default flow',
      'enter',
    );
    return;
  }
  if (node.outgoing.length > 1) {
    ex.step.events.push({ type: 'gateway.decided', payload: { elementId: node.id, flowIds: taken } });
  }
  ex.queue.push(...taken.map((id) => ({ node: ex.graph.flows[id]!.target, via: id, scope })));
}

/**
 * An inclusive join fires once no token that could still reach it is left in its scope: it
 * waits for every token that can arrive, however the flows before it are drawn.
 */
export function fireInclusiveJoins(ex: Execution): boolean {
  for (const waiting of ex.tokens) {
    const node = ex.graph.nodes[waiting.node]!;
    if (waiting.wait !== 'join' || node.kind !== 'inclusiveGateway') continue;
    const scope = waiting.scope;
    const upstream = upstreamOf(ex.graph, node.id);
    if (ex.tokens.some((t) => t.scope === scope && t.node !== node.id && upstream.has(t.node))) continue;
    const arrived = new Map<string | null, Token>();
    for (const t of ex.tokens) {
      if (t.node === node.id && t.wait === 'join' && t.scope === scope && !arrived.has(t.via))
        arrived.set(t.via, t);
    }
    for (const t of arrived.values()) ex.take(t.id);
    try {
      inclusiveSplit(ex, node, scope ?? null);
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      ex.incident(node, { node: node.id, via: null, scope: scope ?? null }, error.message, 'enter');
    }
    return true;
  }
  return false;
}

/** The catch events after an event-based gateway all wait; the first that fires takes the token. */
export function eventBased(ex: Execution, node: FlowNode, scope: string | null): void {
  const group = ex.newId();
  for (const flow of node.outgoing) {
    const target = ex.node(ex.graph.flows[flow]!.target);
    if (target.kind === 'receiveTask') {
      const token = subscribe(ex, target, flow, scope, target.event!);
      token.group = group;
      boundaries(ex, token, true);
    } else {
      catchEvent(ex, target, flow, scope, group);
    }
  }
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
