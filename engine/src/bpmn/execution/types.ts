import type { EventDraft, FieldChange } from '../../audit/types.ts';

/** What a token rests on between moves. */
export type Wait =
  | 'task'
  | 'join'
  | 'incident'
  | 'timer'
  | 'message'
  | 'signal'
  /** A service, send or business-rule task whose handler runs as a job. */
  | 'job'
  /** A call activity whose called process runs as its own instance. */
  | 'call'
  /** An activity that holds a scope: a sub-process, a multi-instance body or its local variables. */
  | 'scope';

/** Where an incident's element is taken up again when it is retried. */
export type RetryPhase = 'enter' | 'activity' | 'execute' | 'job' | 'listen' | 'settle';

/** A token resting at a wait state; tokens moving between wait states never leave memory. */
export interface Token {
  id: string;
  node: string;
  /** The flow it arrived by: a join counts arrivals per incoming flow. */
  via: string | null;
  /** The scope instance it is in; absent for the process itself. */
  scope?: string;
  wait: Wait;
  taskId?: string;
  incidentId?: string;
  jobId?: string;
  /** A boundary event's token: the token of the activity it is attached to. */
  hostTokenId?: string;
  /** Wait `scope`: the scope instance the activity holds. */
  childScope?: string;
  /** The catch events after an event-based gateway share a group: the first to fire ends the others. */
  group?: string;
  /** Wait `message` or `signal`: what it is subscribed to. */
  subscription?: { name: string; correlationKey: string | null };
  /** A repeating timer: how many times it fires after this one (null: for ever) and how often. */
  cycle?: { remaining: number | null; every: string; dueAt: string };
  /** The start event of an event sub-process, waiting in the scope the sub-process belongs to. */
  eventSubProcess?: true;
  /** Wait `call`: the called instance, once started. */
  childInstanceId?: string;
  /** An incident: where a retry takes the element up again. */
  /** `jobId`: the failed job a retry takes up again; without it a retry schedules the work anew. */
  retry?: { phase: RetryPhase; outermost: boolean; wait?: 'job' | 'call'; jobId?: string };
}

/** A scope instance: a sub-process, a multi-instance body or one of its iterations, or an activity's local variables. */
export interface Scope {
  id: string;
  node: string;
  /** The enclosing scope; null for the process itself. */
  parent: string | null;
  kind: 'subProcess' | 'eventSubProcess' | 'local' | 'multiInstance' | 'iteration';
  variables: Record<string, unknown>;
  /** Iteration: its position among the items. */
  index?: number;
  /** Multi-instance body: the items, how far it got, and the outputs collected per item. */
  mi?: { total: number; items: unknown[] | null; next: number; completed: number; outputs: unknown[] };
}

export type InstanceStatus = 'active' | 'incident' | 'completed' | 'terminated';

export interface NewTask {
  id: string;
  tokenId: string;
  elementId: string;
  name: string | null;
  candidateRoles: string[];
  formKey: string | null;
  dueAt: Date | null;
  /** The user name of the one person who may work on it, from `attest:assignee`. */
  assignee: string | null;
}

export type JobKind = 'timer' | 'service' | 'call' | 'throw' | 'cancel' | 'resume' | 'escalate' | 'start';

/** Work for the job workers (a timer, a handler, a called process): a row, so it survives restarts. */
export interface NewJob {
  id: string;
  tokenId: string;
  elementId: string;
  dueAt: Date;
  kind: JobKind;
  payload: Record<string, unknown> | null;
  /** The instance the job acts on when it is not the one moving (a called instance to cancel). */
  instanceId?: string;
}

export interface NewIncident {
  id: string;
  tokenId: string;
  elementId: string;
  message: string;
}

/** A token waiting for a message or a signal, findable by name across instances. */
export interface NewSubscription {
  tokenId: string;
  elementId: string;
  kind: 'message' | 'signal';
  name: string;
  correlationKey: string | null;
}

/** Everything one move from wait state to wait state changed: written in one transaction. */
export interface Step {
  tokens: Token[];
  scopes: Scope[];
  variables: Record<string, unknown>;
  status: InstanceStatus;
  newTasks: NewTask[];
  cancelledTasks: string[];
  newJobs: NewJob[];
  cancelledJobs: string[];
  /** Failed jobs taken up again by retrying their incident. */
  rescheduledJobs: string[];
  incidents: NewIncident[];
  /** Incidents whose token was ended by something else (an interrupting event, a terminate end). */
  cancelledIncidents: string[];
  newSubscriptions: NewSubscription[];
  /** Token ids whose subscriptions end. */
  closedSubscriptions: string[];
  /** A called instance ended by an error nothing in it caught: the caller's call activity gets it. */
  uncaughtError: { code: string; message: string } | null;
  /** Escalations a called instance did not catch: for its caller's call activity. */
  uncaughtEscalations: string[];
  events: EventDraft[];
}

/** One element to enter: from a flow (`enter`), or an activity taken up inside a scope made for it. */
export interface Item {
  node: string;
  via: string | null;
  scope: string | null;
  phase?: 'activity' | 'execute';
  outermost?: boolean;
}

export interface ExecutionOptions {
  /** The instance was started by a call activity: an error nothing catches goes back to it. */
  called?: boolean;
  scopes?: Scope[];
}

export const pointer = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

export function variableChanges(
  before: Record<string, unknown>,
  set: Record<string, unknown>,
  prefix = '',
): FieldChange[] {
  return Object.entries(set)
    .filter(([k, v]) => !Object.hasOwn(before, k) || JSON.stringify(before[k]) !== JSON.stringify(v))
    .map(([k, v]) => ({ path: `${prefix}/${pointer(k)}`, old: before[k] ?? null, new: v }));
}
