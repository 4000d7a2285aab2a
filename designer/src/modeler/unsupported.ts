/**
 * What the engine refuses at import, as the modeler needs it before anything reaches the server:
 * the palette offers none of it, the rules refuse it and the lint names it. The engine's compiler
 * stays the judge; the designer's tests hold this list to it.
 */

const TIMER = 'bpmn:TimerEventDefinition';
const MESSAGE = 'bpmn:MessageEventDefinition';
const SIGNAL = 'bpmn:SignalEventDefinition';
const ERROR = 'bpmn:ErrorEventDefinition';
const ESCALATION = 'bpmn:EscalationEventDefinition';
const LINK = 'bpmn:LinkEventDefinition';
const TERMINATE = 'bpmn:TerminateEventDefinition';

/** The flow nodes the engine executes, with the event definitions each may carry. */
const EXECUTED: Readonly<Record<string, readonly string[]>> = {
  'bpmn:StartEvent': [TIMER, MESSAGE, SIGNAL, ERROR, ESCALATION],
  'bpmn:EndEvent': [TERMINATE, ERROR, ESCALATION, MESSAGE, SIGNAL],
  'bpmn:IntermediateThrowEvent': [MESSAGE, SIGNAL, ESCALATION, LINK],
  'bpmn:IntermediateCatchEvent': [TIMER, MESSAGE, SIGNAL, LINK],
  'bpmn:BoundaryEvent': [TIMER, MESSAGE, SIGNAL, ERROR, ESCALATION],
  'bpmn:Task': [],
  'bpmn:ManualTask': [],
  'bpmn:UserTask': [],
  'bpmn:ScriptTask': [],
  'bpmn:ServiceTask': [],
  'bpmn:SendTask': [],
  'bpmn:ReceiveTask': [],
  'bpmn:BusinessRuleTask': [],
  'bpmn:SubProcess': [],
  'bpmn:CallActivity': [],
  'bpmn:ExclusiveGateway': [],
  'bpmn:ParallelGateway': [],
  'bpmn:InclusiveGateway': [],
  'bpmn:EventBasedGateway': [],
};

/** Flow nodes, loop markers and event definitions the engine refuses wherever they are, and why. */
const REFUSED: Readonly<Record<string, string>> = {
  'bpmn:ComplexGateway':
    'complex gateways are not supported by the engine; use an exclusive, inclusive or parallel gateway',
  'bpmn:Transaction': 'transactions are not supported by the engine; use a sub-process',
  'bpmn:AdHocSubProcess': 'ad-hoc sub-processes are not supported by the engine; use a sub-process',
  'bpmn:ImplicitThrowEvent': 'implicit throw events are not supported by the engine',
  'bpmn:ChoreographyTask': 'choreographies are not supported by the engine',
  'bpmn:SubChoreography': 'choreographies are not supported by the engine',
  'bpmn:CallChoreography': 'choreographies are not supported by the engine',
  'bpmn:StandardLoopCharacteristics':
    'loops are not supported by the engine; use multi-instance or a gateway that leads back',
  'bpmn:CompensateEventDefinition': 'compensation is not supported by the engine',
  'bpmn:ConditionalEventDefinition':
    'conditional events are not supported by the engine; use a gateway with a condition',
  'bpmn:CancelEventDefinition': 'cancel events are not supported by the engine',
};

const EVENT_NAMES: Readonly<Record<string, string>> = {
  'bpmn:StartEvent': 'a start event',
  'bpmn:EndEvent': 'an end event',
  'bpmn:IntermediateThrowEvent': 'an intermediate throw event',
  'bpmn:IntermediateCatchEvent': 'an intermediate catch event',
  'bpmn:BoundaryEvent': 'a boundary event',
};

/** `bpmn:TimerEventDefinition` → `timer`. */
function trigger(definitionType: string): string {
  return definitionType
    .replace(/^bpmn:|EventDefinition$/g, '')
    .replace(/\B[A-Z]/g, (c) => ` ${c}`)
    .toLowerCase();
}

