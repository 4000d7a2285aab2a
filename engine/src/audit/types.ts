/** Who did something: a person (id and printed name) or the system itself. */
export interface EventActor {
  userId: string | null;
  printedName: string;
}

export const SYSTEM_ACTOR: EventActor = { userId: null, printedName: 'Attest (system)' };

/**
 * What the audit trail is kept for: a GMP record, a user account, a role, the security log, the
 * ledger, a deployed process definition, a process instance, a form version, a template version,
 * an exception (the decisions QA signs on it), a plugin (found, enabled, refused, loaded), a device (registered, changed),
 * master data (a material with its approved suppliers, a material lot with its containers and
 * transactions, a room, a piece of equipment with its logbook).
 */
export type SubjectType =
  | 'record'
  | 'user'
  | 'role'
  | 'security'
  | 'ledger'
  | 'definition'
  | 'instance'
  | 'form'
  | 'template'
  | 'exception'
  | 'plugin'
  | 'device'
  | 'material'
  | 'lot'
  | 'room'
  | 'equipment';

export interface Subject {
  id: string;
  type: SubjectType;
}

/** One field change: where (JSON pointer), what it was, what it became (C1). */
export interface FieldChange {
  path: string;
  old: unknown;
  new: unknown;
}

export interface EventDraft {
  type: string;
  payload?: Record<string, unknown>;
  reason?: string | null;
}

export interface AuditEvent {
  id: number;
  recordId: string;
  recordType: SubjectType;
  seq: number;
  type: string;
  actorId: string | null;
  actorName: string;
  /** ISO 8601 UTC with milliseconds, from the server clock. */
  at: string;
  payload: Record<string, unknown>;
  reason: string | null;
  prevHash: string;
  hash: string;
}

/** The security log for failed logins with a user name nobody has. */
export const SECURITY_SUBJECT: Subject = { id: '00000000-0000-4000-8000-000000000001', type: 'security' };
/** The global ledger whose seal events chain the heads of all records. */
export const LEDGER_SUBJECT: Subject = { id: '00000000-0000-4000-8000-000000000000', type: 'ledger' };
/**
 * Where the database records each checkpoint written to the sink outside it, so a sink cut short
 * is seen; its own events are not checkpointed (that would never settle).
 */
export const CHECKPOINT_SUBJECT: Subject = { id: '00000000-0000-4000-8000-000000000002', type: 'ledger' };
