import assert from 'node:assert/strict';
import { evaluate } from 'feelin';
import { evaluateFeel, ExpressionError } from '../../src/feel/feel.ts';
import { FEEL_LIMITS, feelLimitProblem } from '../../src/feel/feelLimits.ts';
import { compileForm } from '../../src/forms/compiler.ts';
import { FormRuntime } from '../../src/forms/pipeline.ts';

/** Evaluates and returns how long it took; the error when it failed. */
function timed(expression: string, variables: Record<string, unknown> = {}) {
  const started = performance.now();
  try {
    return { value: evaluateFeel(expression, variables), error: null, ms: performance.now() - started };
  } catch (error) {
    return { value: undefined, error: error as Error, ms: performance.now() - started };
  }
}

/**
 * Far below the time feelin takes without the guards (seconds to hours), and above what a loaded
 * test machine adds: what matters is that no evaluation holds the server.
 */
const STOPPED_WITHIN_MS = FEEL_LIMITS.milliseconds * 5;

const refused = (expression: string, variables: Record<string, unknown>, reason: RegExp) => {
  const { error, ms } = timed(expression, variables);
  assert.ok(error instanceof ExpressionError, `${expression} should fail`);
  assert.match(error.message, /exceeds the FEEL limits/);
  assert.match(error.message, reason);
  assert.ok(ms < STOPPED_WITHIN_MS, `${expression} took ${ms.toFixed(1)} ms`);
};

const many = (n: number) => Array.from({ length: n }, (_, i) => ({ w: i }));

