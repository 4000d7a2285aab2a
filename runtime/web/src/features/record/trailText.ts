import type { Meaning } from '@attest/task-form';
import { t, type MessageKey } from '@attest/task-form/i18n';
import { meaningLabel } from '../../ui/SignatureDialog.tsx';
import { fieldText, type AuditEvent, type Dossier, type DossierValue } from './dossier.ts';

// A record's audit trail as a reviewer reads it (C6): each GMP-relevant event in plain language,
// the rest (tasks created, timers, jobs, moves of the process) marked technical.

/** One entry of the trail as the review shows it. */
export interface TrailEntry {
  event: AuditEvent;
  /** What happened, in a sentence; the event's type for a technical event. */
  title: string;
  /** The values it changed, one line each: `Field: old → new unit`. */
  lines: string[];
  technical: boolean;
}

type Change = { path: string; old?: unknown; new?: unknown };

const DISPOSITION_KEYS: Record<string, MessageKey> = {
  assessed: 'trail.assessed',
  accepted: 'trail.accepted',
  deviation: 'trail.deviation',
};

const RECORD_KEYS: Record<string, MessageKey> = {
  'record.created': 'trail.recordCreated',
  'record.updated': 'trail.recordUpdated',
  'record.voided': 'trail.recordVoided',
  'record.migrated': 'trail.recordMigrated',
};

/** The trail of a record in plain language, field names and units taken from its dossier. */
export function trailEntries(dossier: Dossier): TrailEntry[] {
  const fields = new Map<string, DossierValue>();
  const steps = new Map<string, string>();
  for (const step of dossier.steps) {
    steps.set(step.taskId, step.name);
    for (const v of step.values) fields.set(`${step.taskId}${v.pointer}`, v);
  }
  const stepOf = (payload: Record<string, unknown>) =>
    steps.get(String(payload.taskId)) ?? t('trail.unknownStep');
  const field = (payload: Record<string, unknown>, c: Change) =>
    fields.get(`${String(payload.taskId)}${c.path}`);
  /** A field's label as a name before a colon: "What happened?" reads "What happened". */
  const name = (payload: Record<string, unknown>, c: Change) =>
    field(payload, c)?.label.replace(/\s*[?:？：]+$/u, '') ?? c.path;
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  /**
   * A value as the field shows it, without its unit: the unit is said once after the change. A
   * choice reads as its option's label where the record knows it (the value now, or the original).
   */
  const plain = (payload: Record<string, unknown>, c: Change, value: unknown) => {
    const f = field(payload, c);
    if (!f) return value === null || value === undefined ? '—' : JSON.stringify(value);
    const choice = same(value, f.value) ? f.choice : same(value, f.originalValue) ? f.originalChoice : null;
    return fieldText({ ...f, unit: null }, value, choice);
  };
  const unitOf = (payload: Record<string, unknown>, c: Change) => {
    const unit = field(payload, c)?.unit;
    return unit ? ` ${unit}` : '';
  };
  const changes = (payload: Record<string, unknown>) =>
    (Array.isArray(payload.changes) ? payload.changes : []) as Change[];

  const entered = (p: Record<string, unknown>) =>
    changes(p).map((c) =>
      t('trail.value', { field: name(p, c), value: `${plain(p, c, c.new)}${unitOf(p, c)}` }),
    );
  const changed = (p: Record<string, unknown>) =>
    changes(p).map((c) =>
      t('trail.changed', {
        field: name(p, c),
        old: plain(p, c, c.old),
        value: `${plain(p, c, c.new)}${unitOf(p, c)}`,
      }),
    );

  /** What a GMP-relevant event says; null for a technical one. */
  function said(e: AuditEvent): { title: string; lines?: string[] } | null {
    const p = e.payload;
    const meaning = () => meaningLabel(p.meaning as Meaning);
    switch (e.type) {
      case 'form.values_entered':
        return { title: t('trail.entered', { step: stepOf(p) }), lines: entered(p) };
      case 'form.values_corrected':
        return { title: t('trail.corrected', { step: stepOf(p) }), lines: changed(p) };
      case 'form.decision_changed':
        return { title: t('trail.decisionChanged', { step: stepOf(p) }), lines: changed(p) };
      case 'form.values_verified': {
        const values = (Array.isArray(p.values) ? p.values : []) as { pointer: string; value: unknown }[];
        return {
          title: t('trail.verified', { step: stepOf(p) }),
          lines: entered({ ...p, changes: values.map((v) => ({ path: v.pointer, new: v.value })) }),
        };
      }
      case 'signature.applied':
        return {
          title: p.taskId
            ? t('trail.signedStep', { meaning: meaning(), step: stepOf(p) })
            : t('trail.signed', { meaning: meaning() }),
        };
      case 'signature.withdrawn':
        return { title: t('trail.withdrawn', { meaning: meaning() }) };
      case 'exception.raised':
        return { title: t('trail.exception', { message: String(p.message ?? '') }) };
      case 'exception.dispositioned': {
        const key = DISPOSITION_KEYS[String(p.action)];
        const values = { comment: String(p.comment ?? ''), number: String(p.deviationNumber ?? '') };
        return key ? { title: t(key, values) } : null;
      }
      case 'task.completed':
        return { title: t('trail.completed', { step: stepOf(p) }) };
      default:
        return RECORD_KEYS[e.type] ? { title: t(RECORD_KEYS[e.type]!) } : null;
    }
  }

  return dossier.audit.map((event) => {
    const plainly = said(event);
    return plainly
      ? { event, title: plainly.title, lines: plainly.lines ?? [], technical: false }
      : { event, title: event.type, lines: [], technical: true };
  });
}
