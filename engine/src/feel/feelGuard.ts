import { setFlagsFromString } from 'node:v8';
import { evaluate, FeelRange, isRange } from 'feelin';
import { FEEL_LIMITS, feelLimitProblem, feelTree, type FeelNode } from './feelLimits.ts';

// Regular expressions in FEEL (matches, replace, split) run on V8's linear-time engine, so no
// pattern can backtrack for seconds (`(a+)+$`); the engine is enabled for the `l` flag only.
setFlagsFromString('--enable-experimental-regexp-engine');

/** An evaluation stopped because it exceeded FEEL_LIMITS; the caller turns it into an incident or an error. */
export class FeelLimitError extends Error {}

/** What one evaluation has spent. */
class Meter {
  steps = 0;
  readonly deadline = performance.now() + FEEL_LIMITS.milliseconds;
  /** The limit exceeded, kept: feelin turns some failures (inside sort's ordering) into null and goes on. */
  exceeded: FeelLimitError | null = null;

  /** `perElement`: what one iteration costs, as feelin copies every name in scope for each element. */
  constructor(readonly perElement: number) {}

  step(count: number): void {
    this.steps += count;
    if (!this.exceeded && this.steps > FEEL_LIMITS.steps) {
      this.exceeded = new FeelLimitError(`it takes more than ${FEEL_LIMITS.steps} steps`);
    }
    if (!this.exceeded && performance.now() > this.deadline) {
      this.exceeded = new FeelLimitError(`it runs longer than ${FEEL_LIMITS.milliseconds} ms`);
    }
    if (act && !this.exceeded) {
      act.steps += count;
      if (act.steps > FEEL_LIMITS.actSteps || performance.now() > act.deadline) {
        this.exceeded = new FeelLimitError(
          `the expressions of one act together take more than ${FEEL_LIMITS.actSteps} steps or ${FEEL_LIMITS.actMilliseconds} ms`,
        );
      }
    }
    if (this.exceeded) throw this.exceeded;
  }
}

let meter: Meter | null = null;

/** The act the evaluations belong to, when one is under way. */
let act: { steps: number; deadline: number } | null = null;

/**
 * Runs `work` as one act: its FEEL evaluations share FEEL_LIMITS.actSteps and actMilliseconds
 * besides each keeping its own limits. An act inside an act belongs to the outer one.
 */
export function feelAct<T>(work: () => T): T {
  if (act) return work();
  act = { steps: 0, deadline: performance.now() + FEEL_LIMITS.actMilliseconds };
  try {
    return work();
  } finally {
    act = null;
  }
}

/** Stops the evaluation; the evaluation fails even where feelin catches the error and goes on. */
function exceed(reason: string): never {
  const error = new FeelLimitError(reason);
  if (meter && !meter.exceeded) meter.exceeded = error;
  throw error;
}

const spend = (count: number) => meter?.step(count);
const spendElements = (count: number) => meter?.step(count * meter.perElement);
/** Measuring and copying a value's elements is about a hundred times cheaper than a feelin step. */
const spendMeasured = (elements: number) => spend(1 + Math.floor(elements / 100));

/**
 * Elements in a value (list items and context entries at any depth, shared parts counted each time
 * they appear), refusing text or values larger than the limits. Stops counting past the limit, so a
 * value built by doubling (`{a: [1, 1], b: [a, a], …}`) costs no more to measure than the limit.
 */
function measure(value: unknown): number {
  let count = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'string') {
      if (v.length > FEEL_LIMITS.textLength) {
        exceed(`it makes a text longer than ${FEEL_LIMITS.textLength} characters`);
      }
      continue;
    }
    if (v === null || typeof v !== 'object' || isRange(v)) continue;
    const items = Array.isArray(v) ? v : v.constructor === Object ? Object.values(v) : null;
    if (!items) continue;
    count += items.length;
    if (count > FEEL_LIMITS.values) {
      exceed(`it makes a value of more than ${FEEL_LIMITS.values} elements`);
    }
    pending.push(...items);
  }
  return count;
}

