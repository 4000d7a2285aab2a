import type { ModdleElement } from 'bpmn-moddle';
import type { ProcessCompiler, Scope, ScopeSummary, Where } from './compile.ts';
import type { FlowNode } from './graph.ts';
import { eventDefinitions, idOf, reference } from './parse.ts';
import { TRIGGERS } from './rules.ts';

// What the compiler checks of a model beyond its single elements: starts, flows, links, reachability.

/** `attest:separateFrom` names user tasks of the same process, or the initiator. */
export function checkSeparations(c: ProcessCompiler, byId: Map<string, FlowNode>): void {
  for (const node of c.nodes) {
    for (const other of node.userTask?.separateFrom ?? []) {
      if (other === 'initiator' || byId.get(other)?.kind === 'userTask') continue;
      const why =
        other === node.id ? 'cannot name the task itself' : `names "${other}", which is no user task here`;
      c.report(c.elements.get(node.id)!, 'reference', `attest:separateFrom ${why}`);
    }
  }
}

/** How many start events of which kind the scope has, by where it is. */
export function checkStarts(
  c: ProcessCompiler,
  container: ModdleElement,
  scope: Scope,
  where: Where,
): ScopeSummary {
  const starts = scope.members.filter((e) => e.$type === 'bpmn:StartEvent' && typeof e.id === 'string');
  const none = starts.filter((s) => eventDefinitions(s).length === 0);
  const triggered = starts.filter((s) => eventDefinitions(s).length > 0);
  const summary: ScopeSummary = { start: null, triggeredStarts: [], eventSubProcesses: [] };
  if (where.kind === 'eventSubProcess') {
    if (where.executed && starts.length === 0) {
      c.report(
        container,
        'structure',
        'an event sub-process needs one start event with a trigger: timer, message, signal, error or escalation',
      );
    }
    for (const extra of starts.slice(1)) {
      c.report(extra, 'structure', 'is a second start event; an event sub-process has exactly one');
    }
    summary.start = idOf(starts[0]);
    return summary;
  }
  if (where.kind === 'process' && starts.length === 0) {
    c.report(container, 'structure', 'has no start event, so nothing can start it');
  } else if (where.kind === 'embedded' && where.executed && none.length === 0) {
    c.report(container, 'structure', 'an embedded sub-process needs a none start event (without a trigger)');
  }
  for (const extra of none.slice(1)) {
    c.report(extra, 'structure', 'is a second none start event; the engine would not know where to start');
  }
  summary.start = idOf(none[0]);
  if (where.kind === 'process') summary.triggeredStarts = triggered.map((s) => idOf(s));
  return summary;
}

/** Flows where an element cannot have them. */
export function checkFlowsAt(
  c: ProcessCompiler,
  element: ModdleElement,
  incoming: ModdleElement[],
  outgoing: ModdleElement[],
  multiInstance: boolean,
): void {
  const link = eventDefinitions(element).some((d) => d.$type === 'bpmn:LinkEventDefinition');
  if (element.$type === 'bpmn:StartEvent' && incoming.length > 0) {
    c.report(element, 'structure', 'a start event cannot have incoming flows');
  }
  if (element.$type === 'bpmn:BoundaryEvent' && incoming.length > 0) {
    c.report(element, 'structure', 'a boundary event cannot have incoming flows');
  }
  if (element.$type === 'bpmn:EndEvent' && outgoing.length > 0) {
    c.report(element, 'structure', 'an end event cannot have outgoing flows');
  }
  if (link && element.$type === 'bpmn:IntermediateThrowEvent' && outgoing.length > 0) {
    c.report(
      element,
      'structure',
      'a link throw event cannot have outgoing flows; tokens go on at its catch event',
    );
  }
  if (link && element.$type === 'bpmn:IntermediateCatchEvent' && incoming.length > 0) {
    c.report(
      element,
      'structure',
      'a link catch event cannot have incoming flows; tokens come from its throw event',
    );
  }
  if (element.$instanceOf('bpmn:SubProcess') && element.triggeredByEvent === true) {
    if (incoming.length > 0 || outgoing.length > 0) {
      c.report(element, 'structure', 'an event sub-process cannot have incoming or outgoing flows');
    }
    if (multiInstance) c.report(element, 'structure', 'an event sub-process cannot be multi-instance');
  }
}

