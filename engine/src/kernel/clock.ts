/** The server clock. Injected so tests can move time; clients never set it (E1). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
