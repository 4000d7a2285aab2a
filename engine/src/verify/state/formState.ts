import type { Knex } from 'knex';
import { contentHash } from '../../kernel/canonicalJson.ts';
import { chainsOf, changesOf, firstDifference, type Findings } from './findings.ts';

/** Form versions against their events, which carry the whole definition: definition, hash, title, lock. */
export async function checkForms(knex: Knex, findings: Findings): Promise<void> {
  const chains = await chainsOf(knex, ['form'], null, 'forms');
  for (const row of await knex('forms').select('*').orderBy('id')) {
    const events = chains.get(row.id) ?? [];
    const created = events[0];
    if (created?.type !== 'form.created') {
      findings.differs('forms', row.id, `${row.key} ${row.version} has no form.created event`);
      continue;
    }
    let definition = created.payload.definition as Record<string, unknown> | undefined;
    let hash = created.payload.contentHash;
    let locked = false;
    for (const e of events) {
      if (e.type === 'form.revised') {
        definition = e.payload.definition as Record<string, unknown> | undefined;
        hash = changesOf(e).find((c) => c.path === '/contentHash')?.new ?? hash;
      } else if (e.type === 'form.locked') {
        locked = true;
      }
    }
    const title =
      definition === undefined
        ? undefined
        : typeof definition.title === 'string'
          ? definition.title.slice(0, 200)
          : null;
    const column = firstDifference([
      ['key', row.key, created.payload.key],
      ['version', row.version, created.payload.version],
      ['created_by', row.created_by, created.actorId],
      ['content_hash', row.content_hash, hash],
      ['definition', contentHash(row.definition), definition === undefined ? hash : contentHash(definition)],
      ['title', row.title, title],
      ['locked_at', row.locked_at !== null, locked],
    ]);
    if (column)
      findings.differs('forms', row.id, `${row.key} ${row.version}: ${column} differs from its audit trail`);
  }
}

interface ReplayedValue {
  instance_id: string;
  form_id: unknown;
  value: unknown;
  source: unknown;
  device: unknown;
  na_reason: unknown;
  entered: unknown;
  original_value: unknown;
  entered_by: string | null;
  changed_by: string | null;
  change_reason: string | null;
  corrections: number;
  verified_by: string | null;
  verification_id: string | null;
}

/** Values entered in tasks against the entries, corrections and verifications in their instance's chain. */
export async function checkFormValues(knex: Knex, findings: Findings): Promise<void> {
  const chains = await chainsOf(
    knex,
    ['instance'],
    (q) => q.whereIn('type', ['form.values_entered', 'form.values_corrected', 'form.values_verified']),
    { table: 'form_values', column: 'instance_id' },
  );
  const values = new Map<string, ReplayedValue>();
  const key = (taskId: unknown, pointer: unknown) => `${String(taskId)} ${String(pointer)}`;
  for (const events of chains.values()) {
    for (const e of events) {
      const taskId = e.payload.taskId;
      if (e.type === 'form.values_verified') {
        for (const v of (e.payload.values as { pointer: string }[] | undefined) ?? []) {
          const row = values.get(key(taskId, v.pointer));
          if (row) {
            row.verified_by = e.actorId;
            row.verification_id = e.payload.signatureId as string;
          }
        }
        continue;
      }
      for (const c of changesOf(e) as unknown as Record<string, unknown>[]) {
        const provenance = {
          value: c.new ?? null,
          source: c.source,
          device: c.device ?? null,
          na_reason: c.naReason ?? null,
          entered: c.entered ?? null,
        };
        const k = key(taskId, c.path);
        const before = values.get(k);
        if (e.type === 'form.values_entered' || !before) {
          values.set(k, {
            instance_id: e.recordId,
            form_id: e.payload.formId,
            ...provenance,
            original_value: c.new ?? null,
            entered_by: e.actorId,
            changed_by: null,
            change_reason: null,
            corrections: 0,
            verified_by: null,
            verification_id: null,
          });
        } else {
          Object.assign(before, provenance, {
            changed_by: e.actorId,
            change_reason: e.reason,
            corrections: before.corrections + 1,
            verified_by: null,
            verification_id: null,
          });
        }
      }
    }
  }
  for (const row of await knex('form_values').select('*').orderBy(['task_id', 'pointer'])) {
    const id = `${row.task_id} ${row.pointer}`;
    const value = values.get(id);
    if (!value) {
      findings.differs('form_values', id, `${row.pointer} has no form.values_entered event`);
      continue;
    }
    const column = firstDifference([
      ['instance_id', row.instance_id, value.instance_id],
      ['form_id', row.form_id, value.form_id],
      ['value', row.value, value.value],
      ['source', row.source, value.source],
      ['device', row.device, value.device],
      ['na_reason', row.na_reason, value.na_reason],
      ['entered', row.entered, value.entered],
      ['original_value', row.original_value, value.original_value],
      ['entered_by', row.entered_by, value.entered_by],
      ['changed_by', row.changed_by, value.changed_by],
      ['change_reason', row.change_reason, value.change_reason],
      ['corrections', row.corrections, value.corrections],
      ['verified_by', row.verified_by, value.verified_by],
      ['verification_id', row.verification_id, value.verification_id],
    ]);
    if (column) findings.differs('form_values', id, `${row.pointer}: ${column} differs from its audit trail`);
  }
}

/** Exceptions against `exception.raised`, which states every fact of them (their status: exceptionState.ts). */
export async function checkExceptions(knex: Knex, findings: Findings): Promise<void> {
  const chains = await chainsOf(knex, ['instance'], (q) => q.where('type', 'exception.raised'), {
    table: 'exceptions',
    column: 'instance_id',
  });
  const raised = new Map<
    string,
    { instanceId: string; actorId: string | null; payload: Record<string, unknown> }
  >();
  for (const events of chains.values()) {
    for (const e of events) {
      raised.set(e.payload.exceptionId as string, {
        instanceId: e.recordId,
        actorId: e.actorId,
        payload: e.payload,
      });
    }
  }
  for (const row of await knex('exceptions').select('*').orderBy('id')) {
    const e = raised.get(row.id);
    if (!e) {
      findings.differs('exceptions', row.id, `${row.type} has no exception.raised event`);
      continue;
    }
    const p = e.payload;
    const column = firstDifference([
      ['instance_id', row.instance_id, e.instanceId],
      ['task_id', row.task_id, p.taskId ?? null],
      ['pointer', row.pointer, p.pointer ?? null],
      ['type', row.type, p.exceptionType],
      ['severity', row.severity, p.severity],
      ['blocking', row.blocking, p.blocking],
      ['message', row.message, p.message],
      ['details', row.details, p.details],
      ['raised_by', row.raised_by, e.actorId],
    ]);
    if (column)
      findings.differs('exceptions', row.id, `${row.type}: ${column} differs from exception.raised`);
  }
}
