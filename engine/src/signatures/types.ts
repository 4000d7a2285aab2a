import type { Permission } from '../kernel/permissions.ts';

/** What a signature given on a record or a step means (B2). */
export const MEANINGS = ['Performed', 'Verified', 'Reviewed', 'Approved', 'Released', 'Rejected'] as const;
/**
 * Every meaning a stored signature may carry: those above, and `Reopened`, which only the reopening
 * of a closed record gives (D4), never a signature asked for directly.
 */
export const RECORDED_MEANINGS = [...MEANINGS, 'Reopened'] as const;
export type Meaning = (typeof RECORDED_MEANINGS)[number];

/** The authority each meaning needs (A2, B6). */
export const AUTHORITY: Record<Meaning, Permission> = {
  Performed: 'records.perform',
  Verified: 'records.verify',
  Reviewed: 'records.review',
  Approved: 'records.approve',
  Released: 'records.release',
  Rejected: 'records.approve',
  Reopened: 'records.reopen',
};

export function isMeaning(value: string): value is (typeof MEANINGS)[number] {
  return (MEANINGS as readonly string[]).includes(value);
}

/** How a signature shows itself to a person: on screen, in exports and in the PDF (B2). */
export interface Manifestation {
  printedName: string;
  userId: string;
  /** Date and time with zone, e.g. 2026-11-24T08:12:03.512Z (UTC). */
  signedAt: string;
  meaning: Meaning;
  /** One line a person reads: "Approved by Anna Li (anna.li) on 2026-11-24 08:12:03 UTC". */
  text: string;
}

export interface Signature {
  id: string;
  recordId: string;
  recordType: string;
  eventSeq: number;
  signerId: string;
  meaning: Meaning;
  reason: string | null;
  signedAt: string;
  contentHash: string;
  recordVersion: number;
  manifestation: Manifestation;
  /** True when the content signed no longer matches the record as it is now (B4). */
  contentChanged: boolean;
  /** A signature over values of one task (a verification): the task and the values it covers. */
  covers: { taskId: string; pointers: string[] } | null;
  withdrawn: null | { at: string; by: string; reason: string };
  /** Given before the record was reopened (D4): the first reopening after it; null otherwise. */
  precedesReopening: null | { reopeningId: string; at: string };
}
