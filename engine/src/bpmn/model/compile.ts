import type { ModdleElement } from 'bpmn-moddle';
import descriptor from '../attest-moddle.json' with { type: 'json' };
import { feelText } from '../../feel/feelCheck.ts';
import {
  checkFlowsAt,
  checkLinks,
  checkOutgoing,
  checkReachable,
  checkSeparations,
  checkStarts,
} from './checks.ts';
import { checkFeel, expression, multiInstanceOf, script, timerOf, variable } from './expressions.ts';
import type {
  EventTrigger,
  FlowNode,
  Mapping,
  MultiInstanceSpec,
  NodeKind,
  ProcessGraph,
  ReviewOf,
  SequenceFlow,
  UserTaskSpec,
} from './graph.ts';
import { REVIEW_OF } from './graph.ts';
import { type KeyedProblem, ModelError, type ProblemKeyword } from './modelError.ts';
import {
  commaList,
  deepFreeze,
  definitionsProblem,
  eventDefinitions,
  HARMLESS_WARNING,
  idOf,
  list,
  problem,
  read,
  reference,
  text,
  trimmed,
  unresolvedReferences,
  warningProblem,
} from './parse.ts';
import {
  ACTIVITIES,
  CONDITION,
  DATA_ELEMENTS,
  DEFAULT_RETRIES,
  EXECUTED,
  NEEDS_TRIGGER,
  SIGNATURE_MEANINGS,
  START_TRIGGERS,
  TRIGGERS,
} from './rules.ts';

export { ModelError } from './modelError.ts';
export { parseBpmn } from './parse.ts';

/**
 * The `attest:` moddle extension (GMP attributes of tasks, handlers, correlation keys,
 * multi-instance items and variable mappings); the designer loads the same descriptor.
 */
export const attestModdleDescriptor = descriptor;

/**
 * Compiles every executable process of a BPMN file into an immutable graph. The whole file is
 * checked before anything is refused, so one `ModelError` names every problem at once.
 */
export async function compileBpmn(xml: string): Promise<{ processes: ProcessGraph[] }> {
  const { definitions, warnings, elementsById } = await read(xml);
  const problems = warnings
    .filter((w) => !HARMLESS_WARNING.test(w.message))
    .map((w) => warningProblem(w, elementsById));
  const executable = list(definitions, 'rootElements').filter(
    (e) => e.$type === 'bpmn:Process' && e.isExecutable === true,
  );
  if (executable.length === 0) {
    problems.push(
      definitionsProblem('structure', 'the file has no executable process (isExecutable="true")'),
    );
  }
  const context: Context = {
    report: (problem) => problems.push(problem),
    // Only a language the file declares counts: bpmn-moddle would otherwise answer XPath, the
    // specification's default, which no Attest model means.
    expressionLanguage: Object.hasOwn(definitions, 'expressionLanguage')
      ? text(definitions, 'expressionLanguage')
      : null,
    unresolved: unresolvedReferences(warnings),
    checked: new Set(),
  };
  const processes = executable.map((process) => new ProcessCompiler(process, context).compile());
  if (problems.length > 0) throw new ModelError(problems);
  return deepFreeze({ processes });
}

export interface Context {
  report(problem: KeyedProblem): void;
  /** The expression language the file declares for all its expressions, if it declares one. */
  expressionLanguage: string | null;
  /** Elements with references the parser could not resolve, reported already, by property. */
  unresolved: ReadonlyMap<ModdleElement, readonly string[]>;
  /** Messages and signals of the file checked already: several events may refer to one. */
  checked: Set<ModdleElement>;
}

/** The flow elements of one process or sub-process, with the sequence flows at each node. */
export interface Scope {
  members: ModdleElement[];
  incoming: Map<ModdleElement, ModdleElement[]>;
  outgoing: Map<ModdleElement, ModdleElement[]>;
}

/**
 * Where a scope's elements are: the process itself, an embedded sub-process (entered at its none
 * start event) or an event sub-process (entered when its one start event is triggered).
 */
export interface Where {
  kind: 'process' | 'embedded' | 'eventSubProcess';
  /** The id of the sub-process, null for the process. */
  parent: string | null;
  /** False inside a sub-process the engine refuses (a transaction, an ad-hoc sub-process). */
  executed: boolean;
}