/** An iteration domain: ranges are enumerated here, within the steps left, never by feelin. */
function iterate(start: unknown, end?: unknown): unknown {
  if (end === undefined) {
    if (Array.isArray(start)) spendElements(start.length);
    else if (isRange(start)) {
      const all = iterate(start.start, start.end);
      if (!Array.isArray(all)) return start;
      return all.slice(start['start included'] ? 0 : 1, start['end included'] ? all.length : -1);
    }
    return start;
  }
  if (typeof start === 'number' && typeof end === 'number') {
    const count = Math.floor(Math.abs(end - start)) + 1;
    spendElements(count);
    const direction = end >= start ? 1 : -1;
    return Array.from({ length: count }, (_, i) => start + direction * i);
  }
  if (typeof start === 'string' && typeof end === 'string') {
    spendElements(Math.abs(end.charCodeAt(0) - start.charCodeAt(0)) + 1);
    return new FeelRange({ start, end, 'start included': true, 'end included': true, valueType: 'string' });
  }
  return null;
}

/** A value an expression builds (a list, a context entry): measured, and a step of work. */
function built(value: unknown): unknown {
  spendMeasured(measure(value));
  return value;
}

/** A loop's body or a quantifier's test, once per element its domain was charged for: only the clock. */
function pass<T>(value: T): T {
  spend(0);
  return value;
}

/** A filter's target (each element is tested) or one call of a function the expression defines. */
function step<T>(value: T): T {
  spend(Array.isArray(value) ? value.length : 1);
  return value;
}

/** Built-in functions that take or give lists or text: their work is counted in and out. */
const METERED_BUILTINS = [
  'all',
  'any',
  'append',
  'concatenate',
  'count',
  'distinct values',
  'flatten',
  'index of',
  'insert before',
  'list contains',
  'list replace',
  'lower case',
  'max',
  'mean',
  'median',
  'min',
  'mode',
  'product',
  'remove',
  'reverse',
  'sort',
  'stddev',
  'string',
  'string join',
  'sublist',
  'sum',
  'substring',
  'substring after',
  'substring before',
  'union',
  'upper case',
  'contains',
  'starts with',
  'ends with',
  'string length',
];

type Builtin = ((...args: unknown[]) => unknown) & { $args?: string[] };

const metered = (original: Builtin): Builtin =>
  Object.assign(
    (...args: unknown[]) => {
      spendMeasured(measure(args));
      const result = original(...args);
      spendMeasured(measure(result));
      return result;
    },
    { $args: original.$args },
  );

/** A FEEL pattern as a linear-time regular expression, or null when it cannot be one (FEEL: null). */
function linearPattern(pattern: unknown, flags: unknown, extra: string): RegExp | null {
  if (typeof pattern !== 'string') return null;
  if (pattern.length > 1000) exceed('its pattern is longer than 1000 characters');
  const given = typeof flags === 'string' ? flags : '';
  if (!/^[sm]*$/.test(given)) {
    exceed(`the pattern flags "${given}" are not supported (only s and m)`);
  }
  try {
    return new RegExp(pattern, `${given}${extra}l`);
  } catch (error) {
    if (/linear time/.test((error as Error).message)) {
      exceed(
        `the pattern "${pattern}" uses back-references or look-around, which cannot run in bounded time`,
      );
    }
    return null;
  }
}

const text = (v: unknown): string | null => {
  if (typeof v !== 'string') return null;
  measure(v);
  spendMeasured(v.length);
  return v;
};

const regexBuiltins: Record<string, Builtin> = {
  matches: Object.assign(
    (input: unknown, pattern: unknown, flags?: unknown) => {
      const s = text(input);
      const re = linearPattern(pattern, flags, '');
      return s === null || !re ? null : re.test(s);
    },
    { $args: ['input', 'pattern', 'flags'] },
  ),
  replace: Object.assign(
    (input: unknown, pattern: unknown, replacement: unknown, flags?: unknown) => {
      const s = text(input);
      const re = linearPattern(pattern, flags, 'g');
      if (s === null || !re || typeof replacement !== 'string') return null;
      return built(s.replace(re, replacement.replace(/\$0/g, '$$&')));
    },
    { $args: ['input', 'pattern', 'replacement', 'flags'] },
  ),
  split: Object.assign(
    (input: unknown, delimiter: unknown) => {
      const s = text(input);
      const re = linearPattern(delimiter, '', '');
      return s === null || !re ? null : built(s.split(re));
    },
    { $args: ['string', 'delimiter'] },
  ),
};

