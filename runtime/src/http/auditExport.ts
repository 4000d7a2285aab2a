import { InputError, type AuditEvent, type Engine, type EventFilter, type Principal } from '@attest/engine';
import { CSV, listOf } from './components.ts';
import { download, ok } from './operation.ts';
import { dateTime, jsonPointer, object, oneOf, uuid, type Infer } from './schema.ts';

/** The filters of an audit trail (C5): by user, by time and by field path. */
export const auditQuery = object(
  {
    actor: uuid('Only what this user did (user id)'),
    from: dateTime('From this instant, inclusive'),
    to: dateTime('Until this instant, exclusive'),
    field: jsonPointer('Only events that change this field or one below it, e.g. /dispensing/weight'),
    format: oneOf(['json', 'csv'], 'json (the default) or csv, as a download'),
  },
  [],
);

export type AuditQuery = Infer<typeof auditQuery>;

export const auditResponses = {
  200: {
    description: 'The audit trail, oldest first',
    content: { 'application/json': listOf('events', 'AuditEvent', 'An audit trail'), 'text/csv': CSV },
  },
};

function instant(value: string | undefined, pointer: string): Date | undefined {
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) {
    throw new InputError('The query string is not valid', [
      { pointer, keyword: 'format', message: 'must be a date and time that exists' },
    ]);
  }
  return at;
}

/** The most events one answer carries; a longer trail is read in time slices. */
const MOST_EVENTS = 10_000;

/**
 * Reads the filtered audit trail of a record or user. A trail longer than one answer carries is
 * refused rather than cut short: an export that silently lacks entries would mislead its reader.
 */
export async function readTrail(
  engine: Engine,
  principal: Principal,
  subject: string | (() => Promise<string>),
  query: AuditQuery,
): Promise<AuditEvent[]> {
  // The filters are checked before the subject is looked up: a bad query is a 400 whatever it names.
  const from = instant(query.from, '/from');
  const to = instant(query.to, '/to');
  const filter: EventFilter = {
    recordId: typeof subject === 'string' ? subject : await subject(),
    actorId: query.actor,
    from,
    to,
    field: query.field,
    limit: MOST_EVENTS + 1,
  };
  const events = await engine.audit.trail(principal, filter);
  if (events.length > MOST_EVENTS) {
    throw new InputError(`The trail has more than ${MOST_EVENTS} entries; narrow it with from and to`, [
      { pointer: '/from', keyword: 'maxItems', message: `selects more than ${MOST_EVENTS} entries` },
    ]);
  }
  return events;
}

const HEADER = [
  'recordId',
  'seq',
  'at',
  'type',
  'actorId',
  'actorName',
  'field',
  'oldValue',
  'newValue',
  'reason',
  'details',
  'hash',
];

const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * One RFC 4180 field. A text that a spreadsheet would take for a formula gets a leading
 * apostrophe so it is shown, not run; the JSON export carries every value exactly.
 */
function field(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !NUMBER.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

const cell = (value: unknown): string =>
  value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);

/** One row per field change, or one row for an event that changes no field. */
function rows(event: AuditEvent): string[][] {
  const { changes, ...rest } = event.payload as { changes?: { path: string; old: unknown; new: unknown }[] };
  const details = Array.isArray(changes) ? (Object.keys(rest).length > 0 ? rest : null) : event.payload;
  const common = (change?: { path: string; old: unknown; new: unknown }) => [
    event.recordId,
    String(event.seq),
    event.at,
    event.type,
    cell(event.actorId),
    event.actorName,
    cell(change?.path),
    cell(change?.old),
    cell(change?.new),
    cell(event.reason),
    cell(details),
    event.hash,
  ];
  return Array.isArray(changes) && changes.length > 0 ? changes.map(common) : [common()];
}

export function auditCsv(events: AuditEvent[]): string {
  return [HEADER, ...events.flatMap(rows)].map((row) => row.map(field).join(',') + '\r\n').join('');
}

export function auditReply(events: AuditEvent[], format: AuditQuery['format'], subjectId: string) {
  if (format !== 'csv') return ok({ events });
  return download(
    auditCsv(events),
    'text/csv; charset=utf-8; header=present',
    `audit-trail-${subjectId}.csv`,
  );
}
