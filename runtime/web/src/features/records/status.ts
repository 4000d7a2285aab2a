import { t, type MessageKey } from '@attest/task-form/i18n';

const STATUS_KEYS: Record<string, MessageKey> = {
  open: 'status.open',
  closed: 'status.closed',
  held: 'status.held',
  reopened: 'status.reopened',
  cancelled: 'status.cancelled',
  voided: 'status.voided',
};

/** The statuses every record may have, in the order a filter offers them. */
export const STATUSES = Object.keys(STATUS_KEYS);

/** A status in words; a stage a process names (e.g. investigation) is shown as it is. */
export const statusLabel = (status: string) => (STATUS_KEYS[status] ? t(STATUS_KEYS[status]) : status);