/**
 * Why the engine refuses an element of this type (with this event definition, for events), or
 * null when it does not. Types the engine leaves aside (data, annotations, pools) are not refused.
 */
export function unsupportedReason(type: string, eventDefinitionType?: string): string | null {
  const refused = REFUSED[type];
  if (refused) return refused;
  const triggers = EXECUTED[type];
  if (!triggers || !eventDefinitionType) return null;
  if (triggers.includes(eventDefinitionType)) return null;
  const definitionRefused = REFUSED[eventDefinitionType];
  if (definitionRefused) return definitionRefused;
  const allowed = triggers.map(trigger);
  const list =
    allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}` : (allowed[0] ?? 'none');
  return `${EVENT_NAMES[type] ?? type} cannot be a ${trigger(eventDefinitionType)} event; it can be ${list}`;
}

/** The part of a moddle element the checks read (bpmn-js's business objects are such elements). */
export interface ModdleLike {
  readonly $type: string;
  readonly id?: string;
  readonly name?: string;
  readonly eventDefinitions?: readonly ModdleLike[];
  readonly loopCharacteristics?: ModdleLike;
  readonly isForCompensation?: boolean;
  readonly instantiate?: boolean;
  readonly conditionExpression?: ModdleLike;
  readonly sourceRef?: ModdleLike;
  /** An activity's or gateway's default flow. */
  readonly default?: ModdleLike;
  $instanceOf(type: string): boolean;
}

/**
 * Everything about one element that the engine refuses as unsupported: its type, its event
 * definitions, its loop marker and the few attributes that change how tokens pass it. What the
 * properties panel fixes (a script's language, an expression) is left to the server's check.
 */
export function elementReasons(element: ModdleLike): string[] {
  const reasons: string[] = [];
  const type = unsupportedReason(element.$type);
  if (type) reasons.push(type);
  const definitions = element.eventDefinitions ?? [];
  if (definitions.length > 1) {
    reasons.push('events with several definitions are not supported by the engine; use one per event');
  }
  for (const definition of definitions) {
    const reason = unsupportedReason(element.$type, definition.$type);
    if (reason && !reasons.includes(reason)) reasons.push(reason);
  }
  const loop = element.loopCharacteristics && unsupportedReason(element.loopCharacteristics.$type);
  if (loop) reasons.push(loop);
  if (element.default && element.$instanceOf('bpmn:Activity')) {
    reasons.push('default flows from activities are not supported; use an exclusive gateway');
  }
  if (element.isForCompensation === true) {
    reasons.push('compensation handlers are not supported by the engine');
  }
  if (element.$type === 'bpmn:EventBasedGateway' && element.instantiate === true) {
    reasons.push(
      'event-based gateways that start the process are not supported; use a message or signal start event',
    );
  }
  if (element.$type === 'bpmn:SequenceFlow') reasons.push(...flowReasons(element));
  return reasons;
}

/** Conditions belong on the flows that leave gateways; the engine refuses them elsewhere. */
function flowReasons(flow: ModdleLike): string[] {
  const source = flow.sourceRef;
  if (!flow.conditionExpression || !source || source.$instanceOf('bpmn:Gateway')) return [];
  const from = source.$instanceOf('bpmn:Activity') ? 'activities' : 'events';
  return [`conditional flows from ${from} are not supported; use an exclusive gateway`];
}

/** What a menu or palette entry would create, as bpmn-js describes its targets. */
export interface CreateTarget {
  type: string;
  eventDefinitionType?: string;
  isForCompensation?: boolean;
}

/** Whether a menu entry creating this target should be offered. */
export function isOffered(target: CreateTarget): boolean {
  return (
    target.isForCompensation !== true && unsupportedReason(target.type, target.eventDefinitionType) === null
  );
}