/** What the scope's container needs to know of it. */
export interface ScopeSummary {
  /** The none start event (embedded, process) or the triggered one (event sub-process). */
  start: string | null;
  triggeredStarts: string[];
  eventSubProcesses: string[];
}

export function scopeOf(container: ModdleElement): Scope {
  const members = list(container, 'flowElements');
  const incoming = new Map<ModdleElement, ModdleElement[]>();
  const outgoing = new Map<ModdleElement, ModdleElement[]>();
  for (const flow of members.filter((e) => e.$type === 'bpmn:SequenceFlow')) {
    for (const [end, map] of [
      ['sourceRef', outgoing],
      ['targetRef', incoming],
    ] as const) {
      const node = reference(flow, end);
      if (node) map.set(node, [...(map.get(node) ?? []), flow]);
    }
  }
  return { members, incoming, outgoing };
}

/**
 * Compiles one executable process: its scopes, nodes and flows, checked as it goes (see checks.ts
 * and expressions.ts); every problem is reported to the context rather than thrown.
 */
export class ProcessCompiler {
  readonly nodes: FlowNode[] = [];
  readonly elements = new Map<string, ModdleElement>();
  readonly flows: SequenceFlow[] = [];

  constructor(
    readonly process: ModdleElement,
    readonly context: Context,
  ) {}

  compile(): ProcessGraph {
    if (typeof this.process.id !== 'string') {
      this.report(this.process, 'xml', 'an executable process needs an id');
    }
    const summary = this.compileScope(this.process, { kind: 'process', parent: null, executed: true });
    // Each activity learns which boundary events wait on it.
    const byId = new Map(this.nodes.map((n) => [n.id, n]));
    for (const boundary of this.nodes.filter((n) => n.kind === 'boundaryEvent')) {
      byId.get(boundary.attachedTo ?? '')?.boundaries.push(boundary.id);
    }
    checkSeparations(this, byId);
    return {
      key: idOf(this.process),
      name: text(this.process, 'name'),
      nodes: Object.fromEntries(this.nodes.map((n) => [n.id, n])),
      flows: Object.fromEntries(this.flows.map((f) => [f.id, f])),
      startNodes: summary.start === null ? [] : [summary.start],
      triggeredStarts: summary.triggeredStarts,
      eventSubProcesses: summary.eventSubProcesses,
    };
  }

  report(element: ModdleElement, keyword: ProblemKeyword, description: string): void {
    this.context.report(problem(element, keyword, description));
  }

  /** Whether the reference was to an id that does not exist: reported as such already. */
  unresolved(element: ModdleElement, property: string): boolean {
    return this.context.unresolved.get(element)?.includes(property) ?? false;
  }

  /**
   * Checks every element of a process or sub-process and compiles those the engine executes,
   * sub-processes with what they contain, into the one flat list of nodes and of flows.
   */
  compileScope(container: ModdleElement, where: Where): ScopeSummary {
    const scope = scopeOf(container);
    const here: FlowNode[] = [];
    for (const element of scope.members) {
      if (typeof element.id !== 'string' || element.id === '') {
        this.report(container, 'xml', `contains a ${element.$type} without an id`);
      } else if (element.$type === 'bpmn:SequenceFlow') {
        const flow = this.flow(element, container);
        if (flow) this.flows.push(flow);
      } else if (element.$instanceOf('bpmn:FlowNode')) {
        const node = this.node(element, scope, where);
        if (node) {
          this.nodes.push(node);
          this.elements.set(node.id, element);
          here.push(node);
        }
        // A sub-process the engine refuses as a whole still has what is wrong inside it reported.
        if (element.$instanceOf('bpmn:SubProcess')) {
          const inner = this.compileScope(element, {
            kind: element.triggeredByEvent === true ? 'eventSubProcess' : 'embedded',
            parent: idOf(element),
            executed: where.executed && node !== null,
          });
          if (node) {
            node.subProcess = {
              start: inner.start,
              triggeredByEvent: element.triggeredByEvent === true,
              eventSubProcesses: inner.eventSubProcesses,
            };
          }
        }
      } else if (!DATA_ELEMENTS.has(element.$type)) {
        this.report(element, 'unsupported', 'not supported by the engine');
      }
    }
    const summary = checkStarts(this, container, scope, where);
    if (where.executed) {
      checkLinks(this, scope, here);
      checkReachable(this, scope);
    }
    summary.eventSubProcesses = scope.members
      .filter((e) => e.$type === 'bpmn:SubProcess' && e.triggeredByEvent === true && typeof e.id === 'string')
      .map((e) => idOf(e));
    return summary;
  }

