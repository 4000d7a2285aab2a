import assert from 'node:assert/strict';
import { demoPassword, loginAs } from '../../../engine/test/support/testEngine.ts';
import { effectiveExceptionTemplates } from '../../../engine/test/exceptions/fixtures.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';
import { changesNothingTo, expectInput } from './support/refusals.ts';

describe('Feature: QA decides on exceptions over HTTP, and a blocking one holds the record (F4, F5)', () => {
  let api: TestApi;
  const tokens: Record<'olivia' | 'quinn' | 'petra', string> = { olivia: '', quinn: '', petra: '' };

  before(async () => {
    api = await startTestApi();
    const { engine } = api.ctx;
    await effectiveExceptionTemplates(engine, await loginAs(engine, 'quinn'), await loginAs(engine, 'petra'));
    for (const who of ['olivia', 'quinn', 'petra'] as const) tokens[who] = await api.login(who);
  });
  after(() => api.close());

  const call = (who: keyof typeof tokens, method: string, path: string, body?: unknown) =>
    api.request(method, path, { token: tokens[who], ...(body === undefined ? {} : { body }) });

  /** A batch record whose step recorded 12 °C (action limit 8 °C), with its exception and review task. */
  async function breached() {
    const record = (await call('olivia', 'POST', '/api/records', { template: 'br', title: 'Batch 7' })).body;
    const tasks = (await call('olivia', 'GET', `/api/tasks?instanceId=${record.instanceId}`)).body.tasks;
    const step = await call('olivia', 'POST', `/api/tasks/${tasks[0].id}/complete`, {
      data: { title: 'Batch 7', temperature: 12, notes: '' },
      confirmed: ['/temperature'],
    });
    assert.equal(step.status, 200, step.text);
    const dossier = (await call('quinn', 'GET', `/api/records/${record.id}/dossier`)).body;
    const review = (await call('quinn', 'GET', `/api/tasks?instanceId=${record.instanceId}`)).body.tasks[0];
    return { record, exception: dossier.exceptions[0], review };
  }

  it('F4: the step view’s check names the breach, and completing over it unconfirmed is refused and changes nothing', async () => {
    const record = (await call('olivia', 'POST', '/api/records', { template: 'br', title: 'Batch 8' })).body;
    const task = (await call('olivia', 'GET', `/api/tasks?instanceId=${record.instanceId}`)).body.tasks[0];
    const data = { title: 'Batch 8', temperature: 12, notes: '' };
    const check = await call('olivia', 'POST', `/api/tasks/${task.id}/check`, { data });
    assert.equal(check.status, 200, check.text);
    assert.deepEqual(
      check.body.exceptions.map((e: { pointer: string; blocking: boolean; commentRequired: boolean }) => [
        e.pointer,
        e.blocking,
        e.commentRequired,
      ]),
      [['/temperature', true, false]],
    );
    const state = async () => [
      (await call('olivia', 'GET', `/api/tasks/${task.id}/form`)).body,
      (await call('quinn', 'GET', `/api/records/${record.id}/audit`)).body,
    ];
    await changesNothingTo(state)(async () => {
      const refused = await call('olivia', 'POST', `/api/tasks/${task.id}/complete`, { data });
      expectInput(refused, '/temperature', 'confirmation');
      const other = await call('olivia', 'POST', `/api/tasks/${task.id}/complete`, {
        data,
        confirmed: ['/temperature'],
        comments: { '/title': 'not a breach' },
      });
      expectInput(other, '/comments/title', 'comment');
    });
    const done = await call('olivia', 'POST', `/api/tasks/${task.id}/complete`, {
      data,
      confirmed: ['/temperature'],
      comments: { '/temperature': 'Cold-room door left open during loading' },
    });
    assert.equal(done.status, 200, done.text);
    const dossier = (await call('quinn', 'GET', `/api/records/${record.id}/dossier`)).body;
    assert.equal(dossier.exceptions[0].comment, 'Cold-room door left open during loading');
  });

  it('F4: the review step is refused with a problem naming the exception, until QA assessed it and accepted it, each signed', async () => {
    const { record, exception, review } = await breached();
    assert.deepEqual([exception.blocking, exception.status, exception.dispositions], [true, 'open', []]);
    const sign = { signature: { password: demoPassword('quinn') } };
    const refused = await call('quinn', 'POST', `/api/tasks/${review.id}/complete`, sign);
    const problem = assertProblem(refused, 409, 'conflict');
    assert.match(problem.detail, /blocking exception is not dispositioned: “Temperature/);
    assert.ok(problem.detail.includes(exception.id));

    const assessed = await call('quinn', 'POST', `/api/exceptions/${exception.id}/dispositions`, {
      action: 'assess',
      comment: 'Door left open 20 min; data logger within range.',
      password: demoPassword('quinn'),
    });
    assert.equal(assessed.status, 200, assessed.text);
    assert.equal(assessed.body.status, 'assessed');
    assert.equal(assessed.body.record.number, record.number);
    const accepted = await call('petra', 'POST', `/api/exceptions/${exception.id}/dispositions`, {
      action: 'accept',
      comment: 'Product unaffected.',
      password: demoPassword('petra'),
    });
    assert.equal(accepted.body.status, 'accepted');
    assert.match(accepted.body.dispositions[1].signature.text, /^Approved by Petra Pohl/);
    const done = await call('quinn', 'POST', `/api/tasks/${review.id}/complete`, sign);
    assert.equal(done.status, 200, done.text);
    assert.equal((await call('quinn', 'GET', `/api/records/${record.id}`)).body.status, 'closed');
  });

  it('F5: raising a deviation answers with its number, and the deviation is raised from the batch', async () => {
    const { record, exception } = await breached();
    const path = `/api/exceptions/${exception.id}/dispositions`;
    await call('quinn', 'POST', path, {
      action: 'assess',
      comment: 'Investigate.',
      password: demoPassword('quinn'),
    });
    const raised = await call('quinn', 'POST', path, {
      action: 'raiseDeviation',
      comment: 'Cold chain broken.',
      deviationTitle: 'Cold chain broken on batch 7',
      password: demoPassword('quinn'),
    });
    assert.equal(raised.status, 200, raised.text);
    const deviation = raised.body.dispositions[1].deviation;
    const opened = (await call('quinn', 'GET', `/api/records/${deviation.id}`)).body;
    assert.deepEqual(
      [opened.number, opened.title, opened.raisedFrom.number],
      [deviation.number, 'Cold chain broken on batch 7', record.number],
    );
  });

  it('F4: bad input, the wrong person, the wrong order or the wrong password change nothing', async () => {
    const { exception } = await breached();
    const path = `/api/exceptions/${exception.id}/dispositions`;
    const state = async () => (await call('quinn', 'GET', `/api/exceptions/${exception.id}`)).body;
    await changesNothingTo(state)(async () => {
      expectInput(
        await call('quinn', 'POST', path, { action: 'waive', comment: 'x', password: demoPassword('quinn') }),
        '/action',
      );
      expectInput(
        await call('quinn', 'POST', path, { action: 'assess', comment: ' ', password: 'x' }),
        '/comment',
      );
      assertProblem(
        await call('olivia', 'POST', path, {
          action: 'assess',
          comment: 'x',
          password: demoPassword('olivia'),
        }),
        403,
        'not-allowed',
      );
      assertProblem(
        await call('quinn', 'POST', path, {
          action: 'accept',
          comment: 'x',
          password: demoPassword('quinn'),
        }),
        409,
        'conflict',
      );
      assertProblem(
        await call('quinn', 'POST', path, { action: 'assess', comment: 'x', password: 'wrong' }),
        401,
        'unauthenticated',
      );
      assertProblem(
        await call('quinn', 'POST', '/api/exceptions/00000000-0000-4000-8000-000000000009/dispositions', {
          action: 'assess',
          comment: 'x',
          password: demoPassword('quinn'),
        }),
        404,
        'not-found',
      );
    });
  });
});
