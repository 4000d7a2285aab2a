import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { demoPassword, loginAs } from '../../../engine/test/support/testEngine.ts';
import {
  aheadBatch,
  effectiveOrderedBatch,
  effectivePackage,
} from '../../../engine/test/changes/fixtures.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';
import { changesNothingTo, expectInput } from './support/refusals.ts';

describe('Feature: run-time changes and step order over HTTP (D7, F1)', () => {
  let api: TestApi;
  const tokens: Record<'olivia' | 'quinn' | 'petra', string> = { olivia: '', quinn: '', petra: '' };

  before(async () => {
    api = await startTestApi();
    const { engine } = api.ctx;
    const [quinn, petra] = [await loginAs(engine, 'quinn'), await loginAs(engine, 'petra')];
    await effectiveOrderedBatch(engine, quinn, petra);
    await effectivePackage(engine, quinn, petra, aheadBatch('ab'));
    for (const who of ['olivia', 'quinn', 'petra'] as const) tokens[who] = await api.login(who);
  });
  after(() => api.close());

  const call = (who: keyof typeof tokens, method: string, path: string, body?: unknown) =>
    api.request(method, path, { token: tokens[who], ...(body === undefined ? {} : { body }) });
  const data = { title: 'Batch 3', temperature: 5, notes: '' };

  async function started() {
    const record = (await call('olivia', 'POST', '/api/records', { template: 'ob', title: 'Batch 3' })).body;
    const tasks = (await call('olivia', 'GET', `/api/tasks?instanceId=${record.instanceId}`)).body.tasks;
    return { record, dispense: tasks[0] };
  }

  it('D7: QA repeats a completed step and adds one over HTTP; the dossier shows each change with its reason and signer', async () => {
    const { record, dispense } = await started();
    const done = await call('olivia', 'POST', `/api/tasks/${dispense.id}/complete`, { data });
    assert.equal(done.status, 200, done.text);
    const path = `/api/records/${record.id}/changes`;
    const repeated = await call('quinn', 'POST', path, {
      kind: 'repeat',
      taskId: dispense.id,
      reason: 'Wrong container tared',
      password: demoPassword('quinn'),
    });
    assert.equal(repeated.status, 201, repeated.text);
    assert.equal(repeated.body.kind, 'repeat');
    const added = await call('quinn', 'POST', path, {
      kind: 'add',
      formKey: 'closure',
      name: 'Extra cleaning check',
      reason: 'Spill during dispensing',
      password: demoPassword('quinn'),
    });
    assert.equal(added.status, 201, added.text);
    const tasks = (await call('olivia', 'GET', `/api/tasks?instanceId=${record.instanceId}`)).body.tasks;
    assert.deepEqual(
      tasks.map((t: { elementId: string; origin: string }) => [t.elementId, t.origin]).sort(),
      [
        ['added:closure', 'added'],
        ['dispense', 'repeat'],
        ['mix', 'flow'],
      ],
    );
    const dossier = (await call('quinn', 'GET', `/api/records/${record.id}/dossier`)).body;
    const changed = dossier.steps.filter((s: { change: unknown }) => s.change !== null);
    assert.deepEqual(
      changed.map(
        (s: { name: string; change: { kind: string; reason: string; by: { username: string } } }) => [
          s.name,
          s.change.kind,
          s.change.reason,
          s.change.by.username,
        ],
      ),
      [
        ['Dispense', 'repeat', 'Wrong container tared', 'quinn'],
        ['Extra cleaning check', 'add', 'Spill during dispensing', 'quinn'],
      ],
    );
    assert.deepEqual(
      dossier.exceptions.map((e: { type: string; blocking: boolean }) => [e.type, e.blocking]),
      [
        ['run_time_change', true],
        ['run_time_change', true],
      ],
    );
    const printout = await call('quinn', 'GET', `/api/records/${record.id}/printout`);
    assert.equal(printout.status, 200);
    const text = spawnSync('pdftotext', ['-', '-'], { input: printout.bytes, encoding: 'utf8' });
    if (!text.error) {
      const flat = text.stdout.replace(/\s+/g, ' ');
      assert.match(flat, /Dispense \(open, repeated\)/);
      assert.match(
        flat,
        /run-time change \(repeat\) by Quinn Quaye \(quinn\) .*reason: Wrong container tared/,
      );
      assert.match(flat, /Extra cleaning check \(open, added\)/);
    }
  });

  it('D7: bad input, no permission, a wrong password, a wrong step or a second submit are problems that change nothing', async () => {
    const { record, dispense } = await started();
    const path = `/api/records/${record.id}/changes`;
    const skip = { kind: 'skip', taskId: dispense.id, reason: 'Outage', password: demoPassword('quinn') };
    const state = async () => (await call('quinn', 'GET', `/api/records/${record.id}/dossier`)).body.steps;
    await changesNothingTo(state)(async () => {
      expectInput(await call('quinn', 'POST', path, { ...skip, kind: 'redo' }), '/kind');
      expectInput(await call('quinn', 'POST', path, { ...skip, reason: '' }), '/reason');
      expectInput(
        await call('quinn', 'POST', path, { ...skip, kind: 'add', formKey: 'nothing', name: 'X' }),
        '/formKey',
      );
      assertProblem(
        await call('olivia', 'POST', path, { ...skip, password: demoPassword('olivia') }),
        403,
        'not-allowed',
      );
      assertProblem(
        await call('quinn', 'POST', path, { ...skip, password: 'wrong' }),
        401,
        'unauthenticated',
      );
      assertProblem(await call('quinn', 'POST', path, { ...skip, kind: 'repeat' }), 409, 'conflict');
      assertProblem(
        await call('quinn', 'POST', '/api/records/00000000-0000-4000-8000-000000000009/changes', skip),
        404,
        'not-found',
      );
    });
    assert.equal((await call('quinn', 'POST', path, skip)).status, 201);
    const again = assertProblem(await call('quinn', 'POST', path, skip), 409, 'conflict');
    assert.match(again.detail, /The step is skipped already/);
  });

  it('F1: blocked — over HTTP no route acts on a step the flow has not reached, and the one naming a model element refuses a step its template keeps in order', async () => {
    const { record, dispense } = await started();
    const tasks = (await call('olivia', 'GET', `/api/tasks?instanceId=${record.instanceId}`)).body.tasks;
    assert.deepEqual(
      tasks.map((t: { elementId: string }) => t.elementId),
      ['dispense'],
    );
    await call('olivia', 'POST', `/api/tasks/${dispense.id}/complete`, { data });
    const state = async () => (await call('quinn', 'GET', `/api/records/${record.id}/dossier`)).body.steps;
    await changesNothingTo(state)(async () => {
      for (const [id, status] of [
        [dispense.id, 409],
        ['00000000-0000-4000-8000-000000000009', 404],
      ] as const) {
        for (const [method, path, body] of [
          ['POST', `/api/tasks/${id}/claim`, undefined],
          ['POST', `/api/tasks/${id}/complete`, { data }],
          ['POST', `/api/tasks/${id}/complete`, { data, signature: { password: demoPassword('olivia') } }],
          ['PUT', `/api/tasks/${id}/values`, { data }],
          ['POST', `/api/tasks/${id}/verification`, { username: 'oscar', password: demoPassword('oscar') }],
        ] as const) {
          assertProblem(
            await call('olivia', method, path, body),
            status,
            status === 404 ? 'not-found' : 'conflict',
          );
        }
      }
    });
    // A task is named by the id the engine gave it when the flow reached it. The one request that names
    // a model element asks to do that step ahead, which a template without attest:outOfOrder refuses.
    const openapi = (await call('quinn', 'GET', '/api/openapi.json')).body;
    const naming = Object.values(
      openapi.paths as Record<string, Record<string, { operationId: string; requestBody?: unknown }>>,
    )
      .flatMap((p) => Object.values(p))
      .filter((o) => JSON.stringify(o.requestBody ?? null).includes('"elementId"'))
      .map((o) => o.operationId);
    assert.deepEqual(naming, ['changeRecord']);
    await changesNothingTo(state)(async () => {
      for (const elementId of ['mix', 'review']) {
        const refused = assertProblem(
          await call('olivia', 'POST', `/api/records/${record.id}/changes`, {
            kind: 'outOfOrder',
            elementId,
            reason: 'Ahead',
            password: demoPassword('olivia'),
          }),
          409,
          'conflict',
        );
        assert.match(refused.detail, /may not be done out of order: its template keeps the model’s order/);
      }
    });
  });

  it('F1: override — over HTTP the operator sees the steps the template allows ahead, opens one with a reason and a signature, and fills it in', async () => {
    const record = (await call('olivia', 'POST', '/api/records', { template: 'ab', title: 'Batch 4' })).body;
    const view = (await call('olivia', 'GET', `/api/records/${record.id}`)).body;
    assert.deepEqual(view.stepsAhead, [
      { elementId: 'clean', name: 'Clean the mixer', candidateRoles: ['operator'] },
    ]);
    const path = `/api/records/${record.id}/changes`;
    const body = {
      kind: 'outOfOrder',
      elementId: 'clean',
      reason: 'Mixer free now',
      password: demoPassword('olivia'),
    };
    const state = async () => (await call('quinn', 'GET', `/api/records/${record.id}/dossier`)).body.steps;
    await changesNothingTo(state)(async () => {
      const noElement = { ...body, elementId: undefined };
      expectInput(await call('olivia', 'POST', path, noElement), '/elementId');
      expectInput(await call('olivia', 'POST', path, { ...body, elementId: 'nowhere' }), '/elementId');
      assertProblem(
        await call('quinn', 'POST', path, { ...body, password: demoPassword('quinn') }),
        403,
        'not-allowed',
      );
      assertProblem(
        await call('olivia', 'POST', path, { ...body, password: 'wrong' }),
        401,
        'unauthenticated',
      );
    });
    const done = await call('olivia', 'POST', path, body);
    assert.equal(done.status, 201, done.text);
    assert.equal(done.body.kind, 'outOfOrder');
    const step = await call('olivia', 'GET', `/api/tasks/${done.body.taskId}/form`);
    assert.equal(step.status, 200, step.text);
    const completed = await call('olivia', 'POST', `/api/tasks/${done.body.taskId}/complete`, {
      data: { title: 'Batch 4', temperature: 6, notes: '' },
      signature: { password: demoPassword('olivia') },
    });
    assert.equal(completed.status, 200, completed.text);
    const dossier = (await call('quinn', 'GET', `/api/records/${record.id}/dossier`)).body;
    const clean = dossier.steps.find((s: { elementId: string }) => s.elementId === 'clean');
    assert.deepEqual([clean.origin, clean.status, clean.change.kind], ['early', 'completed', 'outOfOrder']);
    const exception = dossier.exceptions.find((e: { type: string }) => e.type === 'out_of_order');
    assert.deepEqual([exception.blocking, exception.status], [true, 'open']);
  });
});
