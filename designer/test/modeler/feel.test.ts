import assert from 'node:assert/strict';
import { feelFieldError } from '../../src/modeler/feel.ts';

const VALID = [
  'duration("P2D")',
  'classification = "major"',
  'a > 1 and b = "x"',
  'if deviation.severity = "critical" then "QA head" else "QA"',
  'date and time("2026-01-05T08:00:00Z") + duration("PT8H")',
  '[1, 2, 3][item > 1]',
  '{a: 1}.a',
  'some s in samples satisfies s.result = "fail"',
];
const INVALID = [
  'a >',
  '1 +',
  '"unterminated',
  'a = and',
  'x +* y',
  '1 2',
  'count(',
  'x in [1,2',
  'if a then b',
];

describe('Feature: FEEL is checked as the person types', () => {
  it('Scenario: expressions the engine parses pass', () => {
    for (const expression of VALID) assert.equal(feelFieldError(expression), null, expression);
  });

  it('Scenario: a syntax error is shown with what the parser could not take', () => {
    for (const expression of INVALID)
      assert.match(
        feelFieldError(expression) ?? '',
        /^Not valid FEEL: (unexpected ".+" at character \d+|the expression ends too early)$/,
        expression,
      );
  });

  it('Scenario: an expression beyond the FEEL limits is shown with the limit, as the import refuses it', () => {
    assert.equal(
      feelFieldError('count(for i in 1..1000000 return i)'),
      'Exceeds the FEEL limits: it iterates 1000000 times; at most 1000 steps are allowed',
    );
    assert.match(
      feelFieldError(`${'1 + '.repeat(1250)}1`) ?? '',
      /^Exceeds the FEEL limits: it is 5001 characters long/,
    );
  });

  it('Scenario: a field shows the error inline, and nothing for an empty field or a leading =', () => {
    assert.equal(feelFieldError(''), null);
    assert.equal(feelFieldError('  '), null);
    assert.equal(feelFieldError('= duration("P1D")'), null);
    assert.equal(feelFieldError('a >'), 'Not valid FEEL: the expression ends too early');
    assert.equal(feelFieldError('= a = and'), 'Not valid FEEL: unexpected "and" at character 5');
  });
});
