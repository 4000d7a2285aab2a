import { t, type MessageKey } from '@attest/task-form/i18n';
import type { Schemas } from '../../api/client.ts';

export type Lot = Schemas['Lot'];
export type LotDetail = Schemas['LotDetail'];
export type LotStatus = Lot['status'];

export const LOT_STATUSES: LotStatus[] = [
  'quarantine',
  'sampled',
  'released',
  'rejected',
  'expired',
  'recalled',
  'returned',
];

export const LOT_STATUS_KEYS: Record<LotStatus, MessageKey> = {
  quarantine: 'lots.status.quarantine',
  sampled: 'lots.status.sampled',
  released: 'lots.status.released',
  rejected: 'lots.status.rejected',
  expired: 'lots.status.expired',
  recalled: 'lots.status.recalled',
  returned: 'lots.status.returned',
};

/** The colours of the lot's labels: yellow waits, green goes, red stops, grey is gone. */
const TONES: Record<LotStatus, string> = {
  quarantine: 'lot-wait',
  sampled: 'lot-wait',
  released: 'lot-go',
  rejected: 'lot-stop',
  expired: 'lot-stop',
  recalled: 'lot-stop',
  returned: 'lot-gone',
};

/** A lot's status as a coloured badge, in the colour its labels print. */
export function LotBadge(props: { status: LotStatus }) {
  return (
    <span class={`badge lot-status ${TONES[props.status]}`} data-status={props.status}>
      {t(LOT_STATUS_KEYS[props.status])}
    </span>
  );
}

/** A quantity with its unit. */
export const lotQuantity = (amount: number, unit: string) => t('lots.quantity', { quantity: amount, unit });