  node(element: ModdleElement, scope: Scope, where: Where): FlowNode | null {
    const incoming = scope.incoming.get(element) ?? [];
    const outgoing = scope.outgoing.get(element) ?? [];
    const executed = EXECUTED[element.$type];
    if (!executed) this.report(element, 'unsupported', 'not supported by the engine');
    const multiInstance = this.checkActivity(element);
    checkOutgoing(this, element, outgoing);
    checkFlowsAt(this, element, incoming, outgoing, multiInstance !== null);
    if (!executed) return null;
    const { kind } = executed;
    const interrupting =
      kind === 'boundaryEvent'
        ? element.cancelActivity !== false
        : kind === 'startEvent' && where.kind === 'eventSubProcess' && element.isInterrupting !== false;
    const node: FlowNode = {
      id: idOf(element),
      kind,
      name: text(element, 'name'),
      parent: where.parent,
      incoming: incoming.map((f) => idOf(f)),
      outgoing: outgoing.map((f) => idOf(f)),
      defaultFlow:
        kind === 'exclusiveGateway' || kind === 'inclusiveGateway'
          ? idOf(reference(element, 'default'))
          : null,
      event: this.event(element, kind, where, interrupting),
      userTask: kind === 'userTask' ? this.userTask(element, where, multiInstance !== null) : null,
      script: kind === 'scriptTask' ? script(this, element) : null,
      service: null,
      calledElement: null,
      subProcess: null,
      multiInstance,
      io: this.io(element, kind),
      attachedTo: kind === 'boundaryEvent' ? this.host(element) : null,
      interrupting,
      boundaries: [],
    };
    this.task(element, node);
    if (kind === 'callActivity') {
      node.calledElement = trimmed(element, 'calledElement');
      if (!node.calledElement) {
        this.report(element, 'structure', 'a call activity needs calledElement naming the process it starts');
      }
    }
    return node;
  }

  /** Service, send, receive and business-rule tasks: who does the work, or which message. */
  task(element: ModdleElement, node: FlowNode): void {
    const { kind } = node;
    if (kind === 'serviceTask' || kind === 'sendTask' || kind === 'businessRuleTask') {
      node.service = this.service(element);
    }
    const messageRef =
      reference(element, 'messageRef') !== undefined || this.unresolved(element, 'messageRef');
    if (kind === 'sendTask' || kind === 'receiveTask') {
      if (messageRef) node.event = this.message(element, element);
    }
    if (kind === 'serviceTask' && !node.service) {
      this.report(element, 'structure', 'a service task needs attest:type naming the handler that does it');
    } else if (kind === 'sendTask' && !node.service && !messageRef) {
      this.report(
        element,
        'structure',
        'a send task needs attest:type naming the handler that sends, or a messageRef naming the message it sends',
      );
    } else if (kind === 'receiveTask' && !messageRef) {
      this.report(element, 'structure', 'a receive task needs a messageRef naming the message it waits for');
    } else if (kind === 'businessRuleTask') {
      const expression = feelText(text(element, 'expression') ?? '');
      if (expression !== '') {
        checkFeel(this, element, 'attest:expression', expression);
        node.script = {
          expression,
          resultVariable: variable(this, element, trimmed(element, 'resultVariable')),
        };
      }
      if (node.service && node.script) {
        this.report(
          element,
          'structure',
          'a business-rule task needs attest:type or attest:expression, not both',
        );
      } else if (!node.service && !node.script) {
        this.report(
          element,
          'structure',
          'a business-rule task needs attest:type naming the handler that decides, or attest:expression deciding in FEEL',
        );
      }
    }
  }

