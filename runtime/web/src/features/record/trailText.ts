import type { Meaning } from '@attest/task-form';
import { t, type MessageKey } from '@attest/task-form/i18n';
import { meaningLabel } from '../../ui/SignatureDialog.tsx';
import { fieldText, type AuditEvent, type Dossier, type DossierValue } from './dossier.ts';

// A record's audit trail as a reviewer reads it (C6): each GMP-relevant event in plain language,
// the rest (tasks created, timers, jobs, moves of the process) marked technical.

/** One entry of the trail as the review shows it. */
export interface TrailEntry {
  event: AuditEvent;
  /** What happened, one line per change; empty for a technical event. */
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
  const name = (payload: Record<string, unknown>, c: Change) => field(payload, c)?.label ?? c.path;
  /** A value as the field shows it, without its unit: the unit is said once after the change. */
  const plain = (payload: Record<string, unknown>, c: Change, value: unknown) => {
    const f = field(payload, c);
    if (!f) return value === null || value === undefined ? '—' : JSON.stringify(value);
    return fieldText({ ...f, unit: null }, value, null);
  };
  const unitOf = (payload: Record<string, unknown>, c: Change) => {
    const unit = field(payload, c)?.unit;
    return unit ? ` ${unit}` : '';
  };
  const changes = (payload: Record<string, unknown>) =>
    (Array.isArray(payload.changes) ? payload.changes : []) as Change[];

  function lines(e: AuditEvent): string[] | null {
    const p = e.payload;
    switch (e.type) {
      case 'form.values_entered':
        return changes(p).map((c) =>
          t('trail.entered', {
            field: name(p, c),
            value: `${plain(p, c, c.new)}${unitOf(p, c)}`,
            step: stepOf(p),
          }),
        );
      case 'form.values_corrected':
      case 'form.decision_changed':
        return changes(p).map((c) =>
          t('trail.changed', {
            field: name(p, c),
            old: plain(p, c, c.old),
            value: `${plain(p, c, c.new)}${unitOf(p, c)}`,
          }),
        );
      case 'form.values_verified': {
        const values = (Array.isArray(p.values) ? p.values : []) as (string | Change)[];
        const names = values.map((v) => name(p, typeof v === 'string' ? { path: v } : v));
        return [t('trail.verified', { fields: names.join(', '), step: stepOf(p) })];
      }
      case 'signature.applied':
        return [
          p.taskId
            ? t('trail.signedStep', { meaning: meaningLabel(p.meaning as Meaning), step: stepOf(p) })
            : t('trail.signed', { meaning: meaningLabel(p.meaning as Meaning) }),
        ];
      case 'signature.withdrawn':
        return [t('trail.withdrawn', { meaning: meaningLabel(p.meaning as Meaning) })];
      case 'exception.raised':
        return [t('trail.exception', { message: String(p.message ?? '') })];
      case 'exception.dispositioned': {
        const key = DISPOSITION_KEYS[String(p.action)];
        return key
          ? [t(key, { comment: String(p.comment ?? ''), number: String(p.deviationNumber ?? '') })]
          : null;
      }
      case 'task.completed':
        return [t('trail.completed', { step: stepOf(p) })];
      default:
        return RECORD_KEYS[e.type] ? [t(RECORD_KEYS[e.type]!)] : null;
    }
  }

  return dossier.audit.map((event) => {
    const said = lines(event);
    return { event, lines: said ?? [], technical: said === null };
  });
}
