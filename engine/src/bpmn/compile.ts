import { BpmnModdle, type ModdleElement, type ParseWarning } from 'bpmn-moddle';
import descriptor from './attest-moddle.json' with { type: 'json' };
import { feelSyntaxError, feelText } from './feelCheck.ts';
import type { FlowNode, NodeKind, ProcessGraph, SequenceFlow, UserTaskSpec } from './graph.ts';
import { ModelError, type KeyedProblem, type ProblemKeyword } from './modelError.ts';

export { ModelError } from './modelError.ts';

/** The `attest:` moddle extension (GMP attributes of tasks); the designer loads the same descriptor. */
export const attestModdleDescriptor = descriptor;

/**
 * The flow node types the engine executes, with the event definitions each may carry (none unless
 * listed). Every other flow node is refused at import; this table grows as the executor learns.
 */
const EXECUTED: Readonly<Record<string, { kind: NodeKind; eventDefinitions?: readonly string[] }>> = {
  'bpmn:StartEvent': { kind: 'startEvent' },
  'bpmn:EndEvent': { kind: 'endEvent', eventDefinitions: ['bpmn:TerminateEventDefinition'] },
  'bpmn:IntermediateThrowEvent': { kind: 'intermediateThrowEvent' },
  'bpmn:IntermediateCatchEvent': {
    kind: 'intermediateCatchEvent',
    eventDefinitions: ['bpmn:TimerEventDefinition'],
  },
  'bpmn:BoundaryEvent': { kind: 'boundaryEvent', eventDefinitions: ['bpmn:TimerEventDefinition'] },
  'bpmn:Task': { kind: 'task' },
  'bpmn:ManualTask': { kind: 'manualTask' },
  'bpmn:UserTask': { kind: 'userTask' },
  'bpmn:ScriptTask': { kind: 'scriptTask' },
  'bpmn:ExclusiveGateway': { kind: 'exclusiveGateway' },
  'bpmn:ParallelGateway': { kind: 'parallelGateway' },
};

/** Flow elements that hold data rather than tokens: the engine leaves them aside. */
const DATA_ELEMENTS = new Set(['bpmn:DataObject', 'bpmn:DataObjectReference', 'bpmn:DataStoreReference']);

const LOOPS: Readonly<Record<string, string>> = {
  'bpmn:MultiInstanceLoopCharacteristics': 'multi-instance activities are not supported by the engine',
  'bpmn:StandardLoopCharacteristics': 'loop activities are not supported by the engine',
};

const ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;

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
    unresolved: new Set(
      warnings.filter((w) => w.message.startsWith('unresolved reference')).flatMap((w) => w.element ?? []),
    ),
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
  /** Elements with a reference the parser could not resolve, reported already. */
  unresolved: ReadonlySet<ModdleElement>;
}

/** The flow elements of one process or sub-process, with the sequence flows at each node. */
interface Scope {
  members: ModdleElement[];
  incoming: Map<ModdleElement, ModdleElement[]>;
  outgoing: Map<ModdleElement, ModdleElement[]>;
}

class ProcessCompiler {
  constructor(
    private readonly process: ModdleElement,
    private readonly context: Context,
  ) {}

  compile(): ProcessGraph {
    if (typeof this.process.id !== 'string') {
      this.report(this.process, 'xml', 'an executable process needs an id');
    }
    const scope = scopeOf(this.process);
    const { nodes, flows } = this.compileScope(this.process, scope);
    const starts = scope.members.filter(
      (e) => e.$type === 'bpmn:StartEvent' && eventDefinitions(e).length === 0,
    );
    if (starts.length === 0) {
      this.report(this.process, 'structure', 'has no none start event (a start event without a trigger)');
    }
    for (const extra of starts.slice(1)) {
      this.report(
        extra,
        'structure',
        'is a second none start event; the engine would not know where to start',
      );
    }
    this.checkReachable(scope);
    // Each activity learns which boundary events wait on it.
    for (const boundary of nodes.filter((n) => n.kind === 'boundaryEvent')) {
      nodes.find((n) => n.id === boundary.attachedTo)?.boundaries.push(boundary.id);
    }
    return {
      key: idOf(this.process),
      name: text(this.process, 'name'),
      nodes: Object.fromEntries(nodes.map((n) => [n.id, n])),
      flows: Object.fromEntries(flows.map((f) => [f.id, f])),
      startNodes: starts.map((s) => idOf(s)),
    };
  }

  private report(element: ModdleElement, keyword: ProblemKeyword, description: string): void {
    this.context.report(problem(element, keyword, description));
  }

