import { t, type MessageKey } from '@attest/task-form/i18n';
import { api, type Schemas } from '../../api/client.ts';
import { formatInstant } from '../../time.ts';

// A record's dossier (`GET /api/records/{id}/dossier`) and how its parts read.

/** Everything a reviewer reads of a record, as its printout holds it. */
export type Dossier = Schemas['Dossier'];

/** A value of a step with its provenance, its change after entry and its verification. */
export type DossierValue = Dossier['steps'][number]['values'][number];

export type DossierException = Schemas['DossierException'];

export type Signature = Schemas['Signature'];

export type AuditEvent = Schemas['AuditEvent'];

/** A person as the dossier names them: user name and printed name. */
export type Person = Dossier['generatedBy'];

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
  skipped: 'review.stepSkipped',
};

export const who = (p: Person | null) => (p ? `${p.printedName} (${p.username})` : '—');

/**
 * A value as a reader takes it in: a number with the decimals its field keeps (80.020 kg was weighed
 * to the gram) and its unit, a tick box as yes or no, lists and objects compactly.
 */
function valueText(value: unknown, unit: string | null, decimals: number | null): string {
  if (value === null || value === undefined || value === '') return '—';
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'boolean'
        ? t(value ? 'review.yes' : 'review.no')
        : typeof value === 'number' && decimals !== null
          ? value.toFixed(decimals)
          : typeof value === 'object'
            ? JSON.stringify(value)
            : String(value);
  return unit ? `${text} ${unit}` : text;
}

/** A value of a field: a choice by its label, an instant in the plant's zone, the rest as `valueText`. */
export function fieldText(v: DossierValue, value: unknown, choice: string | null): string {
  if (choice !== null) return choice;
  if (v.type === 'datetime' && typeof value === 'string' && !Number.isNaN(Date.parse(value)))
    return formatInstant(value);
  return valueText(value, v.unit, v.decimals);
}

export function provenanceText(v: DossierValue): string {
  if (v.source === 'device' && v.device)
    return t('review.fromDevice', { device: v.device.deviceId, raw: v.device.raw });
  if (v.source === 'calculated') return t('review.calculated');
  return t('review.manual');
}

export async function loadDossier(idOrNumber: string): Promise<Dossier> {
  return api.get('/api/records/{record}/dossier', { path: { record: idOrNumber } });
}