  service(element: ModdleElement): FlowNode['service'] {
    const type = trimmed(element, 'type');
    if (!type) return null;
    const retries = element.retries ?? DEFAULT_RETRIES;
    if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0) {
      this.report(element, 'value', 'attest:retries must be a whole number, 0 or more');
      return { type, retries: DEFAULT_RETRIES };
    }
    return { type, retries };
  }

  /** The trigger of an event, checked against what the event is and where it is. */
  event(element: ModdleElement, kind: NodeKind, where: Where, interrupting: boolean): EventTrigger | null {
    const definitions = eventDefinitions(element);
    const [definition, ...more] = definitions;
    if (more.length > 0) {
      const types = definitions.map((d) => d.$type).join(', ');
      this.report(element, 'unsupported', `events with several definitions (${types}) are not supported`);
      return null;
    }
    const start = kind === 'startEvent';
    if (!definition) {
      const needs =
        start && where.kind === 'eventSubProcess'
          ? 'the start event of an event sub-process needs a trigger: timer, message, signal, error or escalation'
          : NEEDS_TRIGGER[kind];
      if (needs) this.report(element, 'structure', needs);
      return null;
    }
    const trigger = TRIGGERS[definition.$type];
    if (!trigger || !EXECUTED[element.$type]?.triggers?.includes(trigger)) {
      this.report(element, 'unsupported', `${definition.$type} is not supported by the engine`);
      return null;
    }
    if (start && !START_TRIGGERS[where.kind].includes(trigger)) {
      this.report(
        element,
        'structure',
        where.kind === 'embedded'
          ? `the start event of an embedded sub-process must be a none start event, without ${definition.$type}`
          : `a start event with ${definition.$type} can only start an event sub-process`,
      );
      return null;
    }
    const throwing = kind === 'endEvent' || kind === 'intermediateThrowEvent';
    switch (trigger) {
      case 'timer': {
        const cycles = start
          ? where.kind === 'process' || !interrupting
          : kind === 'boundaryEvent' && !interrupting;
        const timer = timerOf(this, element, definition, cycles);
        return timer && { type: trigger, timer };
      }
      case 'message':
        return this.message(element, definition);
      case 'signal': {
        const signal = this.named(element, definition, 'signalRef', 'bpmn:Signal', 'a signal event');
        return signal && { type: trigger, name: signal.name };
      }
      case 'error':
      case 'escalation': {
        if (trigger === 'error' && !throwing && !interrupting) {
          this.report(
            element,
            'structure',
            start
              ? 'an error start event always interrupts; remove isInterrupting="false"'
              : 'an error boundary event always interrupts; remove cancelActivity="false"',
          );
        }
        const code = this.code(element, definition, trigger, throwing);
        return code === undefined ? null : { type: trigger, code };
      }
      case 'link': {
        const name = trimmed(definition, 'name');
        if (!name)
          this.report(element, 'value', 'a link event needs a name, which pairs its throw and catch events');
        return name === null ? null : { type: trigger, name };
      }
      case 'terminate':
        return { type: trigger };
    }
  }

  /** The message of a message event, send or receive task: named, with an optional correlation key. */
  message(element: ModdleElement, owner: ModdleElement): EventTrigger | null {
    const message = this.named(element, owner, 'messageRef', 'bpmn:Message', 'a message event');
    if (!message) return null;
    const correlationKey = feelText(text(message.element, 'correlationKey') ?? '') || null;
    return { type: 'message', name: message.name, correlationKey };
  }

  /**
   * The message or signal an event refers to, which must have a name: events meet by it. The
   * message or signal is checked once, however many events refer to it.
   */
  named(
    element: ModdleElement,
    owner: ModdleElement,
    property: 'messageRef' | 'signalRef',
    type: string,
    what: string,
  ): { element: ModdleElement; name: string } | null {
    const target = reference(owner, property);
    if (!target) {
      if (!this.unresolved(owner, property)) {
        this.report(element, 'reference', `${what} needs a ${property} naming its ${type}`);
      }
      return null;
    }
    if (target.$type !== type) {
      this.report(element, 'reference', `its ${property} ${idOf(target)} is not a ${type}`);
      return null;
    }
    const name = trimmed(target, 'name');
    if (!this.context.checked.has(target)) {
      this.context.checked.add(target);
      const noun = type === 'bpmn:Message' ? 'message' : 'signal';
      if (!name) this.report(target, 'value', `a ${noun} needs a name: the engine matches ${noun}s by it`);
      const key = feelText(text(target, 'correlationKey') ?? '');
      if (key !== '') checkFeel(this, target, 'attest:correlationKey', key);
    }
    return name === null ? null : { element: target, name };
  }

  /**
   * The code an error or escalation event throws or catches. A throw event names one; a catch
   * event without one (or without errorRef) catches every error. Undefined when it is wrong.
   */
  code(
    element: ModdleElement,
    definition: ModdleElement,
    trigger: 'error' | 'escalation',
    throwing: boolean,
  ): string | null | undefined {
    const [property, type, codeProperty] =
      trigger === 'error'
        ? (['errorRef', 'bpmn:Error', 'errorCode'] as const)
        : (['escalationRef', 'bpmn:Escalation', 'escalationCode'] as const);
    const target = reference(definition, property);
    if (!target) {
      if (this.unresolved(definition, property)) return undefined;
      if (!throwing) return null;
      this.report(
        element,
        'reference',
        `a throwing ${trigger} event needs an ${property} naming its ${type}`,
      );
      return undefined;
    }
    if (target.$type !== type) {
      this.report(element, 'reference', `its ${property} ${idOf(target)} is not a ${type}`);
      return undefined;
    }
    const code = trimmed(target, codeProperty);
    if (!code && throwing) {
      this.report(
        element,
        'value',
        `its ${trigger} ${idOf(target)} needs an ${codeProperty}: catching events match ${trigger}s by it`,
      );
      return undefined;
    }
    return code;
  }

  /** The activity a boundary event waits on: beside it, and not an event sub-process. */
  host(element: ModdleElement): string | null {
    const host = reference(element, 'attachedToRef');
    if (!host) {
      if (!this.unresolved(element, 'attachedToRef')) {
        this.report(element, 'reference', 'a boundary event must be attached to an activity');
      }
      return null;
    }
    if (!host.$instanceOf('bpmn:Activity')) {
      this.report(element, 'reference', `is attached to ${idOf(host)}, which is not an activity`);
      return null;
    }
    if (host.$parent !== element.$parent) {
      this.report(
        element,
        'reference',
        `is attached to ${idOf(host)}, which is not in the same process or sub-process`,
      );
    }
    if (host.triggeredByEvent === true) {
      this.report(element, 'structure', 'an event sub-process cannot have boundary events');
    }
    // Activities the engine does not run are refused for what they are.
    return idOf(host);
  }

  /** What any activity may carry that changes how tokens pass it; its multi-instance spec. */
  checkActivity(element: ModdleElement): MultiInstanceSpec | null {
    if (!element.$instanceOf('bpmn:Activity')) return null;
    const multiInstance = multiInstanceOf(this, element);
    if (element.isForCompensation === true) {
      this.report(element, 'unsupported', 'compensation handlers are not supported by the engine');
    }
    if (element.startQuantity !== 1 || element.completionQuantity !== 1) {
      this.report(
        element,
        'unsupported',
        'startQuantity and completionQuantity other than 1 are not supported',
      );
    }
    if (reference(element, 'default')) {
      this.report(
        element,
        'unsupported',
        'default flows from activities are not supported; use an exclusive gateway',
      );
    }
    return multiInstance;
  }

  /** Variables mapped in and out of an activity (`attest:ioMapping`). */
  io(element: ModdleElement, kind: NodeKind): FlowNode['io'] {
    const extensions = reference(element, 'extensionElements');
    const mappings = extensions
      ? list(extensions, 'values').filter((v) => v.$type === 'attest:IoMapping')
      : [];
    if (mappings.length === 0) return null;
    if (!ACTIVITIES.has(kind)) {
      this.report(element, 'unsupported', 'attest:ioMapping is only supported on activities');
      return null;
    }
    if (mappings.length > 1) {
      this.report(element, 'structure', 'has more than one attest:ioMapping; put all its mappings in one');
    }
    const read = (property: 'inputs' | 'outputs', what: string): Mapping[] =>
      mappings
        .flatMap((m) => list(m, property))
        .map((m) => {
          const source = feelText(text(m, 'source') ?? '');
          const target = variable(this, element, trimmed(m, 'target')) ?? '';
          if (target === '') this.report(element, 'value', `an ${what} needs a target variable`);
          if (source === '') this.report(element, 'value', `the ${what} to "${target}" needs a source`);
          else checkFeel(this, element, `the ${what} source`, source);
          return { source, target };
        });
    return { inputs: read('inputs', 'attest:input'), outputs: read('outputs', 'attest:output') };
  }

  flow(element: ModdleElement, container: ModdleElement): SequenceFlow | null {
    const source = this.endpoint(element, 'source', container);
    const target = this.endpoint(element, 'target', container);
    const condition = expression(this, element, reference(element, 'conditionExpression'), CONDITION);
    if (!source || !target) return null;
    return { id: idOf(element), name: text(element, 'name'), source, target, condition };
  }

  /** The id of a flow's source or target, if it is a flow node beside the flow. */
  endpoint(flow: ModdleElement, end: 'source' | 'target', container: ModdleElement): string | null {
    const node = reference(flow, `${end}Ref`);
    if (!node) {
      if (!this.unresolved(flow, `${end}Ref`)) this.report(flow, 'reference', `has no ${end}`);
      return null;
    }
    if (!node.$instanceOf('bpmn:FlowNode')) {
      this.report(flow, 'reference', `its ${end} ${idOf(node)} is not a flow node`);
      return null;
    }
    if (node.$parent !== container) {
      const where = container.$type === 'bpmn:Process' ? 'process' : 'sub-process';
      this.report(flow, 'reference', `its ${end} ${idOf(node)} is outside the flow's ${where}`);
      return null;
    }
    return idOf(node);
  }

  userTask(element: ModdleElement, where: Where, multiInstance: boolean): UserTaskSpec {
    const signatureMeaning = trimmed(element, 'signatureMeaning');
    if (signatureMeaning !== null && !SIGNATURE_MEANINGS.includes(signatureMeaning)) {
      this.report(
        element,
        'value',
        `attest:signatureMeaning "${signatureMeaning}" is not one of ${SIGNATURE_MEANINGS.join(', ')}`,
      );
    }
    const dueDate = feelText(text(element, 'dueDate') ?? '') || null;
    if (dueDate) checkFeel(this, element, 'attest:dueDate', dueDate);
    const assignee = feelText(text(element, 'assignee') ?? '') || null;
    if (assignee) checkFeel(this, element, 'attest:assignee', assignee);
    const rejectWhen = feelText(text(element, 'rejectWhen') ?? '') || null;
    if (rejectWhen) checkFeel(this, element, 'attest:rejectWhen', rejectWhen);
    if (rejectWhen && !signatureMeaning)
      this.report(
        element,
        'value',
        'attest:rejectWhen needs attest:signatureMeaning: only a signed task can be rejected',
      );
    const reviewOf = trimmed(element, 'reviewOf');
    if (reviewOf !== null && !(REVIEW_OF as readonly string[]).includes(reviewOf)) {
      this.report(element, 'value', `attest:reviewOf "${reviewOf}" is not one of ${REVIEW_OF.join(', ')}`);
    }
    return {
      formKey: trimmed(element, 'formKey'),
      candidateRoles: commaList(element, 'candidateRoles'),
      qualifications: commaList(element, 'qualifications'),
      signatureMeaning,
      secondPersonVerification: element.secondPersonVerification === true,
      dueDate,
      assignee,
      separateFrom: commaList(element, 'separateFrom'),
      rejectWhen,
      reviewOf: reviewOf as ReviewOf | null,
      outOfOrder: this.outOfOrder(element, where, multiInstance, assignee),
    };
  }

  /**
   * `attest:outOfOrder` (F1): only a step of the process itself, done once and open to its roles, can
   * be done ahead of the flow — in a sub-process or a multi-instance activity there is no one task
   * the flow will reach, and a step the flow gives to one person is theirs when it gets there.
   */
  outOfOrder(element: ModdleElement, where: Where, multiInstance: boolean, assignee: string | null): boolean {
    if (element.outOfOrder !== true) return false;
    const refusal =
      where.kind !== 'process'
        ? 'is allowed only on a step of the process itself, not inside a sub-process'
        : multiInstance
          ? 'is not allowed on a multi-instance step: the flow will reach it more than once'
          : assignee
            ? 'is not allowed with attest:assignee: the flow names that step’s performer only when it gets there'
            : null;
    if (refusal) this.report(element, 'value', `attest:outOfOrder ${refusal}`);
    return refusal === null;
  }
}
