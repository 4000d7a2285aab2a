/**
 * Formats instants, stored in UTC (E1), as the plant reads them: `2026-11-24 16:30:00 UTC+08:00`.
 * The offset is printed with every time, so a time read off paper is never ambiguous, daylight
 * saving included. Throws a RangeError for a zone Intl does not know.
 */
export function plantTime(timeZone: string): (instant: string | Date) => string {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset',
  });
  return (instant) => {
    const parts = Object.fromEntries(
      format.formatToParts(new Date(instant)).map((part) => [part.type, part.value]),
    ) as Partial<Record<Intl.DateTimeFormatPartTypes, string>>;
    // Intl names the offset from GMT ("GMT+08:00"); at zero it reads as the signatures' "UTC".
    const offset = (parts.timeZoneName ?? 'GMT').replace(/^GMT/, '');
    const zone = offset === '' || /^[+-]00:00$/.test(offset) ? 'UTC' : `UTC${offset}`;
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${zone}`;
  };
}
