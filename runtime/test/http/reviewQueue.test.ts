import assert from 'node:assert/strict';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { startTestApi, type TestApi } from './support/api.ts';
import { batchCaller, recordedBatch, type Caller } from './support/batchRecords.ts';
import { expectInput } from './support/refusals.ts';

interface QueueItem {
  task: { id: string };
  record: { number: string } | null;
  exceptions: {
    total: number;
    high: number;
    undecided: number;
    open: { high: number; medium: number; low: number };
  };
}

describe('Feature: the review queue by exception, and the lead time of each review', () => {
  let api: TestApi;
  let call: Caller;
  let signInAgain: () => Promise<void>;

  before(async () => {
    api = await startTestApi();
    ({ call, again: signInAgain } = await batchCaller(api));
  });
  after(() => api.close());

  const recorded = (title: string, temperature: number) => recordedBatch(call, title, temperature);
  const queued = async (number: string) =>
    ((await call('quinn', 'GET', '/api/review-queue')).body.items as QueueItem[]).find(
      (i) => i.record?.number === number,
    )!;

  it('the queue counts the open exceptions of each record by severity; decided ones leave the open count, records still waiting for a decision first', async () => {
    const clean = await recorded('Clean batch', 5);
    const breached = await recorded('Warm batch', 12);
    const items = (await call('quinn', 'GET', '/api/review-queue')).body.items as QueueItem[];
    assert.deepEqual(
      items.map((i) => i.record?.number),
      [breached.number, clean.number],
      'the record with an open high exception comes first',
    );
    assert.deepEqual((await queued(clean.number)).exceptions.open, { high: 0, medium: 0, low: 0 });
    assert.equal((await queued(clean.number)).exceptions.total, 0, 'nothing to review but the summary');
    assert.deepEqual((await queued(breached.number)).exceptions.open, { high: 1, medium: 0, low: 0 });

    const [exception] = (await call('quinn', 'GET', `/api/records/${breached.id}/dossier`)).body.exceptions;
    for (const [who, action] of [
      ['quinn', 'assess'],
      ['petra', 'accept'],
    ] as const) {
      const decided = await call(who, 'POST', `/api/exceptions/${exception.id}/dispositions`, {
        action,
        comment: 'Within the stability data.',
        password: demoPassword(who),
      });
      assert.equal(decided.status, 200, decided.text);
    }
    const decided = (await queued(breached.number)).exceptions;
    assert.deepEqual([decided.total, decided.high, decided.undecided, decided.open.high], [1, 1, 0, 0]);
  });

  it('the lead time from the process reaching the review to its signature is recorded and queryable', async () => {
    const record = await recorded('Timed batch', 4);
    api.ctx.clock.advance(90);
    // Sessions end after a while without activity: QA signs in again for the review.
    await signInAgain();
    const review = await queued(record.number);
    const signed = await call('quinn', 'POST', `/api/tasks/${review.task.id}/complete`, {
      signature: { password: demoPassword('quinn') },
    });
    assert.equal(signed.status, 200, signed.text);

    const times = await call('petra', 'GET', '/api/review-lead-times?template=br');
    assert.equal(times.status, 200, times.text);
    const item = times.body.items.find(
      (i: { record: { number: string } }) => i.record.number === record.number,
    );
    assert.ok(item, JSON.stringify(times.body));
    assert.deepEqual(
      [item.meaning, item.step, item.signer.username, item.record.templateId, item.taskId],
      ['Reviewed', 'QA review', 'quinn', 'br', review.task.id],
    );
    assert.ok(item.leadSeconds >= 90 * 60 && item.leadSeconds < 95 * 60, `${item.leadSeconds} s`);
    assert.equal(
      Math.round((Date.parse(item.signedAt) - Date.parse(item.reachedAt)) / 1000),
      item.leadSeconds,
    );
    assert.equal(times.body.count, times.body.items.length);
    assert.equal(typeof times.body.medianSeconds, 'number');

    const later = await call(
      'petra',
      'GET',
      `/api/review-lead-times?since=${encodeURIComponent(item.signedAt)}`,
    );
    assert.deepEqual(
      later.body.items.map((i: { taskId: string }) => i.taskId),
      [review.task.id],
    );
    const none = await call('petra', 'GET', '/api/review-lead-times?template=pr');
    assert.deepEqual([none.body.count, none.body.medianSeconds], [0, null]);
    expectInput(await call('petra', 'GET', '/api/review-lead-times?since=yesterday'), '/since');
    expectInput(await call('petra', 'GET', '/api/review-lead-times?limit=0'), '/limit');
  });
});
