import type { FieldSpec } from '../forms/types.ts';
import type { ValueRow } from '../forms/formRepository.ts';

/** A value of a step as the step view shows it: its provenance, its history and its verification. */
export interface ValueState {
  pointer: string;
  value: unknown;
  source: string;
  device: ValueRow['device'];
  naReason: string | null;
  entered: number | null;
  enteredBy: string;
  enteredAt: string;
  /** Changed after its first entry (D5): the original, who changed it last, when and why. */
  changedAfterEntry: boolean;
  originalValue: unknown;
  changedBy: string | null;
  changedAt: string | null;
  changeReason: string | null;
  verifiedBy: string | null;
  verifiedAt: string | null;
  verificationId: string | null;
  /** Critical, entered by hand, not verified: needs a second person before completion (E5). */
  needsVerification: boolean;
}

/** A stored value as the step view shows it; `field` is the form field it belongs to, if it still has one. */
export const valueState = (v: ValueRow, field: FieldSpec | null | undefined): ValueState => ({
  pointer: v.pointer,
  value: v.value,
  source: v.source,
  device: v.device,
  naReason: v.na_reason,
  entered: v.entered,
  enteredBy: v.entered_by,
  enteredAt: v.entered_at.toISOString(),
  changedAfterEntry: v.corrections > 0,
  originalValue: v.original_value,
  changedBy: v.changed_by,
  changedAt: v.changed_at?.toISOString() ?? null,
  changeReason: v.change_reason,
  verifiedBy: v.verified_by,
  verifiedAt: v.verified_at?.toISOString() ?? null,
  verificationId: v.verification_id,
  needsVerification: Boolean(field?.critical && v.source === 'manual' && v.value !== null && !v.verified_by),
});