describe('Feature: FEEL evaluation is bounded in size, depth, steps and time', () => {
  describe('Scenario: the shape of an expression is checked where it is written', () => {
    it('refuses a loop over a literal range larger than the steps allow, nested loops multiplying', () => {
      assert.match(feelLimitProblem('count(for i in 1..1000000 return i)')!, /iterates 1000000 times/);
      assert.match(feelLimitProblem('for i in 1..1000, j in 1..1000 return i')!, /iterates 1000000 times/);
      assert.match(
        feelLimitProblem('for i in 1..100 return for j in 1..100 return i * j')!,
        /iterates 10000 times/,
      );
      assert.match(feelLimitProblem('some x in 1..5000 satisfies x > 3')!, /iterates 5000 times/);
      assert.equal(feelLimitProblem('for i in 1..100 return i * 2'), null);
      assert.equal(feelLimitProblem('for x in samples return x.weight'), null, 'only run time knows');
    });

    it('refuses very long and very deeply nested expressions', () => {
      const long = Array.from({ length: 1500 }, (_, i) => `a${i}`).join(' + ');
      assert.match(feelLimitProblem(long)!, /characters long; at most 4000/);
      const deep = `${'('.repeat(100)}1${')'.repeat(100)}`;
      assert.match(feelLimitProblem(deep)!, /nests \d+ levels deep; at most 64/);
    });

    it('refuses a function that could call itself; the ordering of sort may be a function', () => {
      assert.match(
        feelLimitProblem('{f: function(n) if n = 0 then 0 else f(n - 1) + f(n - 1), r: f(40)}.r')!,
        /only as the ordering of sort/,
      );
      assert.equal(feelLimitProblem('sort(samples, function(a, b) a.weight < b.weight)'), null);
    });
  });

  describe('Scenario: at run time, what the shape hides is stopped within milliseconds', () => {
    it('stops a loop over a range its variables make huge, and nested loops', () => {
      refused('count(for i in 1..n return i)', { n: 1_000_000 }, /more than 1000 steps/);
      refused('count(for i in 1..n, j in 1..n return i)', { n: 1000 }, /more than 1000 steps/);
      refused('count(for i in 1..n return for j in 1..n return i)', { n: 1000 }, /more than 1000 steps/);
      refused('some x in 1..n satisfies x < 0', { n: 10_000_000 }, /more than 1000 steps/);
      refused('count(l[w > 10][w > 11][w > 12])', { l: many(5000) }, /more than 1000 steps/);
      // feelin turns a failure inside sort's ordering into null and sorts on: the limit still holds.
      refused('sort(for i in 1..900 return 900 - i, function(a, b) a < b)', {}, /more than 1000 steps/);
    });

    it('stops values and text built by doubling, and string join over huge lists', () => {
      const lists =
        '{a: [1,1,1,1,1,1,1,1,1,1], b: [a,a,a,a,a,a,a,a,a,a], c: [b,b,b,b,b,b,b,b,b,b], d: [c,c,c,c,c,c,c,c,c,c], e: [d,d,d,d,d,d,d,d,d,d]}.e = 1';
      refused(lists, {}, /more than 10000 elements/);
      const texts =
        '{a: "xxxxxxxxxx", b: a+a+a+a+a+a+a+a+a+a, c: b+b+b+b+b+b+b+b+b+b, d: c+c+c+c+c+c+c+c+c+c, e: d+d+d+d+d+d+d+d+d+d, f: upper case(e)}.f';
      refused(texts, {}, /longer than 20000 characters/);
      refused('string join(for x in l return "x", ",")', { l: many(20_000) }, /more than 1000 steps/);
      refused(
        'string length(string join(l, ","))',
        { l: Array(50_000).fill('abc') },
        /more than 10000 elements/,
      );
    });

    it('runs regular expressions in linear time and refuses patterns that cannot be', () => {
      const { value, ms } = timed('matches(s, "(a+)+$")', { s: `${'a'.repeat(5000)}!` });
      assert.equal(value, false);
      assert.ok(ms < STOPPED_WITHIN_MS, `took ${ms.toFixed(1)} ms`);
      refused('matches("abab", "(ab)\\1")', {}, /back-references or look-around/);
      assert.equal(evaluateFeel('replace("lot-42", "(\\d+)", "#$1")', {}), 'lot-#42');
      assert.deepEqual(evaluateFeel('split("a, b,c", ",\\s*")', {}), ['a', 'b', 'c']);
    });

    it('gives what feelin gives for everyday expressions within the limits', () => {
      const cases: [string, Record<string, unknown>][] = [
        ['for i in 1..3, j in [4, 5] return i * j', {}],
        ['for i in 3..1 return i', {}],
        ['for i in [1..3) return i', {}],
        ['some x in l satisfies x.w > 2', { l: many(5) }],
        ['every x in l satisfies x.w >= 0', { l: many(5) }],
        ['l[w > 1].w', { l: many(5) }],
        ['l[1].w', { l: many(5) }],
        ['{a: 1, b: a + 1}.b', {}],
        ['sum(for x in l return x.w)', { l: many(500) }],
        ['string join(for i in 1..5 return string(i), ",")', {}],
        ['string join(list: ["a", "b"], delimiter: "-")', {}],
        ['sort([3, 1, 2], function(x, y) x < y)', {}],
        ['count(distinct values(concatenate([1, 2], [2, 3])))', {}],
        ['mean(for x in l return x.w)', { l: many(10) }],
        ['upper case(substring("batch", 1, 3))', {}],
        ['date("2026-01-01") + duration("P1D")', {}],
        ['count * 2 + sum', { count: 3, sum: 4 }],
        ['for x in count return x + 1', { count: [1, 2] }],
      ];
      for (const [expression, variables] of cases) {
        const expected = JSON.parse(JSON.stringify(evaluate(expression, variables).value)) as unknown;
        const result = timed(expression, variables);
        assert.equal(result.error, null, `${expression}: ${result.error?.message}`);
        assert.deepEqual(
          JSON.parse(JSON.stringify(result.value)),
          typeof expected === 'object' && expected && 'iso' in expected ? expected.iso : expected,
          expression,
        );
      }
    });

    it('accepts the largest loop the steps allow and evaluates it within the time limit', () => {
      const times = Array.from({ length: 11 }, () => timed('sum(for x in l return x.w)', { l: many(900) }));
      for (const t of times) assert.equal(t.error, null);
      const median = times.map((t) => t.ms).sort((a, b) => a - b)[5]!;
      assert.ok(median < FEEL_LIMITS.milliseconds, `median ${median.toFixed(1)} ms`);
    });
  });
});

describe('Feature: the FEEL of one form submission is bounded together', () => {
  it('stops calculations that are each within the limits but add up over many grid rows', () => {
    const runtime = new FormRuntime(
      compileForm({
        components: [
          {
            type: 'datagrid',
            key: 'rows',
            components: [
              { type: 'number', key: 'n' },
              { type: 'calculatedValue', key: 'total', attest: { calculate: 'sum(for i in 1..n return i)' } },
            ],
          },
        ],
      }),
    );
    const few = runtime.process({ data: { rows: [{ n: 900 }, { n: 900 }] } }, {});
    assert.deepEqual(few.errors, []);
    const started = performance.now();
    const many = runtime.process({ data: { rows: Array.from({ length: 200 }, () => ({ n: 900 })) } }, {});
    const ms = performance.now() - started;
    assert.ok(
      many.errors.some((e) => /expressions of one act together take more than 20000 steps/.test(e.message)),
      JSON.stringify(many.errors.slice(0, 2)),
    );
    assert.ok(ms < FEEL_LIMITS.actMilliseconds * 3, `took ${ms.toFixed(0)} ms`);
  });
});