/** feelin's built-ins, metered: beneath the variables, since a variable of the same name hides a built-in in FEEL. */
const BUILTINS: Record<string, unknown> = {
  ...Object.fromEntries(METERED_BUILTINS.map((name) => [name, metered(evaluate(name, {}).value as Builtin)])),
  ...regexBuiltins,
};

/** The guards the rewriting calls: over the variables, so no variable can stand in for one. */
const GUARDS: Record<string, unknown> = {
  // Named parameters given, so feelin does not read them from each function's source at each call.
  __iterate: Object.assign(iterate, { $args: ['start', 'end'] }),
  __built: Object.assign(built, { $args: ['value'] }),
  __step: Object.assign(step, { $args: ['value'] }),
  __pass: Object.assign(pass, { $args: ['value'] }),
};

/**
 * The expression with its guards in place: iteration domains enumerated and counted by `__iterate`,
 * each loop body and quantifier test timed by `__pass`, each filter target and call of a defined
 * function counted by `__step`, each list literal and context entry measured by `__built`. The rewritten expression means the same as the original.
 */
function rewrite(expression: string, root: FeelNode): string {
  const source = (node: FeelNode): string => {
    let out = '';
    let at = node.from;
    const parts: string[] = [];
    for (const child of node.children) {
      out += expression.slice(at, child.from);
      const written = source(child);
      parts.push(written);
      out += written;
      at = child.to;
    }
    out += expression.slice(at, node.to);
    const kids = node.children;
    switch (node.name) {
      case 'IterationContext':
        return kids.length === 3 && kids[1]!.name === '..'
          ? `__iterate(${parts[0]}, ${parts[2]})`
          : `__iterate(${out})`;
      case 'List':
        return `__built(${out})`;
      case 'ForExpression':
      case 'QuantifiedExpression':
      case 'ContextEntry': {
        // The last part is the loop's body, the quantifier's test or the entry's value.
        const last = parts.at(-1)!;
        const guard = node.name === 'ContextEntry' ? '__built' : '__pass';
        return `${out.slice(0, out.length - last.length)}${guard}(${last})`;
      }
      case 'FunctionBody':
        return `__step(${out})`;
      case 'FilterExpression':
        return `__step(${parts[0]})${out.slice(parts[0]!.length)}`;
      default:
        return out;
    }
  };
  return source(root);
}

interface Guarded {
  text: string;
  /** The built-ins and guards it may call: only these join its context, as every name in it is copied per element. */
  builtins: Record<string, unknown>;
  guards: Record<string, unknown>;
}

const guarded = new Map<string, Guarded | FeelLimitError>();

/** The guarded form of an expression, or why its shape alone exceeds the limits; kept per text. */
function guardedExpression(expression: string): Guarded | FeelLimitError {
  let found = guarded.get(expression);
  if (found === undefined) {
    const problem = feelLimitProblem(expression);
    const tree = problem ? null : feelTree(expression);
    if (problem) found = new FeelLimitError(problem);
    else {
      const text = tree ? rewrite(expression, tree.root) : expression;
      const named = (all: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(all).filter(([name]) => text.includes(name)));
      found = { text, builtins: named(BUILTINS), guards: named(GUARDS) };
    }
    if (guarded.size >= 10_000) guarded.clear();
    guarded.set(expression, found);
  }
  return found;
}

/**
 * Evaluates FEEL with feelin inside FEEL_LIMITS: the counts stop it deterministically, the deadline
 * stops whatever they miss. Throws FeelLimitError naming the limit.
 */
export function evaluateBounded(expression: string, variables: Record<string, unknown>): unknown {
  const form = guardedExpression(expression);
  if (form instanceof FeelLimitError) throw form;
  const context = { ...form.builtins, ...variables, ...form.guards };
  const spent = new Meter(1 + Object.keys(context).length / 100);
  meter = spent;
  try {
    const { value } = evaluate(form.text, context);
    if (spent.exceeded) throw spent.exceeded;
    return value;
  } finally {
    meter = null;
  }
}
