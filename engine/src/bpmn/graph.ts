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
  | 'exclusiveGateway'
  | 'parallelGateway';

/** GMP attributes of a user task (the `attest:` extension). */
export interface UserTaskSpec {
  /** Form key and version, e.g. `dispensing@2`; null for a task without a form. */
  formKey: string | null;
  candidateRoles: string[];
  /** SOP ids whose current qualification the performer needs (A8). */
  qualifications: string[];
  /** Meaning of the signature that completes the task, if it must be signed. */
  signatureMeaning: string | null;
  /** A second person must verify critical entries (E5). */
  secondPersonVerification: boolean;
  /** FEEL expression giving the due date or a duration from creation, e.g. `duration("PT8H")`. */
  dueDate: string | null;
}

export interface FlowNode {
  id: string;
  kind: NodeKind;
  name: string | null;
  /** Ids of incoming and outgoing sequence flows, in document order. */
  incoming: string[];
  outgoing: string[];
  /** Default flow of a gateway or activity. */
  defaultFlow: string | null;
  /** End event: terminate the whole instance. */
  terminate: boolean;
  userTask: UserTaskSpec | null;
  /** Script task: a FEEL expression and the variable that receives its value. */
  script: { expression: string; resultVariable: string | null } | null;
  /** Timer catch or boundary event: FEEL giving a duration from when it starts, or a date and time. */
  timer: { expression: string } | null;
  /** Boundary event: the activity it is attached to, and whether firing cancels that activity. */
  attachedTo: string | null;
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
  /** The none start events of the process. */
  startNodes: string[];
}

/** One thing wrong with a model, naming the element so a designer can highlight it. */
export interface ModelProblem {
  elementId: string;
  /** BPMN type, e.g. `bpmn:ComplexGateway`. */
  elementType: string;
  name: string | null;
  problem: string;
}
