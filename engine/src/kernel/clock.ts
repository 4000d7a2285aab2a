/** The server clock. Injected so tests can move time; clients never set it (E1). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** The plant's calendar day of an instant, YYYY-MM-DD: what expiry, calibration and due dates are compared to. */
export const plantDate = (at: Date, timeZone: string): string =>
  new Intl.DateTimeFormat('en-CA', { timeZone }).format(at);
