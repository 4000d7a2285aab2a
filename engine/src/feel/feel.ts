import { isFunction, isRange } from 'feelin';
import { isForbiddenKey } from '../kernel/forbiddenKeys.ts';
import { compileFast, Fallback, type Compiled } from './feelFast.ts';
import { evaluateBounded, FeelLimitError } from './feelGuard.ts';
import { FEEL_LIMITS } from './feelLimits.ts';

/** An expression that failed at run time: becomes an incident on the instance, never a crash. */
export class ExpressionError extends Error {}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Expressions compiled by the fast path (null: feelin evaluates them), kept per expression text. */
const compiled = new Map<string, Compiled | null>();

function fastPath(expression: string): Compiled | null {
  // Too long for feelin's guards is too long here too: the guarded path refuses it with the reason.
  if (expression.length > FEEL_LIMITS.characters) return null;
  let fast = compiled.get(expression);
  if (fast === undefined) {
    try {
      fast = compileFast(expression);
    } catch {
      fast = null;
    }
    if (compiled.size >= 10_000) compiled.clear();
    compiled.set(expression, fast);
  }
  return fast;
}

/**
 * Evaluates FEEL over the instance's variables and returns what FEEL returned (feelin values).
 * Everyday expressions over numbers, strings and booleans run compiled; feelin decides the rest,
 * within FEEL_LIMITS (an expression beyond them fails like any other).
 */
export function evaluateFeelRaw(expression: string, variables: Record<string, unknown>): unknown {
  const fast = fastPath(expression);
  if (fast) {
    try {
      return fast(variables);
    } catch (error) {
      if (!(error instanceof Fallback)) throw error;
    }
  }
  try {
    return evaluateBounded(expression, variables);
  } catch (error) {
    const shown = expression.length > 200 ? `${expression.slice(0, 199)}…` : expression;
    if (error instanceof FeelLimitError) {
      throw new ExpressionError(`The expression "${shown}" exceeds the FEEL limits: ${error.message}`);
    }
    throw new ExpressionError(`The expression "${shown}" failed: ${(error as Error).message}`);
  }
}

/** Evaluates FEEL and turns the result into JSON, the only thing variables may hold. */
export function evaluateFeel(expression: string, variables: Record<string, unknown>): Json {
  return toJson(evaluateFeelRaw(expression, variables), expression);
}

function toJson(value: unknown, expression: string): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ExpressionError(`The expression "${expression}" gave ${value}`);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => toJson(v, expression));
  if (isFunction(value) || isRange(value)) {
    throw new ExpressionError(
      `The expression "${expression}" gave a function or range, which cannot be stored`,
    );
  }
  if (typeof value === 'object') {
    const temporal = value as { iso?: unknown; toString(): string };
    // Dates, times and durations are stored as their ISO 8601 text.
    if ('iso' in temporal && typeof temporal.iso === 'string') return temporal.iso;
    if (value.constructor !== Object) return temporal.toString();
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        if (isForbiddenKey(k))
          throw new ExpressionError(`The expression "${expression}" gave the key "${k}"`);
        return [k, toJson(v, expression)];
      }),
    );
  }
  throw new ExpressionError(`The expression "${expression}" gave a value that cannot be stored`);
}

const DURATION =
  /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Adds an ISO 8601 duration (P1Y2M3DT4H5M6S, P2W) to an instant, in UTC. */
export function addDuration(from: Date, iso: string): Date {
  const m = DURATION.exec(iso);
  if (!m || iso === 'P' || iso.endsWith('T'))
    throw new ExpressionError(`"${iso}" is not an ISO 8601 duration`);
  const [, y, mo, w, d, h, mi, s] = m.map((v) => Number(v ?? 0));
  // Years and months move the calendar date, clamped to the month's end (31 Jan + P1M = 28 Feb).
  const months = from.getUTCMonth() + 12 * y! + mo!;
  const lastDay = new Date(Date.UTC(from.getUTCFullYear(), months + 1, 0)).getUTCDate();
  const at = new Date(from.getTime());
  at.setUTCFullYear(from.getUTCFullYear(), months, Math.min(from.getUTCDate(), lastDay));
  at.setUTCDate(at.getUTCDate() + d! + 7 * w!);
  return new Date(at.getTime() + ((h! * 60 + mi!) * 60 + s!) * 1000);
}

/** A due date from FEEL: a duration from now (`duration("PT8H")`, "P3D") or a date and time. */
export function dueDateFrom(expression: string, variables: Record<string, unknown>, now: Date): Date {
  const value = evaluateFeel(expression, variables);
  if (typeof value === 'string' && value.startsWith('P')) return addDuration(now, value);
  const at = typeof value === 'string' ? new Date(value) : null;
  if (!at || Number.isNaN(at.getTime())) {
    throw new ExpressionError(`The due date "${expression}" is neither a duration nor a date and time`);
  }
  return at;
}
