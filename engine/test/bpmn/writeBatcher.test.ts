import assert from 'node:assert/strict';
import { WriteBatcher } from '../../src/bpmn/service/writeBatcher.ts';

interface Write {
  key: string;
  fail?: boolean;
}

/** A writer that records its batches and answers after a tick, like a round trip. */
function recorder() {
  const batches: string[][] = [];
  const write = async (items: Write[]) => {
    batches.push(items.map((i) => i.key));
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (items.some((i) => i.fail)) throw new Error(`bad write in ${items.map((i) => i.key).join(',')}`);
    return items.map((i) => `written ${i.key}`);
  };
  return { batches, batcher: new WriteBatcher<Write, string>(write, (i) => i.key) };
}

describe('Feature: coalescing instance writes', () => {
  it('Scenario: a write alone goes out at once, in a batch of its own', async () => {
    const { batches, batcher } = recorder();
    assert.equal(await batcher.submit({ key: 'a' }), 'written a');
    assert.deepEqual(batches, [['a']]);
  });

  it('Scenario: writes that arrive while one is in flight share the next statement', async () => {
    const { batches, batcher } = recorder();
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((key) => batcher.submit({ key })));
    assert.deepEqual(results, ['written a', 'written b', 'written c', 'written d']);
    assert.deepEqual(batches, [['a'], ['b', 'c', 'd']]);
  });

  it('Scenario: two writes of the same instance never share a batch, and keep their order', async () => {
    const { batches, batcher } = recorder();
    await Promise.all(['a', 'x', 'x', 'b', 'x'].map((key) => batcher.submit({ key })));
    assert.deepEqual(batches, [['a'], ['x', 'b'], ['x'], ['x']]);
  });

  it('Scenario: a failing batch is retried write by write, so only the bad write fails', async () => {
    const { batches, batcher } = recorder();
    const results = await Promise.allSettled([
      batcher.submit({ key: 'a' }),
      batcher.submit({ key: 'b' }),
      batcher.submit({ key: 'bad', fail: true }),
      batcher.submit({ key: 'c' }),
    ]);
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      ['written a', 'written b', 'bad write in bad', 'written c'],
    );
    assert.deepEqual(batches, [['a'], ['b', 'bad', 'c'], ['b'], ['bad'], ['c']]);
  });
});
