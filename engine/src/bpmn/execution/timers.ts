import { addDuration, dueDateFrom, evaluateFeel, ExpressionError } from '../../feel/feel.ts';
import type { TimerSpec } from '../model/graph.ts';

const CYCLE = /^R(\d*)\/(?:([^/]+)\/)?(P\S+)$/;

/**
 * When a timer is first due, and for a cycle how often and how many more times it fires after that:
 * `R3/PT1H` (three times, the first an hour from now), `R/P1D` (every day, without end),
 * `R/2026-01-05T08:00:00Z/P1D` (every day at 08:00 UTC from that day; repetitions already past are
 * skipped).
 */
export function scheduleTimer(
  timer: TimerSpec,
  variables: Record<string, unknown>,
  now: Date,
): { dueAt: Date; cycle?: { remaining: number | null; every: string } } {
  if (timer.type !== 'cycle') return { dueAt: dueDateFrom(timer.expression, variables, now) };
  const text = evaluateFeel(timer.expression, variables);
  const match = typeof text === 'string' ? CYCLE.exec(text) : null;
  if (!match) {
    throw new ExpressionError(
      `The cycle ${JSON.stringify(text)} is not R<n>/<ISO 8601 duration> or R<n>/<start>/<duration>`,
    );
  }
  const [, count, start, every] = match as unknown as [string, string, string | undefined, string];
  let remaining = count === '' ? null : Number(count) - 1;
  if (start === undefined) return { dueAt: addDuration(now, every), cycle: { remaining, every } };
  let dueAt = new Date(start);
  if (Number.isNaN(dueAt.getTime()))
    throw new ExpressionError(`The cycle start "${start}" is not a date and time`);
  // Skip the repetitions already past; a cycle that ended in the past is never due.
  for (let i = 0; dueAt < now && i < 1_000_000; i++) {
    if (remaining === 0) throw new ExpressionError(`The cycle ${JSON.stringify(text)} ended before now`);
    if (remaining !== null) remaining -= 1;
    const next = addDuration(dueAt, every);
    if (next <= dueAt) throw new ExpressionError(`The cycle ${JSON.stringify(text)} does not advance`);
    dueAt = next;
  }
  return { dueAt, cycle: { remaining, every } };
}