  /** Checks every element of a process or sub-process and compiles those the engine executes. */
  private compileScope(container: ModdleElement, scope: Scope): { nodes: FlowNode[]; flows: SequenceFlow[] } {
    const nodes: FlowNode[] = [];
    const flows: SequenceFlow[] = [];
    for (const element of scope.members) {
      if (typeof element.id !== 'string' || element.id === '') {
        this.report(container, 'xml', `contains a ${element.$type} without an id`);
      } else if (element.$type === 'bpmn:SequenceFlow') {
        const flow = this.flow(element, container);
        if (flow) flows.push(flow);
      } else if (element.$instanceOf('bpmn:FlowNode')) {
        const node = this.node(element, scope.incoming.get(element) ?? [], scope.outgoing.get(element) ?? []);
        if (node) nodes.push(node);
        // A sub-process is refused as a whole, but what is wrong inside it is reported too.
        if (element.flowElements) this.compileScope(element, scopeOf(element));
      } else if (!DATA_ELEMENTS.has(element.$type)) {
        this.report(element, 'unsupported', 'not supported by the engine');
      }
    }
    return { nodes, flows };
  }

  private node(
    element: ModdleElement,
    incoming: ModdleElement[],
    outgoing: ModdleElement[],
  ): FlowNode | null {
    const executed = EXECUTED[element.$type];
    if (!executed) this.report(element, 'unsupported', 'not supported by the engine');
    this.checkActivity(element);
    this.checkOutgoing(element, outgoing);
    if (element.$type === 'bpmn:StartEvent' && incoming.length > 0) {
      this.report(element, 'structure', 'a start event cannot have incoming flows');
    }
    if (element.$type === 'bpmn:EndEvent' && outgoing.length > 0) {
      this.report(element, 'structure', 'an end event cannot have outgoing flows');
    }
    if (!executed) return null;
    const definitions = eventDefinitions(element);
    const [definition, ...more] = definitions;
    if (more.length > 0) {
      const types = definitions.map((d) => d.$type).join(', ');
      this.report(element, 'unsupported', `events with several definitions (${types}) are not supported`);
    } else if (definition && !executed.eventDefinitions?.includes(definition.$type)) {
      this.report(element, 'unsupported', `${definition.$type} is not supported by the engine`);
    }
    const { kind } = executed;
    return {
      id: idOf(element),
      kind,
      name: text(element, 'name'),
      incoming: incoming.map((f) => idOf(f)),
      outgoing: outgoing.map((f) => idOf(f)),
      defaultFlow: kind === 'exclusiveGateway' ? idOf(reference(element, 'default')) : null,
      terminate: definitions.some((d) => d.$type === 'bpmn:TerminateEventDefinition'),
      userTask: kind === 'userTask' ? this.userTask(element) : null,
      script: kind === 'scriptTask' ? this.script(element) : null,
      timer:
        kind === 'intermediateCatchEvent' || kind === 'boundaryEvent'
          ? this.timer(element, definition)
          : null,
      attachedTo: kind === 'boundaryEvent' ? this.host(element, definition) : null,
      interrupting: kind === 'boundaryEvent' && element.cancelActivity !== false,
      boundaries: [],
    };
  }

  /** The activity a boundary event waits on: a user task, the only activity that waits today. */
  private host(element: ModdleElement, definition: ModdleElement | undefined): string | null {
    const host = reference(element, 'attachedToRef');
    if (!host) {
      this.report(element, 'reference', 'a boundary event must be attached to an activity');
      return null;
    }
    // Other kinds of boundary event are refused for what they are; only timers get this far.
    if (definition?.$type === 'bpmn:TimerEventDefinition' && host.$type !== 'bpmn:UserTask') {
      this.report(
        element,
        'unsupported',
        `boundary events are supported on user tasks only, not on ${host.$type}`,
      );
    }
    return idOf(host);
  }

