import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { appendEvents } from '../audit/auditTrail.ts';
import type { FieldChange, Subject } from '../audit/types.ts';
import type { Clock } from '../kernel/clock.ts';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '../kernel/errors.ts';
import { optionalText, requireText } from '../kernel/textInput.ts';
import { eventActor, requirePermission, type Principal } from '../kernel/permissions.ts';
import { recordRepository, type GmpRecord } from './recordRepository.ts';

export interface ValueChange {
  /** JSON pointer into the record content, e.g. `/dispensing/weight`. */
  path: string;
  value: unknown;
}

const LOCKED = new Set(['completed', 'approved', 'released', 'voided']);

function pointerSegments(path: string): string[] {
  if (!path.startsWith('/') || path.length < 2) {
    throw new InputError(`The path ${JSON.stringify(path)} is not a JSON pointer`, [
      { pointer: '/changes', keyword: 'format', message: 'paths must be JSON pointers like /field' },
    ]);
  }
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function readPath(content: Record<string, unknown>, segments: string[]): unknown {
  let node: unknown = content;
  for (const s of segments)
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[s] : undefined;
  return node;
}

function writePath(content: Record<string, unknown>, segments: string[], value: unknown): void {
  let node = content;
  for (const s of segments.slice(0, -1)) {
    const next = node[s];
    node[s] = next !== null && typeof next === 'object' && !Array.isArray(next) ? next : {};
    node = node[s] as Record<string, unknown>;
  }
  node[segments[segments.length - 1] as string] = value;
}

/** Applies recorded field changes to content; verification replays the log with it. */
export function applyChanges(
  content: Record<string, unknown>,
  changes: FieldChange[],
): Record<string, unknown> {
  const next = structuredClone(content);
  for (const c of changes) writePath(next, pointerSegments(c.path), c.new);
  return next;
}

/**
 * A record started from a template changes only through the steps of its process, each with its
 * performer, signature and audit trail; once its process ends, nothing changes it (D4).
 */
async function refuseTemplateRecord(db: Knex.Transaction, id: string, number: string, act: string) {
  const row = await db('records').where({ id }).first('instance_id');
  if (row?.instance_id) {
    throw new NotAllowedError(
      `Record ${number} was started from a template: it is ${act} only through the steps of its process`,
    );
  }
}

export interface RecordService {
  create(
    principal: Principal,
    input: { kind: string; title: string; number?: string; content?: Record<string, unknown> },
  ): Promise<GmpRecord>;
  get(principal: Principal, id: string): Promise<GmpRecord>;
  update(
    principal: Principal,
    id: string,
    input: { version: number; changes: ValueChange[]; reason?: string | null },
  ): Promise<GmpRecord>;
  voidRecord(principal: Principal, id: string, reason: string): Promise<GmpRecord>;
}

/**
 * GMP records as the foundation knows them: created, changed field by field with old and new
 * values (C1), a correction after first entry only with a reason (B3), locked once completed (D4),
 * voided rather than deleted (C2). Templates and processes build on this.
 */
export function createRecordService({ knex, clock }: { knex: Knex; clock: Clock }): RecordService {
  const subject = (id: string): Subject => ({ id, type: 'record' });

  async function create(
    principal: Principal,
    input: { kind: string; title: string; number?: string; content?: Record<string, unknown> },
  ): Promise<GmpRecord> {
    requirePermission(principal, 'records.create');
    const kind = requireText(input.kind, '/kind', 60);
    const title = requireText(input.title, '/title', 200);
    const id = randomUUID();
    const content = input.content ?? {};
    await knex.transaction(async (trx) => {
      const now = clock.now();
      const number = input.number ?? (await recordRepository.nextNumber(trx, kind, now));
      await recordRepository.insert(trx, {
        id,
        number,
        kind,
        title,
        status: 'open',
        content,
        version: 1,
        created_at: now,
        created_by: principal.userId,
        updated_at: now,
      });
      await appendEvents(trx, clock, subject(id), eventActor(principal), [
        {
          type: 'record.created',
          payload: { number, kind, title, status: 'open', content },
        },
      ]);
    });
    return get(principal, id);
  }

  async function get(principal: Principal, id: string): Promise<GmpRecord> {
    requirePermission(principal, 'audit.read');
    const record = await recordRepository.find(knex, id);
    if (!record) throw new NotFoundError(`There is no record ${id}`);
    return record;
  }

  async function update(
    principal: Principal,
    id: string,
    input: { version: number; changes: ValueChange[]; reason?: string | null },
  ): Promise<GmpRecord> {
    requirePermission(principal, 'records.edit');
    const reason = optionalText(input.reason, '/reason', 1000);
    return knex.transaction(async (trx) => {
      const record = await recordRepository.find(trx, id);
      if (!record) throw new NotFoundError(`There is no record ${id}`);
      await refuseTemplateRecord(trx, id, record.number, 'changed');
      if (LOCKED.has(record.status))
        throw new NotAllowedError(`Record ${record.number} is ${record.status} and locked`);
      if (record.version !== input.version) {
        throw new ConflictError(
          `Record ${record.number} is at version ${record.version}, not ${input.version}; reload it`,
        );
      }
      const changes: FieldChange[] = input.changes.map((c) => ({
        path: c.path,
        old: readPath(record.content, pointerSegments(c.path)) ?? null,
        new: c.value,
      }));
      const corrected = changes.filter((c) => c.old !== null);
      if (corrected.length > 0 && !reason) {
        throw new InputError('A reason is required to change a value after its first entry', [
          {
            pointer: '/reason',
            keyword: 'required',
            message: `is required to correct ${corrected.map((c) => c.path).join(', ')}`,
          },
        ]);
      }
      const content = applyChanges(record.content, changes);
      if (!(await recordRepository.update(trx, id, record.version, { content, updated_at: clock.now() }))) {
        throw new ConflictError(`Record ${record.number} was changed at the same time; reload it`);
      }
      await appendEvents(trx, clock, subject(id), eventActor(principal), [
        { type: 'record.updated', payload: { changes }, reason },
      ]);
      return (await recordRepository.find(trx, id)) as GmpRecord;
    });
  }

  /** Voids a record: it stays, with everything it held, marked void (C2, B3). */
  async function voidRecord(principal: Principal, id: string, reason: string): Promise<GmpRecord> {
    requirePermission(principal, 'records.void');
    if (!reason?.trim())
      throw new InputError('A reason is required to void a record', [
        { pointer: '/reason', keyword: 'required', message: 'is required' },
      ]);
    const why = requireText(reason, '/reason', 1000);
    return knex.transaction(async (trx) => {
      const record = await recordRepository.find(trx, id);
      if (!record) throw new NotFoundError(`There is no record ${id}`);
      await refuseTemplateRecord(trx, id, record.number, 'voided');
      if (record.status === 'voided') throw new ConflictError(`Record ${record.number} is void already`);
      if (
        !(await recordRepository.update(trx, id, record.version, {
          status: 'voided',
          updated_at: clock.now(),
        }))
      ) {
        throw new ConflictError(`Record ${record.number} was changed at the same time; reload it`);
      }
      await appendEvents(trx, clock, subject(id), eventActor(principal), [
        {
          type: 'record.voided',
          payload: { changes: [{ path: '/status', old: record.status, new: 'voided' }] },
          reason: why,
        },
      ]);
      return (await recordRepository.find(trx, id)) as GmpRecord;
    });
  }

  return { create, get, update, voidRecord };
}
