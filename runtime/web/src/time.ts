import { language } from '@attest/task-form/i18n';

/** The plant's time zone, from the server once someone is signed in; the browser's before that. */
let plantZone: string = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function setZone(zone: string): void {
  plantZone = zone;
}

/** The time zone times are shown in, named on screen. */
export const zone = (): string => plantZone;

/** An instant stored in UTC, shown in the plant's zone with the zone visible. */
export function formatInstant(iso: string | null): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(language(), {
    timeZone: plantZone,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).format(new Date(iso));
}
