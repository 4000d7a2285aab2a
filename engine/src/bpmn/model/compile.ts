import { BpmnModdle, type ModdleElement, type ParseWarning } from 'bpmn-moddle';
import descriptor from '../attest-moddle.json' with { type: 'json' };
import { isForbiddenKey } from '../../forbiddenKeys.ts';
import { feelSyntaxError, feelText } from '../feelCheck.ts';
import { feelLimitProblem } from '../feelLimits.ts';
import type {
  EventTrigger,
  FlowNode,
  Mapping,
  MultiInstanceSpec,
  NodeKind,
  ProcessGraph,
  SequenceFlow,
  TimerSpec,
  UserTaskSpec,
} from './graph.ts';
import { ModelError, type KeyedProblem, type ProblemKeyword } from './modelError.ts';

export { ModelError } from './modelError.ts';

/**
 * The `attest:` moddle extension (GMP attributes of tasks, handlers, correlation keys,
 * multi-instance items and variable mappings); the designer loads the same descriptor.
 */
export const attestModdleDescriptor = descriptor;

type Trigger = EventTrigger['type'];

/**
 * The flow node types the engine executes, with the triggers each may carry (none unless listed;
 * where a start event is narrows its list further). Every other flow node is refused at import.
 */
const EXECUTED: Readonly<Record<string, { kind: NodeKind; triggers?: readonly Trigger[] }>> = {
  'bpmn:StartEvent': { kind: 'startEvent', triggers: ['timer', 'message', 'signal', 'error', 'escalation'] },
  'bpmn:EndEvent': { kind: 'endEvent', triggers: ['terminate', 'error', 'escalation', 'message', 'signal'] },
  'bpmn:IntermediateThrowEvent': {
    kind: 'intermediateThrowEvent',
    triggers: ['message', 'signal', 'escalation', 'link'],
  },
  'bpmn:IntermediateCatchEvent': {
    kind: 'intermediateCatchEvent',
    triggers: ['timer', 'message', 'signal', 'link'],
  },
  'bpmn:BoundaryEvent': {
    kind: 'boundaryEvent',
    triggers: ['timer', 'message', 'signal', 'error', 'escalation'],
  },
  'bpmn:Task': { kind: 'task' },
  'bpmn:ManualTask': { kind: 'manualTask' },
  'bpmn:UserTask': { kind: 'userTask' },
  'bpmn:ScriptTask': { kind: 'scriptTask' },
  'bpmn:ServiceTask': { kind: 'serviceTask' },
  'bpmn:SendTask': { kind: 'sendTask' },
  'bpmn:ReceiveTask': { kind: 'receiveTask' },
  'bpmn:BusinessRuleTask': { kind: 'businessRuleTask' },
  'bpmn:SubProcess': { kind: 'subProcess' },
  'bpmn:CallActivity': { kind: 'callActivity' },
  'bpmn:ExclusiveGateway': { kind: 'exclusiveGateway' },
  'bpmn:ParallelGateway': { kind: 'parallelGateway' },
  'bpmn:InclusiveGateway': { kind: 'inclusiveGateway' },
  'bpmn:EventBasedGateway': { kind: 'eventBasedGateway' },
};

/** The event definitions the engine knows, by the trigger each gives. */
const TRIGGERS: Readonly<Record<string, Trigger>> = {
  'bpmn:TimerEventDefinition': 'timer',
  'bpmn:MessageEventDefinition': 'message',
  'bpmn:SignalEventDefinition': 'signal',
  'bpmn:ErrorEventDefinition': 'error',
  'bpmn:EscalationEventDefinition': 'escalation',
  'bpmn:LinkEventDefinition': 'link',
  'bpmn:TerminateEventDefinition': 'terminate',
};

/** Events that cannot be none events, with what they need instead. */
const NEEDS_TRIGGER: Readonly<Partial<Record<NodeKind, string>>> = {
  intermediateCatchEvent:
    'an intermediate catch event needs an event definition: timer, message, signal or link',
  boundaryEvent: 'a boundary event needs an event definition: timer, message, signal, error or escalation',
};