/** Which outgoing flows may have conditions depends on what they leave. */
export function checkOutgoing(c: ProcessCompiler, element: ModdleElement, outgoing: ModdleElement[]): void {
  const conditional = outgoing.filter((f) => f.conditionExpression);
  const type = element.$type;
  if (type === 'bpmn:ExclusiveGateway' || type === 'bpmn:InclusiveGateway') {
    const what = type === 'bpmn:ExclusiveGateway' ? 'exclusive' : 'inclusive';
    const fallback = reference(element, 'default');
    if (fallback && !outgoing.includes(fallback)) {
      c.report(element, 'reference', `its default flow ${idOf(fallback)} does not leave this gateway`);
    }
    for (const flow of outgoing) {
      if (flow === fallback && flow.conditionExpression) {
        c.report(flow, 'structure', `is the default flow of ${idOf(element)} and must not have a condition`);
      } else if (flow !== fallback && outgoing.length > 1 && !flow.conditionExpression) {
        c.report(
          flow,
          'structure',
          `leaves ${what} gateway ${idOf(element)} without a condition; give it one or make it the default flow`,
        );
      }
    }
  } else if (type === 'bpmn:ParallelGateway') {
    for (const flow of conditional) {
      c.report(
        flow,
        'structure',
        `leaves parallel gateway ${idOf(element)}, which takes every outgoing flow; remove its condition`,
      );
    }
  } else if (type === 'bpmn:EventBasedGateway') {
    checkEventGateway(c, element, outgoing, conditional);
  } else if (!element.$instanceOf('bpmn:Gateway')) {
    const from = element.$instanceOf('bpmn:Activity') ? 'activities' : 'events';
    for (const flow of conditional) {
      c.report(
        flow,
        'unsupported',
        `conditional flows from ${from} are not supported; use an exclusive gateway`,
      );
    }
  }
  const gateway = ['bpmn:ExclusiveGateway', 'bpmn:ParallelGateway', 'bpmn:InclusiveGateway'].includes(type);
  if (gateway && outgoing.length === 0) {
    c.report(element, 'structure', 'a gateway needs at least one outgoing flow');
  }
}

/** An event-based gateway waits for the first of the events its flows lead to. */
export function checkEventGateway(
  c: ProcessCompiler,
  element: ModdleElement,
  outgoing: ModdleElement[],
  conditional: ModdleElement[],
): void {
  if (element.instantiate === true) {
    c.report(
      element,
      'unsupported',
      'event-based gateways that start the process (instantiate="true") are not supported; use a message or signal start event',
    );
  }
  for (const flow of conditional) {
    c.report(
      flow,
      'structure',
      `leaves event-based gateway ${idOf(element)}, which waits for an event instead; remove its condition`,
    );
  }
  if (outgoing.length < 2) {
    c.report(element, 'structure', 'an event-based gateway needs at least two outgoing flows');
  }
  for (const flow of outgoing) {
    const target = reference(flow, 'targetRef');
    if (!target) continue;
    const [definition, ...more] = eventDefinitions(target);
    const waits =
      target.$type === 'bpmn:ReceiveTask' ||
      (target.$type === 'bpmn:IntermediateCatchEvent' &&
        more.length === 0 &&
        ['timer', 'message', 'signal'].includes(TRIGGERS[definition?.$type ?? ''] ?? ''));
    if (!waits) {
      c.report(
        element,
        'structure',
        `its flow ${idOf(flow)} leads to ${target.$type} ${idOf(target)}; an event-based gateway can only lead to timer, message or signal catch events and receive tasks`,
      );
    }
  }
}

/** A link throw event goes on at the one catch event of its name beside it. */
export function checkLinks(c: ProcessCompiler, scope: Scope, nodes: FlowNode[]): void {
  const catches = new Map<string, number>();
  for (const node of nodes) {
    if (node.kind === 'intermediateCatchEvent' && node.event?.type === 'link') {
      catches.set(node.event.name, (catches.get(node.event.name) ?? 0) + 1);
    }
  }
  for (const node of nodes) {
    if (node.kind !== 'intermediateThrowEvent' || node.event?.type !== 'link') continue;
    const count = catches.get(node.event.name) ?? 0;
    if (count !== 1) {
      const element = scope.members.find((e) => e.id === node.id)!;
      const found = count === 0 ? 'none' : String(count);
      c.report(
        element,
        'structure',
        `a link throw event needs exactly one link catch event named "${node.event.name}" beside it; there are ${found}`,
      );
    }
  }
}

/**
 * Every flow node must be reachable by some token. Tokens enter other than by a sequence flow at
 * start events, event sub-processes, compensation handlers, link catch events and boundary
 * events of a reached activity; those the engine does not run are refused on their own.
 */
export function checkReachable(c: ProcessCompiler, scope: Scope): void {
  const nodes = scope.members.filter((e) => typeof e.id === 'string' && e.$instanceOf('bpmn:FlowNode'));
  if (!nodes.some((n) => n.$type === 'bpmn:StartEvent')) return;
  const attached = new Map<ModdleElement, ModdleElement[]>();
  for (const boundary of nodes.filter((n) => n.$type === 'bpmn:BoundaryEvent')) {
    const host = reference(boundary, 'attachedToRef');
    if (host) attached.set(host, [...(attached.get(host) ?? []), boundary]);
  }
  const entered = (n: ModdleElement) =>
    n.$type === 'bpmn:StartEvent' ||
    n.triggeredByEvent === true ||
    n.isForCompensation === true ||
    (n.$type === 'bpmn:IntermediateCatchEvent' &&
      eventDefinitions(n).some((d) => d.$type === 'bpmn:LinkEventDefinition'));
  const queue = nodes.filter(entered);
  const reached = new Set(queue);
  for (let node = queue.pop(); node; node = queue.pop()) {
    const next = (scope.outgoing.get(node) ?? []).flatMap((f) => reference(f, 'targetRef') ?? []);
    for (const n of [...next, ...(attached.get(node) ?? [])]) {
      if (!reached.has(n)) {
        reached.add(n);
        queue.push(n);
      }
    }
  }
  for (const node of nodes) {
    if (!reached.has(node)) c.report(node, 'structure', 'cannot be reached from a start event');
  }
}
