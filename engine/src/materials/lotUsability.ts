import { GateRefusal } from '../steps/gates.ts';
import type { LotStatus } from './materialFacts.ts';
import type { LotRow } from './lotRows.ts';

/** Lot status in words for a sentence: "Lot X is …". */
export const STATUS_WORDS: Record<LotStatus, string> = {
  quarantine: 'in quarantine',
  sampled: 'sampled and not yet released',
  released: 'released',
  rejected: 'rejected',
  expired: 'expired',
  returned: 'returned',
  recalled: 'recalled',
};

/**
 * Why a lot may not be used on a plant day, or null: released, not past its expiry date (even
 * before the sweep marks it expired), not past its retest date (F3).
 */
export function usabilityRefusal(row: LotRow, today: string): GateRefusal | null {
  if (row.status === 'expired' || row.expiry_date < today)
    return new GateRefusal(
      `Lot ${row.lot_number} expired on ${row.expiry_date}: it may not be used`,
      'expired',
    );
  if (row.status !== 'released')
    return new GateRefusal(
      `Lot ${row.lot_number} is ${STATUS_WORDS[row.status]}: only a released lot may be used`,
      'status',
    );
  if (row.retest_date !== null && row.retest_date < today)
    return new GateRefusal(
      `Lot ${row.lot_number} was due for retest on ${row.retest_date}: it may not be used until it is retested`,
      'retest_due',
    );
  return null;
}