  /**
   * A timer's time: an ISO 8601 duration or date and time as written (`PT8H`, `2026-12-01T08:00Z`),
   * or FEEL after a leading `=`. Cycles repeat, which a catch event cannot: refused.
   */
  private timer(
    element: ModdleElement,
    definition: ModdleElement | undefined,
  ): { expression: string } | null {
    if (!definition) {
      this.report(element, 'structure', 'a timer event needs a timer definition');
      return null;
    }
    // Other event definitions are refused where the node is read.
    if (definition.$type !== 'bpmn:TimerEventDefinition') return null;
    const duration = reference(definition, 'timeDuration');
    const date = reference(definition, 'timeDate');
    if (reference(definition, 'timeCycle') || (duration && date) || (!duration && !date)) {
      this.report(element, 'structure', 'a timer event needs exactly one timeDuration or timeDate');
      return null;
    }
    const body = trimmed((duration ?? date)!, 'body') ?? '';
    if (body.startsWith('=')) {
      const expression = feelText(body);
      this.checkFeel(element, 'its timer', expression);
      return { expression };
    }
    const literal = duration
      ? ISO_DURATION.test(body)
      : !Number.isNaN(Date.parse(body)) && /\d{4}-\d\d-\d\dT/.test(body);
    if (!literal) {
      this.report(
        element,
        'value',
        `its timer "${body}" is not an ISO 8601 ${duration ? 'duration' : 'date and time'}`,
      );
    }
    return { expression: JSON.stringify(body) };
  }

  /** What any activity may carry that changes how tokens pass it. */
  private checkActivity(element: ModdleElement): void {
    if (!element.$instanceOf('bpmn:Activity')) return;
    const loop = reference(element, 'loopCharacteristics');
    if (loop) {
      this.report(
        element,
        'unsupported',
        LOOPS[loop.$type] ?? `${loop.$type} is not supported by the engine`,
      );
    }
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
  }

  /** Which outgoing flows may have conditions depends on what they leave. */
  private checkOutgoing(element: ModdleElement, outgoing: ModdleElement[]): void {
    const conditional = outgoing.filter((f) => f.conditionExpression);
    if (element.$type === 'bpmn:ExclusiveGateway') {
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
            `leaves exclusive gateway ${idOf(element)} without a condition; give it one or make it the default flow`,
          );
        }
      }
    } else if (element.$type === 'bpmn:ParallelGateway') {
      for (const flow of conditional) {
        this.report(
          flow,
          'structure',
          `leaves parallel gateway ${idOf(element)}, which takes every outgoing flow; remove its condition`,
        );
      }
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
    const gateway = element.$type === 'bpmn:ExclusiveGateway' || element.$type === 'bpmn:ParallelGateway';
    if (gateway && outgoing.length === 0) {
      this.report(element, 'structure', 'a gateway needs at least one outgoing flow');
    }
  }

  private flow(element: ModdleElement, container: ModdleElement): SequenceFlow | null {
    const source = this.endpoint(element, 'source', container);
    const target = this.endpoint(element, 'target', container);
    const condition = this.condition(element);
    if (!source || !target) return null;
    return { id: idOf(element), name: text(element, 'name'), source, target, condition };
  }

  /** The id of a flow's source or target, if it is a flow node beside the flow. */
  private endpoint(flow: ModdleElement, end: 'source' | 'target', container: ModdleElement): string | null {
    const node = reference(flow, `${end}Ref`);
    if (!node) {
      if (!this.context.unresolved.has(flow)) this.report(flow, 'reference', `has no ${end}`);
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

  private condition(flow: ModdleElement): string | null {
    const expression = reference(flow, 'conditionExpression');
    if (!expression) return null;
    if (expression.$type !== 'bpmn:FormalExpression') {
      // A plain bpmn:Expression is natural-language text by the specification, not executable.
      this.report(
        flow,
        'unsupported',
        'the condition must be a formal expression (xsi:type="tFormalExpression")',
      );
      return null;
    }
    const language = text(expression, 'language') ?? this.context.expressionLanguage;
    if (language !== null && !FEEL_LANGUAGE.test(language.trim())) {
      this.report(flow, 'unsupported', `conditions in ${language} are not supported; write them in FEEL`);
      return null;
    }
    const condition = feelText(text(expression, 'body') ?? '');
    if (condition === '') {
      this.report(flow, 'value', 'the condition is empty');
      return null;
    }
    this.checkFeel(flow, 'the condition', condition);
    return condition;
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
    return {
      formKey: trimmed(element, 'formKey'),
      candidateRoles: commaList(element, 'candidateRoles'),
      qualifications: commaList(element, 'qualifications'),
      signatureMeaning,
      secondPersonVerification: element.secondPersonVerification === true,
      dueDate,
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
    return { expression, resultVariable: trimmed(element, 'resultVariable') };
  }

  private checkFeel(element: ModdleElement, what: string, expression: string): void {
    const error = feelSyntaxError(expression);
    if (error) {
      const shown = expression.length > 60 ? `${expression.slice(0, 59)}…` : expression;
      this.report(element, 'feel', `${what} "${shown}" is not valid FEEL: ${error.message}`);
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
