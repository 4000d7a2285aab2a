import type { Where } from './compile.ts';
import type { EventTrigger, NodeKind, TimerSpec } from './graph.ts';

// What the engine executes and how a model writes it: the tables the compiler checks elements against.

export type Trigger = EventTrigger['type'];

/**
 * The flow node types the engine executes, with the triggers each may carry (none unless listed;
 * where a start event is narrows its list further). Every other flow node is refused at import.
 */
export const EXECUTED: Readonly<Record<string, { kind: NodeKind; triggers?: readonly Trigger[] }>> = {
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
export const TRIGGERS: Readonly<Record<string, Trigger>> = {
  'bpmn:TimerEventDefinition': 'timer',
  'bpmn:MessageEventDefinition': 'message',
  'bpmn:SignalEventDefinition': 'signal',
  'bpmn:ErrorEventDefinition': 'error',
  'bpmn:EscalationEventDefinition': 'escalation',
  'bpmn:LinkEventDefinition': 'link',
  'bpmn:TerminateEventDefinition': 'terminate',
};

/** Events that cannot be none events, with what they need instead. */
export const NEEDS_TRIGGER: Readonly<Partial<Record<NodeKind, string>>> = {
  intermediateCatchEvent:
    'an intermediate catch event needs an event definition: timer, message, signal or link',
  boundaryEvent: 'a boundary event needs an event definition: timer, message, signal, error or escalation',
};

/** The activities the engine runs; boundary events wait on these (but not on event sub-processes). */
export const ACTIVITIES: ReadonlySet<NodeKind> = new Set<NodeKind>([
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
export const DATA_ELEMENTS = new Set([
  'bpmn:DataObject',
  'bpmn:DataObjectReference',
  'bpmn:DataStoreReference',
]);

export const LOOPS: Readonly<Record<string, string>> = {
  'bpmn:StandardLoopCharacteristics': 'loop activities are not supported by the engine',
};

/** Handler attempts of a service, send or business-rule task when `attest:retries` is not given. */
export const DEFAULT_RETRIES = 3;

const DURATION = 'P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?';

export const ISO_DURATION = new RegExp(`^${DURATION}$`);

/**
 * `R3/PT1H`: three times an hour apart; `R/P1D`: every day, without end; `R/2026-01-05T08:00:00Z/P1D`:
 * every day at 08:00 UTC from that day on.
 */
export const ISO_CYCLE = new RegExp(
  `^R([1-9]\\d*)?/(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d(:\\d\\d(\\.\\d+)?)?(Z|[+-]\\d\\d:\\d\\d)/)?${DURATION}$`,
);

export const TIMES = { timeDuration: 'duration', timeDate: 'date', timeCycle: 'cycle' } as const;

export const TIMER_LITERALS: Readonly<Record<TimerSpec['type'], string>> = {
  duration: 'an ISO 8601 duration',
  date: 'an ISO 8601 date and time',
  cycle: 'an ISO 8601 repetition such as R3/PT1H, R/P1D or R/2026-01-05T08:00:00Z/P1D',
};

export const SIGNATURE_MEANINGS = ['Performed', 'Verified', 'Reviewed', 'Approved', 'Released', 'Rejected'];

/** `feel`, or the URI by which the DMN specification names FEEL. */
export const FEEL_LANGUAGE = /^(feel|https?:\/\/www\.omg\.org\/spec\/(dmn\/\d+\/feel|feel\/\d+)\/?)$/i;

/** What may trigger a start event, by where it is. */
export const START_TRIGGERS: Readonly<Record<Where['kind'], readonly Trigger[]>> = {
  process: ['timer', 'message', 'signal'],
  embedded: [],
  eventSubProcess: ['timer', 'message', 'signal', 'error', 'escalation'],
};

export const CYCLE_PLACES =
  'a repeating timer (timeCycle) is only allowed on timer start events of a process, on non-interrupting boundary events and on start events of non-interrupting event sub-processes';

export const CONDITION = { one: 'the condition', many: 'conditions' };

export const LOOP_CARDINALITY = { one: 'the loopCardinality', many: 'loop cardinalities' };

export const COMPLETION = { one: 'the completionCondition', many: 'completion conditions' };
