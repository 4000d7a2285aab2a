import type { Knex } from 'knex';
import { eventRepository } from '../audit/eventRepository.ts';
import type { FieldChange } from '../audit/types.ts';
import type { Principal } from '../kernel/permissions.ts';
import type { EquipmentRow } from './equipmentFacts.ts';

/** The record number of the batch a process instance runs, or null for an instance without a record. */
export async function recordNumberOf(
  db: Knex | Knex.Transaction,
  instanceId: string,
): Promise<string | null> {
  const row = (await db('records').where({ instance_id: instanceId }).first('number')) as
    { number: string } | undefined;
  return row?.number ?? null;
}

/**
 * The record number (or the instance id) of a batch whose process has ended, or null while it runs:
 * equipment it still names as in use is free to be cleaned, and dirty until it is.
 */
export async function batchEnded(db: Knex | Knex.Transaction, instanceId: string): Promise<string | null> {
  const row = (await db('process_instances').where({ id: instanceId }).first('status')) as
    { status: string } | undefined;
  if (!row || (row.status !== 'completed' && row.status !== 'terminated')) return null;
  return (await recordNumberOf(db, instanceId)) ?? instanceId;
}

/** One line of an equipment logbook (21 CFR 211.182): what happened, when, by whom, for which batch. */
export interface LogbookEntry {
  seq: number;
  /** ISO 8601 UTC, server time. */
  at: string;
  /** The event: equipment.registered, equipment.used, equipment.cleaned, signature.applied, … */
  type: string;
  by: { userId: string | null; printedName: string };
  /** The batch it was for: its process instance, the task, and the record number where it has one. */
  batch: { instanceId: string; taskId: string | null; recordNumber: string | null } | null;
  /** The facts it changed, old and new (status, clean until, due dates, …). */
  changes: FieldChange[];
  /** What else it states: a certificate or report, a daily check's result, a signature. */
  details: Record<string, unknown>;
  reason: string | null;
}

/** A logbook line as a printout shows it: when, a sentence of what happened, the batch, who, why. */
export interface LogbookPrintoutRow {
  /** ISO 8601 UTC; the printout shows it in the plant's time zone, as every time it prints. */
  at: string;
  what: string;
  batch: string | null;
  by: string;
  reason: string | null;
}

export interface LogbookPrintout {
  equipment: { code: string; name: string; type: string; room: string; status: string };
  /** When the printout was made, ISO 8601 UTC. */
  printedAt: string;
  rows: LogbookPrintoutRow[];
}

export interface Logbook {
  /** Every event of the equipment in order (who, when, which batch, what). */
  logbook(principal: Principal, code: string): Promise<LogbookEntry[]>;
  /** The rows a printed logbook shows; data only, the PDF is the printout's. */
  logbookPrintout(principal: Principal, code: string): Promise<LogbookPrintout>;
}

const NOT_DETAILS = new Set(['changes', 'version', 'instanceId', 'taskId', 'recordNumber']);

/** A sentence of what an entry says, for the printed logbook. */
function sentence(entry: LogbookEntry): string {
  const d = entry.details;
  const status = entry.changes.find((c) => c.path === '/status');
  const to = status ? `: now ${String(status.new).replace(/_/g, ' ')}` : '';
  switch (entry.type) {
    case 'equipment.registered':
      return `Registered (${String(d.status).replace(/_/g, ' ')})`;
    case 'equipment.changed':
      return `Changed ${entry.changes.map((c) => c.path.slice(1)).join(', ')}`;
    case 'equipment.used':
      return 'Used';
    case 'equipment.released':
      return `Released after use${to}`;
    case 'equipment.cleaned': {
      const until = entry.changes.find((c) => c.path === '/cleanUntil')?.new;
      return until ? `Cleaned, clean until ${String(until).slice(0, 16).replace('T', ' ')} UTC` : 'Cleaned';
    }
    case 'equipment.maintenance_started':
      return 'Maintenance started';
    case 'equipment.maintenance_ended':
      return `Maintenance ended${to}`;
    case 'equipment.calibrated':
      return `Calibrated (certificate ${String(d.certificate)}), next due ${String(entry.changes[0]?.new ?? '')}`;
    case 'equipment.qualified':
      return `Qualified (report ${String(d.report)}), next due ${String(entry.changes[0]?.new ?? '')}`;
    case 'equipment.daily_check':
      return d.passed ? 'Daily check passed' : `Daily check failed${to}`;
    case 'equipment.status_set':
      return `Status set${to}`;
    case 'signature.applied':
      return `Signed: ${String(d.meaning)}`;
    default:
      return entry.type;
  }
}

export function createLogbook(deps: {
  knex: Knex;
  clock: { now(): Date };
  /** The equipment of a code, for whoever may read it (refused otherwise). */
  find(principal: Principal, code: string): Promise<EquipmentRow>;
}): Logbook {
  const { knex, clock, find } = deps;

  async function entriesOf(row: EquipmentRow): Promise<LogbookEntry[]> {
    const events = await eventRepository.list(knex, { recordId: row.id });
    return events.map((e) => {
      const p = e.payload;
      return {
        seq: e.seq,
        at: e.at,
        type: e.type,
        by: { userId: e.actorId, printedName: e.actorName },
        batch:
          typeof p.instanceId === 'string'
            ? {
                instanceId: p.instanceId,
                taskId: (p.taskId as string | undefined) ?? null,
                recordNumber: (p.recordNumber as string | null | undefined) ?? null,
              }
            : null,
        changes: Array.isArray(p.changes) ? (p.changes as FieldChange[]) : [],
        details: Object.fromEntries(Object.entries(p).filter(([k]) => !NOT_DETAILS.has(k))),
        reason: e.reason,
      };
    });
  }

  return {
    logbook: async (principal, code) => entriesOf(await find(principal, code)),
    async logbookPrintout(principal, code) {
      const row = await find(principal, code);
      const entries = await entriesOf(row);
      return {
        equipment: { code: row.code, name: row.name, type: row.type, room: row.room, status: row.status },
        printedAt: clock.now().toISOString(),
        rows: entries.map((entry) => ({
          at: entry.at,
          what: sentence(entry),
          batch: entry.batch ? (entry.batch.recordNumber ?? entry.batch.instanceId) : null,
          by: entry.by.printedName,
          reason: entry.reason,
        })),
      };
    },
  };
}