/** The activities the engine runs; boundary events wait on these (but not on event sub-processes). */
const ACTIVITIES: ReadonlySet<NodeKind> = new Set<NodeKind>([
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

/** Flow elements that hold data rather than tokens: the engine leaves them aside. */
const DATA_ELEMENTS = new Set(['bpmn:DataObject', 'bpmn:DataObjectReference', 'bpmn:DataStoreReference']);

const LOOPS: Readonly<Record<string, string>> = {
  'bpmn:StandardLoopCharacteristics': 'loop activities are not supported by the engine',
};

/** Handler attempts of a service, send or business-rule task when `attest:retries` is not given. */
const DEFAULT_RETRIES = 3;

const DURATION = 'P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?';
const ISO_DURATION = new RegExp(`^${DURATION}$`);
/**
 * `R3/PT1H`: three times an hour apart; `R/P1D`: every day, without end; `R/2026-01-05T08:00:00Z/P1D`:
 * every day at 08:00 UTC from that day on.
 */
const ISO_CYCLE = new RegExp(
  `^R([1-9]\\d*)?/(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d(:\\d\\d(\\.\\d+)?)?(Z|[+-]\\d\\d:\\d\\d)/)?${DURATION}$`,
);

const TIMES = { timeDuration: 'duration', timeDate: 'date', timeCycle: 'cycle' } as const;

const TIMER_LITERALS: Readonly<Record<TimerSpec['type'], string>> = {
  duration: 'an ISO 8601 duration',
  date: 'an ISO 8601 date and time',
  cycle: 'an ISO 8601 repetition such as R3/PT1H, R/P1D or R/2026-01-05T08:00:00Z/P1D',
};

const SIGNATURE_MEANINGS = ['Performed', 'Verified', 'Reviewed', 'Approved', 'Released', 'Rejected'];

/** `feel`, or the URI by which the DMN specification names FEEL. */
const FEEL_LANGUAGE = /^(feel|https?:\/\/www\.omg\.org\/spec\/(dmn\/\d+\/feel|feel\/\d+)\/?)$/i;

/** The text arrives decoded already, so the encoding its declaration names no longer applies. */
const HARMLESS_WARNING = /^unsupported document encoding/;

const UNPARSABLE =
  /^unparsable content (.*?) ?detected\n\tline: (\d+)\n\tcolumn: \d+\n\tnested error: (.*)$/s;

// Moddle rewrites the descriptor it registers (it qualifies property names): it gets a copy, so
// the exported descriptor stays as the designer must load it.
const moddle = new BpmnModdle({ attest: structuredClone(descriptor) });

interface Parsed {
  definitions: ModdleElement;
  warnings: ParseWarning[];
  elementsById: Record<string, ModdleElement>;
}

/** Parses BPMN 2.0 XML without checking whether the engine could execute it: for interchange. */
export async function parseBpmn(xml: string): Promise<{ definitions: unknown; warnings: string[] }> {
  const { definitions, warnings, elementsById } = await read(xml);
  return {
    definitions,
    warnings: warnings.map((w) => {
      const p = warningProblem(w, elementsById);
      return `${p.elementId} ${p.elementType}: ${p.problem}`;
    }),
  };
}

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

async function read(xml: string): Promise<Parsed> {
  try {
    const { rootElement, warnings, elementsById } = await moddle.fromXML(xml);
    return { definitions: rootElement, warnings, elementsById };
  } catch (error) {
    const { message, warnings } = error as Error & { warnings?: ParseWarning[] };
    const cause = UNPARSABLE.exec(message) ?? UNPARSABLE.exec(warnings?.[0]?.message ?? '');
    const reason = cause ? `${cause[3]} at line ${Number(cause[2]) + 1}` : message;
    throw new ModelError([definitionsProblem('xml', `the file is not BPMN 2.0 XML: ${reason}`)]);
  }
}

function warningProblem(warning: ParseWarning, elementsById: Record<string, ModdleElement>): KeyedProblem {
  const { message, element, property } = warning;
  const attribute = property?.replace(/^bpmn:/, '');
  const unresolved = /^unresolved reference <(.*)>$/.exec(message);
  if (element && unresolved) {
    return problem(element, 'reference', `${attribute} refers to "${unresolved[1]}", which does not exist`);
  }
  const unknown = /^unknown attribute <(.*)>$/.exec(message);
  if (element && unknown) return problem(element, 'xml', `has an unknown attribute ${unknown[1]}`);
  const unparsable = UNPARSABLE.exec(message);
  if (unparsable) {
    const [, content = '', line = '0', cause = ''] = unparsable;
    const duplicate = elementsById[/^duplicate ID <(.*)>$/.exec(cause)?.[1] ?? ''];
    if (duplicate) return problem(duplicate, 'xml', 'its id is used by more than one element');
    return definitionsProblem('xml', `cannot read ${content} at line ${Number(line) + 1}: ${cause}`);
  }
  return element ? problem(element, 'xml', message) : definitionsProblem('xml', message);
}

interface Context {
  report(problem: KeyedProblem): void;
  /** The expression language the file declares for all its expressions, if it declares one. */
  expressionLanguage: string | null;
  /** Elements with references the parser could not resolve, reported already, by property. */
  unresolved: ReadonlyMap<ModdleElement, readonly string[]>;
  /** Messages and signals of the file checked already: several events may refer to one. */
  checked: Set<ModdleElement>;
}

/** The flow elements of one process or sub-process, with the sequence flows at each node. */
interface Scope {
  members: ModdleElement[];
  incoming: Map<ModdleElement, ModdleElement[]>;
  outgoing: Map<ModdleElement, ModdleElement[]>;
}

/**
 * Where a scope's elements are: the process itself, an embedded sub-process (entered at its none
 * start event) or an event sub-process (entered when its one start event is triggered).
 */
interface Where {
  kind: 'process' | 'embedded' | 'eventSubProcess';
  /** The id of the sub-process, null for the process. */
  parent: string | null;
  /** False inside a sub-process the engine refuses (a transaction, an ad-hoc sub-process). */
  executed: boolean;
}

/** What the scope's container needs to know of it. */
interface ScopeSummary {
  /** The none start event (embedded, process) or the triggered one (event sub-process). */
  start: string | null;
  triggeredStarts: string[];
  eventSubProcesses: string[];
}

/** What may trigger a start event, by where it is. */
const START_TRIGGERS: Readonly<Record<Where['kind'], readonly Trigger[]>> = {
  process: ['timer', 'message', 'signal'],
  embedded: [],
  eventSubProcess: ['timer', 'message', 'signal', 'error', 'escalation'],
};

const CYCLE_PLACES =
  'a repeating timer (timeCycle) is only allowed on timer start events of a process, on non-interrupting boundary events and on start events of non-interrupting event sub-processes';

class ProcessCompiler {
  private readonly nodes: FlowNode[] = [];
  private readonly elements = new Map<string, ModdleElement>();
  private readonly flows: SequenceFlow[] = [];

  constructor(
    private readonly process: ModdleElement,
    private readonly context: Context,
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
    this.checkSeparations(byId);
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

  /** `attest:separateFrom` names user tasks of the same process, or the initiator. */
  private checkSeparations(byId: Map<string, FlowNode>): void {
    for (const node of this.nodes) {
      for (const other of node.userTask?.separateFrom ?? []) {
        if (other === 'initiator' || byId.get(other)?.kind === 'userTask') continue;
        const why =
          other === node.id ? 'cannot name the task itself' : `names "${other}", which is no user task here`;
        this.report(this.elements.get(node.id)!, 'reference', `attest:separateFrom ${why}`);
      }
    }
  }

  private report(element: ModdleElement, keyword: ProblemKeyword, description: string): void {
    this.context.report(problem(element, keyword, description));
  }

  /** Whether the reference was to an id that does not exist: reported as such already. */
  private unresolved(element: ModdleElement, property: string): boolean {
    return this.context.unresolved.get(element)?.includes(property) ?? false;
  }

  /**
   * Checks every element of a process or sub-process and compiles those the engine executes,
   * sub-processes with what they contain, into the one flat list of nodes and of flows.
   */
  private compileScope(container: ModdleElement, where: Where): ScopeSummary {
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
    const summary = this.checkStarts(container, scope, where);
    if (where.executed) {
      this.checkLinks(scope, here);
      this.checkReachable(scope);
    }
    summary.eventSubProcesses = scope.members
      .filter((e) => e.$type === 'bpmn:SubProcess' && e.triggeredByEvent === true && typeof e.id === 'string')
      .map((e) => idOf(e));
    return summary;
  }

  /** How many start events of which kind the scope has, by where it is. */
  private checkStarts(container: ModdleElement, scope: Scope, where: Where): ScopeSummary {
    const starts = scope.members.filter((e) => e.$type === 'bpmn:StartEvent' && typeof e.id === 'string');
    const none = starts.filter((s) => eventDefinitions(s).length === 0);
    const triggered = starts.filter((s) => eventDefinitions(s).length > 0);
    const summary: ScopeSummary = { start: null, triggeredStarts: [], eventSubProcesses: [] };
    if (where.kind === 'eventSubProcess') {
      if (where.executed && starts.length === 0) {
        this.report(
          container,
          'structure',
          'an event sub-process needs one start event with a trigger: timer, message, signal, error or escalation',
        );
      }
      for (const extra of starts.slice(1)) {
        this.report(extra, 'structure', 'is a second start event; an event sub-process has exactly one');
      }
      summary.start = idOf(starts[0]);
      return summary;
    }
    if (where.kind === 'process' && starts.length === 0) {
      this.report(container, 'structure', 'has no start event, so nothing can start it');
    } else if (where.kind === 'embedded' && where.executed && none.length === 0) {
      this.report(
        container,
        'structure',
        'an embedded sub-process needs a none start event (without a trigger)',
      );
    }
    for (const extra of none.slice(1)) {
      this.report(
        extra,
        'structure',
        'is a second none start event; the engine would not know where to start',
      );
    }
    summary.start = idOf(none[0]);
    if (where.kind === 'process') summary.triggeredStarts = triggered.map((s) => idOf(s));
    return summary;
  }

  private node(element: ModdleElement, scope: Scope, where: Where): FlowNode | null {
    const incoming = scope.incoming.get(element) ?? [];
    const outgoing = scope.outgoing.get(element) ?? [];
    const executed = EXECUTED[element.$type];
    if (!executed) this.report(element, 'unsupported', 'not supported by the engine');
    const multiInstance = this.checkActivity(element);
    this.checkOutgoing(element, outgoing);
    this.checkFlowsAt(element, incoming, outgoing, multiInstance !== null);
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
      userTask: kind === 'userTask' ? this.userTask(element) : null,
      script: kind === 'scriptTask' ? this.script(element) : null,
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
  private task(element: ModdleElement, node: FlowNode): void {
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
        this.checkFeel(element, 'attest:expression', expression);
        node.script = {
          expression,
          resultVariable: this.variable(element, trimmed(element, 'resultVariable')),
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

  private service(element: ModdleElement): FlowNode['service'] {
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
  private event(
    element: ModdleElement,
    kind: NodeKind,
    where: Where,
    interrupting: boolean,
  ): EventTrigger | null {
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
        const timer = this.timer(element, definition, cycles);
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
  private message(element: ModdleElement, owner: ModdleElement): EventTrigger | null {
    const message = this.named(element, owner, 'messageRef', 'bpmn:Message', 'a message event');
    if (!message) return null;
    const correlationKey = feelText(text(message.element, 'correlationKey') ?? '') || null;
    return { type: 'message', name: message.name, correlationKey };
  }

  /**
   * The message or signal an event refers to, which must have a name: events meet by it. The
   * message or signal is checked once, however many events refer to it.
   */
  private named(
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
      if (key !== '') this.checkFeel(target, 'attest:correlationKey', key);
    }
    return name === null ? null : { element: target, name };
  }

  /**
   * The code an error or escalation event throws or catches. A throw event names one; a catch
   * event without one (or without errorRef) catches every error. Undefined when it is wrong.
   */
  private code(
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
  private host(element: ModdleElement): string | null {
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

  /**
   * A timer's time: an ISO 8601 duration, date and time or repetition as written (`PT8H`,
   * `2026-12-01T08:00Z`, `R3/PT1H`), or FEEL after a leading `=`. Only some events may repeat.
   */
  private timer(element: ModdleElement, definition: ModdleElement, cycles: boolean): TimerSpec | null {
    const times = (Object.keys(TIMES) as (keyof typeof TIMES)[]).filter((t) => reference(definition, t));
    const [time, ...more] = times;
    if (!time || more.length > 0) {
      this.report(
        element,
        'structure',
        'a timer event needs exactly one timeDuration, timeDate or timeCycle',
      );
      return null;
    }
    const type = TIMES[time];
    if (type === 'cycle' && !cycles) {
      this.report(element, 'structure', CYCLE_PLACES);
      return null;
    }
    const body = trimmed(reference(definition, time)!, 'body') ?? '';
    if (body.startsWith('=')) {
      const expression = feelText(body);
      this.checkFeel(element, 'its timer', expression);
      return { type, expression };
    }
    const literal =
      type === 'duration'
        ? ISO_DURATION.test(body)
        : type === 'cycle'
          ? ISO_CYCLE.test(body)
          : !Number.isNaN(Date.parse(body)) && /\d{4}-\d\d-\d\dT/.test(body);
    if (!literal) this.report(element, 'value', `its timer "${body}" is not ${TIMER_LITERALS[type]}`);
    return { type, expression: JSON.stringify(body) };
  }

  /** What any activity may carry that changes how tokens pass it; its multi-instance spec. */
  private checkActivity(element: ModdleElement): MultiInstanceSpec | null {
    if (!element.$instanceOf('bpmn:Activity')) return null;
    const multiInstance = this.multiInstance(element);
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

  /**
   * A multi-instance activity runs once per item of `attest:collection` (FEEL), or loopCardinality
   * times; the BPMN data-input references are not used.
   */
  private multiInstance(element: ModdleElement): MultiInstanceSpec | null {
    const loop = reference(element, 'loopCharacteristics');
    if (!loop) return null;
    if (loop.$type !== 'bpmn:MultiInstanceLoopCharacteristics') {
      this.report(
        element,
        'unsupported',
        LOOPS[loop.$type] ?? `${loop.$type} is not supported by the engine`,
      );
      return null;
    }
    const feel = (property: string) => {
      const expression = feelText(text(loop, property) ?? '') || null;
      if (expression) this.checkFeel(element, `attest:${property}`, expression);
      return expression;
    };
    const cardinality = reference(loop, 'loopCardinality');
    const spec: MultiInstanceSpec = {
      sequential: loop.isSequential === true,
      collection: feel('collection'),
      cardinality: cardinality ? this.expression(element, cardinality, LOOP_CARDINALITY) : null,
      elementVariable: this.variable(element, trimmed(loop, 'elementVariable')),
      completionCondition: this.expression(element, reference(loop, 'completionCondition'), COMPLETION),
      outputCollection: this.variable(element, trimmed(loop, 'outputCollection')),
      outputElement: feel('outputElement'),
    };
    if (!spec.collection && !cardinality) {
      this.report(
        element,
        'structure',
        'a multi-instance activity needs attest:collection or a loopCardinality saying how many times it runs',
      );
    }
    if (spec.outputElement && !spec.outputCollection) {
      this.report(
        element,
        'structure',
        'attest:outputElement needs attest:outputCollection to collect it in',
      );
    }
    return spec;
  }

  /** Variables mapped in and out of an activity (`attest:ioMapping`). */
  private io(element: ModdleElement, kind: NodeKind): FlowNode['io'] {
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
          const target = this.variable(element, trimmed(m, 'target')) ?? '';
          if (target === '') this.report(element, 'value', `an ${what} needs a target variable`);
          if (source === '') this.report(element, 'value', `the ${what} to "${target}" needs a source`);
          else this.checkFeel(element, `the ${what} source`, source);
          return { source, target };
        });
    return { inputs: read('inputs', 'attest:input'), outputs: read('outputs', 'attest:output') };
  }

  /** Flows where an element cannot have them. */
  private checkFlowsAt(
    element: ModdleElement,
    incoming: ModdleElement[],
    outgoing: ModdleElement[],
    multiInstance: boolean,
  ): void {
    const link = eventDefinitions(element).some((d) => d.$type === 'bpmn:LinkEventDefinition');
    if (element.$type === 'bpmn:StartEvent' && incoming.length > 0) {
      this.report(element, 'structure', 'a start event cannot have incoming flows');
    }
    if (element.$type === 'bpmn:BoundaryEvent' && incoming.length > 0) {
      this.report(element, 'structure', 'a boundary event cannot have incoming flows');
    }
    if (element.$type === 'bpmn:EndEvent' && outgoing.length > 0) {
      this.report(element, 'structure', 'an end event cannot have outgoing flows');
    }
    if (link && element.$type === 'bpmn:IntermediateThrowEvent' && outgoing.length > 0) {
      this.report(
        element,
        'structure',
        'a link throw event cannot have outgoing flows; tokens go on at its catch event',
      );
    }
    if (link && element.$type === 'bpmn:IntermediateCatchEvent' && incoming.length > 0) {
      this.report(
        element,
        'structure',
        'a link catch event cannot have incoming flows; tokens come from its throw event',
      );
    }
    if (element.$instanceOf('bpmn:SubProcess') && element.triggeredByEvent === true) {
      if (incoming.length > 0 || outgoing.length > 0) {
        this.report(element, 'structure', 'an event sub-process cannot have incoming or outgoing flows');
      }
      if (multiInstance) this.report(element, 'structure', 'an event sub-process cannot be multi-instance');
    }
  }

  /** Which outgoing flows may have conditions depends on what they leave. */
  private checkOutgoing(element: ModdleElement, outgoing: ModdleElement[]): void {
    const conditional = outgoing.filter((f) => f.conditionExpression);
    const type = element.$type;
    if (type === 'bpmn:ExclusiveGateway' || type === 'bpmn:InclusiveGateway') {
      const what = type === 'bpmn:ExclusiveGateway' ? 'exclusive' : 'inclusive';
      const fallback = reference(element, 'default');
      if (fallback && !outgoing.includes(fallback)) {
        this.report(element, 'reference', `its default flow ${idOf(fallback)} does not leave this gateway`);
      }
      for (const flow of outgoing) {
        if (flow === fallback && flow.conditionExpression) {
          this.report(
            flow,
            'structure',
            `is the default flow of ${idOf(element)} and must not have a condition`,
          );
        } else if (flow !== fallback && outgoing.length > 1 && !flow.conditionExpression) {
          this.report(
            flow,
            'structure',
            `leaves ${what} gateway ${idOf(element)} without a condition; give it one or make it the default flow`,
          );
        }
      }
    } else if (type === 'bpmn:ParallelGateway') {
      for (const flow of conditional) {
        this.report(
          flow,
          'structure',
          `leaves parallel gateway ${idOf(element)}, which takes every outgoing flow; remove its condition`,
        );
      }
    } else if (type === 'bpmn:EventBasedGateway') {
      this.checkEventGateway(element, outgoing, conditional);
    } else if (!element.$instanceOf('bpmn:Gateway')) {
      const from = element.$instanceOf('bpmn:Activity') ? 'activities' : 'events';
      for (const flow of conditional) {
        this.report(
          flow,
          'unsupported',
          `conditional flows from ${from} are not supported; use an exclusive gateway`,
        );
      }
    }
    const gateway = ['bpmn:ExclusiveGateway', 'bpmn:ParallelGateway', 'bpmn:InclusiveGateway'].includes(type);
    if (gateway && outgoing.length === 0) {
      this.report(element, 'structure', 'a gateway needs at least one outgoing flow');
    }
  }

  /** An event-based gateway waits for the first of the events its flows lead to. */
  private checkEventGateway(
    element: ModdleElement,
    outgoing: ModdleElement[],
    conditional: ModdleElement[],
  ): void {
    if (element.instantiate === true) {
      this.report(
        element,
        'unsupported',
        'event-based gateways that start the process (instantiate="true") are not supported; use a message or signal start event',
      );
    }
    for (const flow of conditional) {
      this.report(
        flow,
        'structure',
        `leaves event-based gateway ${idOf(element)}, which waits for an event instead; remove its condition`,
      );
    }
    if (outgoing.length < 2) {
      this.report(element, 'structure', 'an event-based gateway needs at least two outgoing flows');
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
        this.report(
          element,
          'structure',
          `its flow ${idOf(flow)} leads to ${target.$type} ${idOf(target)}; an event-based gateway can only lead to timer, message or signal catch events and receive tasks`,
        );
      }
    }
  }

  private flow(element: ModdleElement, container: ModdleElement): SequenceFlow | null {
    const source = this.endpoint(element, 'source', container);
    const target = this.endpoint(element, 'target', container);
    const condition = this.expression(element, reference(element, 'conditionExpression'), CONDITION);
    if (!source || !target) return null;
    return { id: idOf(element), name: text(element, 'name'), source, target, condition };
  }

  /** The id of a flow's source or target, if it is a flow node beside the flow. */
  private endpoint(flow: ModdleElement, end: 'source' | 'target', container: ModdleElement): string | null {
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

  /** A FEEL expression in a BPMN expression element: a condition, a loop cardinality. */
  private expression(
    owner: ModdleElement,
    expression: ModdleElement | undefined,
    what: { one: string; many: string },
  ): string | null {
    if (!expression) return null;
    if (expression.$type !== 'bpmn:FormalExpression') {
      // A plain bpmn:Expression is natural-language text by the specification, not executable.
      this.report(
        owner,
        'unsupported',
        `${what.one} must be a formal expression (xsi:type="tFormalExpression")`,
      );
      return null;
    }
    const language = text(expression, 'language') ?? this.context.expressionLanguage;
    if (language !== null && !FEEL_LANGUAGE.test(language.trim())) {
      this.report(owner, 'unsupported', `${what.many} in ${language} are not supported; write them in FEEL`);
      return null;
    }
    const body = feelText(text(expression, 'body') ?? '');
    if (body === '') {
      this.report(owner, 'value', `${what.one} is empty`);
      return null;
    }
    this.checkFeel(owner, what.one, body);
    return body;
  }

  private userTask(element: ModdleElement): UserTaskSpec {
    const signatureMeaning = trimmed(element, 'signatureMeaning');
    if (signatureMeaning !== null && !SIGNATURE_MEANINGS.includes(signatureMeaning)) {
      this.report(
        element,
        'value',
        `attest:signatureMeaning "${signatureMeaning}" is not one of ${SIGNATURE_MEANINGS.join(', ')}`,
      );
    }
    const dueDate = feelText(text(element, 'dueDate') ?? '') || null;
    if (dueDate) this.checkFeel(element, 'attest:dueDate', dueDate);
    const assignee = feelText(text(element, 'assignee') ?? '') || null;
    if (assignee) this.checkFeel(element, 'attest:assignee', assignee);
    const rejectWhen = feelText(text(element, 'rejectWhen') ?? '') || null;
    if (rejectWhen) this.checkFeel(element, 'attest:rejectWhen', rejectWhen);
    if (rejectWhen && !signatureMeaning)
      this.report(
        element,
        'value',
        'attest:rejectWhen needs attest:signatureMeaning: only a signed task can be rejected',
      );
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
    };
  }

  private script(element: ModdleElement): FlowNode['script'] {
    const format = trimmed(element, 'scriptFormat');
    if (format?.toLowerCase() !== 'feel') {
      const written = format === null ? 'without a scriptFormat' : `in ${format}`;
      this.report(
        element,
        'unsupported',
        `scripts ${written} are not supported; write the script in FEEL (scriptFormat="feel")`,
      );
    }
    const expression = feelText(text(element, 'script') ?? '');
    if (expression === '') this.report(element, 'value', 'the script is empty');
    else if (format?.toLowerCase() === 'feel') this.checkFeel(element, 'the script', expression);
    return { expression, resultVariable: this.variable(element, trimmed(element, 'resultVariable')) };
  }

  /** A variable the process writes: never a name that reaches prototypes (`__proto__`…). */
  private variable(element: ModdleElement, name: string | null): string | null {
    if (name !== null && isForbiddenKey(name)) {
      this.report(element, 'value', `"${name}" cannot be the name of a variable`);
    }
    return name;
  }

  private checkFeel(element: ModdleElement, what: string, expression: string): void {
    const error = feelSyntaxError(expression);
    const shown = expression.length > 60 ? `${expression.slice(0, 59)}…` : expression;
    if (error) {
      this.report(element, 'feel', `${what} "${shown}" is not valid FEEL: ${error.message}`);
      return;
    }
    const limit = feelLimitProblem(expression);
    if (limit) this.report(element, 'feel', `${what} "${shown}" exceeds the FEEL limits: ${limit}`);
  }

  /** A link throw event goes on at the one catch event of its name beside it. */
  private checkLinks(scope: Scope, nodes: FlowNode[]): void {
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
        this.report(
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
  private checkReachable(scope: Scope): void {
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
      if (!reached.has(node)) this.report(node, 'structure', 'cannot be reached from a start event');
    }
  }
}

const CONDITION = { one: 'the condition', many: 'conditions' };
const LOOP_CARDINALITY = { one: 'the loopCardinality', many: 'loop cardinalities' };
const COMPLETION = { one: 'the completionCondition', many: 'completion conditions' };

/** The references the parser could not resolve, by element and property (without `bpmn:`). */
function unresolvedReferences(warnings: ParseWarning[]): Map<ModdleElement, string[]> {
  const unresolved = new Map<ModdleElement, string[]>();
  for (const { message, element, property } of warnings) {
    if (!element || !message.startsWith('unresolved reference')) continue;
    unresolved.set(element, [...(unresolved.get(element) ?? []), property?.replace(/^bpmn:/, '') ?? '']);
  }
  return unresolved;
}

function scopeOf(container: ModdleElement): Scope {
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

/** A problem on the element, or on its nearest ancestor with an id when it has none. */
function problem(element: ModdleElement, keyword: ProblemKeyword, description: string): KeyedProblem {
  let named: ModdleElement | undefined = element;
  while (named && typeof named.id !== 'string') named = named.$parent;
  if (!named || named.$type === 'bpmn:Definitions') return definitionsProblem(keyword, description);
  const { $type: elementType, id: elementId } = named as ModdleElement & { id: string };
  return { elementId, elementType, name: text(named, 'name'), problem: description, keyword };
}

function definitionsProblem(keyword: ProblemKeyword, description: string): KeyedProblem {
  return {
    elementId: 'definitions',
    elementType: 'bpmn:Definitions',
    name: null,
    problem: description,
    keyword,
  };
}

/** The id of an element the parser gave one; bpmn-moddle types ids only as `unknown`. */
function idOf(element: ModdleElement): string;
function idOf(element: ModdleElement | undefined): string | null;
function idOf(element: ModdleElement | undefined): string | null {
  return element ? String(element.id) : null;
}

function eventDefinitions(element: ModdleElement): ModdleElement[] {
  return [...list(element, 'eventDefinitions'), ...list(element, 'eventDefinitionRefs')];
}

function list(element: ModdleElement, property: string): ModdleElement[] {
  return (element[property] as ModdleElement[] | undefined) ?? [];
}

function reference(element: ModdleElement, property: string): ModdleElement | undefined {
  return element[property] as ModdleElement | undefined;
}

function text(element: ModdleElement, property: string): string | null {
  const value = element[property];
  return typeof value === 'string' ? value : null;
}

/** A string attribute, trimmed; blank counts as missing. */
function trimmed(element: ModdleElement, property: string): string | null {
  return text(element, property)?.trim() || null;
}

/** A comma-separated attribute, e.g. `attest:candidateRoles="qa, production"`. */
function commaList(element: ModdleElement, property: string): string[] {
  return (text(element, property) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
