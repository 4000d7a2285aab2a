import assert from 'node:assert/strict';
import { evaluate } from 'feelin';
import { compileFast, Fallback } from '../../src/feel/feelFast.ts';

const EXPRESSIONS = [
  '(weight - target) / target * 100',
  'target * (1 - tolerance / 100)',
  '-a + 2.5',
  'a ** 2',
  'a / b',
  'a - b * c',
  'a + b',
  'a = b',
  'a != b',
  'a < b',
  'a <= b',
  'a > b',
  'a >= b',
  'a = null',
  'a != null',
  'null = null',
  'p and q',
  'p or q',
  'if a > 1 then "big" else "small"',
  'if p then a else b',
  'containerIntact = "no"',
  's + t',
  '"x" < "y"',
  'true',
  '0.1 + 0.2',
  '10 / 4',
  '7 - -2',
];

const CONTEXTS: Record<string, unknown>[] = [
  { weight: 102, target: 100, tolerance: 5, a: 3, b: 4, c: 2, p: true, q: false, s: 'ab', t: 'cd' },
  { weight: 99.95, target: 100, tolerance: 0.5, a: -1.5, b: 0, c: 0.1, p: false, q: true, s: 'b', t: 'a' },
  { a: null, b: 2, p: null, q: true, s: null, t: 'x', containerIntact: 'no' },
  { a: 2, b: null, c: null, weight: null, target: 100, tolerance: 5 },
  { a: 'x', b: 1, p: 1, q: 'y', target: 0, weight: 1, tolerance: null },
  { a: [1, 2], b: { c: 1 }, p: true, q: true },
  {},
];

describe('Feature: compiled FEEL for everyday expressions', () => {
  it('Scenario: gives what feelin gives for every expression and context, or leaves it to feelin', () => {
    let decided = 0;
    for (const expression of EXPRESSIONS) {
      const fast = compileFast(expression);
      assert.ok(fast, `${expression} should compile`);
      for (const context of CONTEXTS) {
        let value: unknown;
        try {
          value = fast(context);
        } catch (error) {
          assert.ok(
            error instanceof Fallback,
            `${expression} over ${JSON.stringify(context)}: ${String(error)}`,
          );
          continue;
        }
        decided++;
        assert.deepEqual(
          value,
          evaluate(expression, context).value,
          `${expression} over ${JSON.stringify(context)}`,
        );
      }
    }
    assert.ok(decided > EXPRESSIONS.length * 2, `the fast path decided only ${decided} cases`);
  });

  it('Scenario: leaves functions, paths, lists, ranges and temporal values to feelin', () => {
    for (const expression of [
      'abs(a)',
      'a.b',
      '[1, 2]',
      'a in [1..3]',
      'date("2026-01-01")',
      'a between 1 and 2',
      'x +',
    ]) {
      assert.equal(compileFast(expression), null, expression);
    }
  });
});
