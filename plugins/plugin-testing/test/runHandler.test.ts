import assert from 'node:assert/strict';
import { BpmnError } from '@attest/plugin-api';
import { runHandler } from '../src/index.ts';

describe('Feature: running a service handler as the engine would, without a server', () => {
  it('gives back the variables a handler sets, and none when it returns nothing', async () => {
    const outcome = await runHandler(
      ({ variables }) => ({ variables: { doubled: Number(variables.n) * 2 } }),
      {
        variables: { n: 21 },
      },
    );
    assert.deepEqual(outcome, { kind: 'variables', variables: { doubled: 42 } });
    assert.deepEqual(await runHandler(() => undefined, { variables: {} }), {
      kind: 'variables',
      variables: {},
    });
  });

  it('gives back a BPMN error thrown or returned, and throws any other failure for the engine to retry', async () => {
    assert.deepEqual(
      await runHandler(
        () => {
          throw new BpmnError('OUT_OF_STOCK', 'No lot left');
        },
        { variables: {} },
      ),
      { kind: 'error', code: 'OUT_OF_STOCK', message: 'No lot left' },
    );
    assert.deepEqual(await runHandler(() => ({ error: { code: 'LATE' } }), { variables: {} }), {
      kind: 'error',
      code: 'LATE',
      message: null,
    });
    await assert.rejects(
      runHandler(
        () => {
          throw new Error('ERP down');
        },
        { variables: {} },
      ),
      /ERP down/,
    );
    await assert.rejects(
      runHandler(() => ({ variables: [1] as never }), { variables: {} }),
      /object/,
    );
  });

  it('hands the handler a whole context: its variables, the first attempt, its idempotency key and where it runs', async () => {
    let seen: unknown;
    await runHandler(
      (context) => {
        seen = context;
      },
      { variables: { a: 1 }, elementId: 'reserve' },
    );
    assert.deepEqual(seen, {
      instanceId: '00000000-0000-4000-8000-000000000000',
      businessKey: null,
      elementId: 'reserve',
      attempt: 1,
      idempotencyKey: '00000000-0000-4000-8000-000000000001',
      variables: { a: 1 },
    });
  });

  it('passes a retry on as the engine does: a later attempt with the same idempotency key', async () => {
    const seen: [number, string][] = [];
    const handler = ({ attempt, idempotencyKey }: { attempt: number; idempotencyKey: string }) => {
      seen.push([attempt, idempotencyKey]);
    };
    await runHandler(handler, { variables: {}, idempotencyKey: 'job-7' });
    await runHandler(handler, { variables: {}, idempotencyKey: 'job-7', attempt: 2 });
    assert.deepEqual(seen, [
      [1, 'job-7'],
      [2, 'job-7'],
    ]);
  });
});
