import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { demoPassword, loginAs } from '../../../engine/test/support/testEngine.ts';
import { effectiveOrderedBatch } from '../../../engine/test/changes/fixtures.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';
import { changesNothingTo, expectInput } from './support/refusals.ts';

describe('Feature: run-time changes and step order over HTTP (D7, F1)', () => {
  let api: TestApi;
  const tokens: Record<'olivia' | 'quinn' | 'petra', string> = { olivia: '', quinn: '', petra: '' };

  before(async () => {
    api = await startTestApi();
    const { engine } = api.ctx;
    await effectiveOrderedBatch(engine, await loginAs(engine, 'quinn'), await loginAs(engine, 'petra'));
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

  it('F1: blocked — over HTTP no route acts on a step the flow has not reached, and none names a model element to make one', async () => {
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
    // A task is named by the id the engine gave it when the flow reached it; no request names an element.
    const openapi = (await call('quinn', 'GET', '/api/openapi.json')).body;
    const bodies = JSON.stringify(
      Object.values(openapi.paths as Record<string, Record<string, { requestBody?: unknown }>>).flatMap((p) =>
        Object.values(p).map((o) => o.requestBody ?? null),
      ),
    );
    assert.doesNotMatch(bodies, /"elementId"/);
  });
});
