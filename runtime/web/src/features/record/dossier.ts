import { t, type MessageKey } from '@attest/task-form/i18n';
import { request } from '../../api.ts';
import { formatInstant } from '../../time.ts';

// A record's dossier (`GET /api/records/{id}/dossier`) and how its parts read.

export interface Person {
  id: string;
  username: string;
  printedName: string;
}

export interface DossierValue {
  pointer: string;
  label: string;
  unit: string | null;
  critical: boolean;
  type: string;
  value: unknown;
  choice: string | null;
  source: 'manual' | 'device' | 'calculated';
  device: { deviceId: string; channel: string | null; raw: string } | null;
  naReason: string | null;
  enteredBy: Person | null;
  enteredAt: string;
  changedAfterEntry: boolean;
  originalValue: unknown;
  originalChoice: string | null;
  changedBy: Person | null;
  changedAt: string | null;
  changeReason: string | null;
  verifiedBy: Person | null;
  verifiedAt: string | null;
}

export interface DossierException {
  id: string;
  taskId: string | null;
  step: string | null;
  pointer: string | null;
  severity: string;
  blocking: boolean;
  message: string;
  raisedAt: string;
}

export interface Signature {
  id: string;
  meaning: string;
  reason: string | null;
  contentChanged: boolean;
  manifestation: { text: string };
  withdrawn: { at: string; reason: string } | null;
}

export interface AuditEvent {
  seq: number;
  recordId: string;
  type: string;
  actorId: string | null;
  actorName: string;
  at: string;
  payload: Record<string, unknown>;
  reason: string | null;
  hash: string;
}

export interface Dossier {
  record: {
    id: string;
    number: string;
    title: string;
    status: string;
    template: { id: string; version: string; title: string } | null;
    owner: Person | null;
    createdAt: string;
    dueAt: string | null;
    overdue: boolean;
    parent: { id: string; number: string } | null;
    raisedFrom: { id: string; number: string } | null;
    children: { id: string; number: string; status: string }[];
    openTasks: { id: string; name: string | null; elementId: string }[];
  };
  steps: {
    taskId: string;
    elementId: string;
    name: string;
    status: 'open' | 'completed' | 'cancelled';
    completedAt: string | null;
    completedBy: Person | null;
    form: { key: string; version: number; title: string | null } | null;
    values: DossierValue[];
    exceptions: DossierException[];
    signatureIds: string[];
  }[];
  exceptions: DossierException[];
  signatures: Signature[];
  audit: AuditEvent[];
}

const SEVERITY_KEYS: Record<string, MessageKey> = {
  low: 'severity.low',
  medium: 'severity.medium',
  high: 'severity.high',
};
export const severityLabel = (severity: string) =>
  SEVERITY_KEYS[severity] ? t(SEVERITY_KEYS[severity]) : severity;

export const STEP_KEYS: Record<string, MessageKey> = {
  open: 'review.stepOpen',
  completed: 'review.stepCompleted',
  cancelled: 'review.stepCancelled',
};

export const who = (p: Person | null) => (p ? `${p.printedName} (${p.username})` : '—');

/** A value as a reader takes it in: numbers with their unit, lists and objects compactly. */
function valueText(value: unknown, unit: string | null): string {
  if (value === null || value === undefined || value === '') return '—';
  const text =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return unit ? `${text} ${unit}` : text;
}

/** A value of a field: a choice by its label, an instant in the plant's zone, the rest as `valueText`. */
export function fieldText(v: DossierValue, value: unknown, choice: string | null): string {
  if (choice !== null) return choice;
  if (v.type === 'datetime' && typeof value === 'string' && !Number.isNaN(Date.parse(value)))
    return formatInstant(value);
  return valueText(value, v.unit);
}

export function provenanceText(v: DossierValue): string {
  if (v.source === 'device' && v.device)
    return t('review.fromDevice', { device: v.device.deviceId, raw: v.device.raw });
  if (v.source === 'calculated') return t('review.calculated');
  return t('review.manual');
}

export async function loadDossier(idOrNumber: string): Promise<Dossier> {
  return request<Dossier>('GET', `/api/records/${encodeURIComponent(idOrNumber)}/dossier`);
}
