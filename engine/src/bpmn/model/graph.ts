/**
 * The executable form of a BPMN process: an immutable graph checked once at import. The executor
 * reads nothing else; the XML and the moddle tree are gone by the time a token moves.
 */

/** Element types the engine executes; the compiler refuses every other one at import. */
export type NodeKind =
  | 'startEvent'
  | 'endEvent'
  | 'intermediateThrowEvent'
  | 'intermediateCatchEvent'
  | 'boundaryEvent'
  | 'task'
  | 'manualTask'
  | 'userTask'
  | 'scriptTask'
  | 'serviceTask'
  | 'sendTask'
  | 'receiveTask'
  | 'businessRuleTask'
  | 'subProcess'
  | 'callActivity'
  | 'exclusiveGateway'
  | 'parallelGateway'
  | 'inclusiveGateway'
  | 'eventBasedGateway';

/**
 * When a timer is due. `expression` is FEEL: for a literal in the model (`PT8H`) it is that text
 * quoted. A duration counts from when the timer starts; a cycle (`R3/PT1H`, `R/P1D`) repeats.
 */
export interface TimerSpec {
  type: 'duration' | 'date' | 'cycle';
  expression: string;
}

/** What an event waits for or throws; null on a FlowNode means a none event. */
export type EventTrigger =
  | { type: 'timer'; timer: TimerSpec }
  /** `correlationKey`: FEEL over the variables, from `attest:correlationKey` on the bpmn:Message. */
  | { type: 'message'; name: string; correlationKey: string | null }
  | { type: 'signal'; name: string }
  /** Code null: a catch event that catches every error (or escalation). Throw events always name one. */
  | { type: 'error'; code: string | null }
  | { type: 'escalation'; code: string | null }
  | { type: 'link'; name: string }
  | { type: 'terminate' };

/** GMP attributes of a user task (the `attest:` extension). */
export interface UserTaskSpec {
  /** Form key and version, e.g. `dispensing@2` (or `dispensing`: the latest); null for a task without a form. */
  formKey: string | null;
  /** The form version the deployment pinned (set at deployment, not by the compiler). */
  formId?: string;
  formVersion?: number;
  candidateRoles: string[];
  /** SOP ids whose current qualification the performer needs (A8). */
  qualifications: string[];
  /** Meaning of the signature that completes the task, if it must be signed. */
  signatureMeaning: string | null;
  /** A second person must verify critical entries (E5). */
  secondPersonVerification: boolean;
  /** FEEL expression giving the due date or a duration from creation, e.g. `duration("PT8H")`. */
  dueDate: string | null;
  /** FEEL giving the user name of the one person who may work on the task (e.g. an action's owner). */
  assignee: string | null;
  /**
   * Segregation of duties (B5): element ids of user tasks of the same instance whose performer may
   * not work on this one, and `initiator` for whoever started the instance.
   */
  separateFrom: string[];
  /**
   * FEEL over the completion data and variables: when true, the signature completing the task is a
   * rejection (meaning Rejected, reason required) rather than `signatureMeaning`.
   */
  rejectWhen: string | null;
  /**
   * What the step reviews beside its own form: the record under review (values with provenance,
   * exceptions, signatures) or its audit trail (C6). Absent in graphs compiled before it existed.
   */
  reviewOf?: ReviewOf | null;
  /**
   * The step may be done ahead of the flow (F1), as an e-signed, reasoned override recorded as an
   * exception; its values stand when the process reaches it. Absent in graphs compiled before it.
   */
  outOfOrder?: boolean;
}

/** What a review step shows of its record (`attest:reviewOf`). */
export const REVIEW_OF = ['record', 'auditTrail'] as const;
export type ReviewOf = (typeof REVIEW_OF)[number];

/** One variable mapping: `target` receives the value of the FEEL `source`. */
export interface Mapping {
  source: string;
  target: string;
}

/**
 * Multi-instance: the activity runs once per item of a FEEL collection (or `cardinality` times),
 * one after the other or all at once, until all are done or the completion condition holds.
 */
export interface MultiInstanceSpec {
  sequential: boolean;
  /** FEEL giving a list; each inner instance gets one item in `elementVariable`. */
  collection: string | null;
  /** FEEL giving a count; used when there is no collection. */
  cardinality: string | null;
  elementVariable: string | null;
  /** FEEL over the variables and nrOfInstances, nrOfCompletedInstances, nrOfActiveInstances. */
  completionCondition: string | null;
  /** Variable receiving the list of each inner instance's `outputElement`, in item order. */
  outputCollection: string | null;
  /** FEEL evaluated in each inner instance when it completes. */
  outputElement: string | null;
}

export interface FlowNode {
  id: string;
  kind: NodeKind;
  name: string | null;
  /** The sub-process the node is in; null for a node directly in the process. */
  parent: string | null;
  /** Ids of incoming and outgoing sequence flows, in document order. */
  incoming: string[];
  outgoing: string[];
  /** Default flow of an exclusive or inclusive gateway. */
  defaultFlow: string | null;
  /** The event definition of an event (or a receive or send task's message); null for none. */
  event: EventTrigger | null;
  userTask: UserTaskSpec | null;
  /**
   * Script task, or business-rule task decided in FEEL: a FEEL expression and the variable that
   * receives its value.
   */
  script: { expression: string; resultVariable: string | null } | null;
  /** Service, send or business-rule task done by a handler registered under `type` (`attest:type`). */
  service: { type: string; retries: number } | null;
  /** Call activity: the key of the process it starts (`calledElement`). */
  calledElement: string | null;
  /** Sub-process: its none start event, and its event sub-processes. */
  subProcess: { start: string | null; triggeredByEvent: boolean; eventSubProcesses: string[] } | null;
  /** Activity: runs once per item (multi-instance). */
  multiInstance: MultiInstanceSpec | null;
  /** Activity: variables mapped in when it starts and out when it completes (`attest:ioMapping`). */
  io: { inputs: Mapping[]; outputs: Mapping[] } | null;
  /** Boundary event: the activity it is attached to. */
  attachedTo: string | null;
  /** Boundary event or event sub-process start: whether firing cancels what it interrupts. */
  interrupting: boolean;
  /** Activity: the boundary events attached to it, in document order. */
  boundaries: string[];
}

export interface SequenceFlow {
  id: string;
  name: string | null;
  source: string;
  target: string;
  /** FEEL condition; null for an unconditional flow. */
  condition: string | null;
}

export interface ProcessGraph {
  /** The process id in the XML: the key new versions are deployed under. */
  key: string;
  name: string | null;
  nodes: Readonly<Record<string, FlowNode>>;
  flows: Readonly<Record<string, SequenceFlow>>;
  /** The none start event of the process, if it has one (at most one). */
  startNodes: string[];
  /** Start events of the process with a trigger: timer, message or signal. */
  triggeredStarts: string[];
  /** Event sub-processes directly in the process. */
  eventSubProcesses: string[];
}

/** One thing wrong with a model, naming the element so a designer can highlight it. */
export interface ModelProblem {
  elementId: string;
  /** BPMN type, e.g. `bpmn:ComplexGateway`. */
  elementType: string;
  name: string | null;
  problem: string;
}
