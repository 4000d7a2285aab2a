import type { CreateTarget } from '../../unsupported.ts';

/** What the palette offers: each entry creates one element the engine executes. */
export interface PaletteEntry {
  /** The palette's key for it, `create.<id>`. */
  id: string;
  group: 'event' | 'gateway' | 'activity';
  /** The bpmn-font icon. */
  className: string;
  title: string;
  target: CreateTarget & {
    /** Expanded sub-processes are drawn open, with a start event inside. */
    isExpanded?: boolean;
    /** Attributes the new element starts with. */
    attrs?: Readonly<Record<string, string>>;
  };
}

export const PALETTE: readonly PaletteEntry[] = [
  {
    id: 'start-event',
    group: 'event',
    className: 'bpmn-icon-start-event-none',
    title: 'Start event',
    target: { type: 'bpmn:StartEvent' },
  },
  {
    id: 'timer-catch-event',
    group: 'event',
    className: 'bpmn-icon-intermediate-event-catch-timer',
    title: 'Timer: wait, or drop on a task to act when it is due',
    target: { type: 'bpmn:IntermediateCatchEvent', eventDefinitionType: 'bpmn:TimerEventDefinition' },
  },
  {
    id: 'message-catch-event',
    group: 'event',
    className: 'bpmn-icon-intermediate-event-catch-message',
    title: 'Message: wait for a message',
    target: { type: 'bpmn:IntermediateCatchEvent', eventDefinitionType: 'bpmn:MessageEventDefinition' },
  },
  {
    id: 'end-event',
    group: 'event',
    className: 'bpmn-icon-end-event-none',
    title: 'End event',
    target: { type: 'bpmn:EndEvent' },
  },
  {
    id: 'exclusive-gateway',
    group: 'gateway',
    className: 'bpmn-icon-gateway-xor',
    title: 'Exclusive gateway: one way, by condition',
    target: { type: 'bpmn:ExclusiveGateway' },
  },
  {
    id: 'parallel-gateway',
    group: 'gateway',
    className: 'bpmn-icon-gateway-parallel',
    title: 'Parallel gateway: every way at once, then wait for all',
    target: { type: 'bpmn:ParallelGateway' },
  },
  {
    id: 'inclusive-gateway',
    group: 'gateway',
    className: 'bpmn-icon-gateway-or',
    title: 'Inclusive gateway: every way whose condition holds',
    target: { type: 'bpmn:InclusiveGateway' },
  },
  {
    id: 'event-based-gateway',
    group: 'gateway',
    className: 'bpmn-icon-gateway-eventbased',
    title: 'Event-based gateway: the way of the first event',
    target: { type: 'bpmn:EventBasedGateway' },
  },
  {
    id: 'user-task',
    group: 'activity',
    className: 'bpmn-icon-user-task',
    title: 'User task: a step a person does, with a form',
    target: { type: 'bpmn:UserTask' },
  },
  {
    id: 'service-task',
    group: 'activity',
    className: 'bpmn-icon-service-task',
    title: 'Service task: work a plugin does',
    target: { type: 'bpmn:ServiceTask' },
  },
  {
    id: 'script-task',
    group: 'activity',
    className: 'bpmn-icon-script-task',
    title: 'Script task: compute a value in FEEL',
    target: { type: 'bpmn:ScriptTask', attrs: { scriptFormat: 'feel' } },
  },
  {
    id: 'call-activity',
    group: 'activity',
    className: 'bpmn-icon-call-activity',
    title: 'Call activity: start a record of another template',
    target: { type: 'bpmn:CallActivity' },
  },
  {
    id: 'subprocess-expanded',
    group: 'activity',
    className: 'bpmn-icon-subprocess-expanded',
    title: 'Sub-process',
    target: { type: 'bpmn:SubProcess', isExpanded: true },
  },
];
