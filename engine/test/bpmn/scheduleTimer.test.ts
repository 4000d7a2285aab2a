import assert from 'node:assert/strict';
import { scheduleTimer } from '../../src/bpmn/execution/timers.ts';
import { ExpressionError } from '../../src/feel/feel.ts';

const now = new Date('2026-11-24T10:30:00Z');
const cycle = (text: string) => scheduleTimer({ type: 'cycle', expression: JSON.stringify(text) }, {}, now);

describe('Feature: when repeating timers are due', () => {
  it('Given R3/PT1H, then the first is an hour from now and two more follow', () => {
    assert.deepEqual(cycle('R3/PT1H'), {
      dueAt: new Date('2026-11-24T11:30:00Z'),
      cycle: { remaining: 2, every: 'PT1H' },
    });
  });

  it('Given R/P1D, then it repeats without end', () => {
    assert.deepEqual(cycle('R/P1D').cycle, { remaining: null, every: 'P1D' });
  });

  it('Given a start in the past, then the repetitions already past are skipped: every day at 08:00', () => {
    assert.deepEqual(cycle('R/2026-11-20T08:00:00Z/P1D').dueAt, new Date('2026-11-25T08:00:00Z'));
    assert.deepEqual(cycle('R10/2026-11-20T08:00:00Z/P1D'), {
      dueAt: new Date('2026-11-25T08:00:00Z'),
      cycle: { remaining: 4, every: 'P1D' },
    });
  });

  it('Given a start in the future with an offset, then the first is at that instant', () => {
    assert.deepEqual(cycle('R/2026-12-01T08:00:00+01:00/PT8H').dueAt, new Date('2026-12-01T07:00:00Z'));
  });

  it('Given a cycle whose repetitions are all past, or text that is no cycle, then it cannot be scheduled', () => {
    assert.throws(() => cycle('R5/2026-11-20T08:00:00Z/P1D'), ExpressionError);
    assert.throws(() => cycle('every hour'), /is not R<n>/);
  });
});
