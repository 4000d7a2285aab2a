import { language } from './i18n/index.ts';

/** The time zone times are shown in: the browser's, named on screen. */
export const zone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** An instant stored in UTC, shown in the zone with the zone visible. */
export function formatInstant(iso: string | null): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(language(), {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).format(new Date(iso));
}
