import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { demoPassword } from '../../../engine/test/support/testEngine.ts';
import { attachTestDevice } from '../../../engine/test/support/devices.ts';
import { cleanEquipment, releasedLot } from '../../../engine/test/support/gates.ts';
import { assertProblem, startTestApi, type DemoUser, type TestApi } from './support/api.ts';

/** A fixture of the engine's tests: forms are the forms folder's, the process models the steps'. */
const fixture = (path: string) =>
  readFileSync(new URL(`../../../engine/test/${path}`, import.meta.url), 'utf8');

describe('Feature: forms and task values over HTTP', () => {
  let api: TestApi;
  const tokens: Partial<Record<DemoUser, string>> = {};
  const as = (who: DemoUser) => ({ token: tokens[who]! });

  let scale: Awaited<ReturnType<typeof attachTestDevice>>;
  let lot: string;

  before(async () => {
    api = await startTestApi();
    for (const who of ['olivia', 'oscar', 'quinn'] as const) tokens[who] = await api.login(who);
    scale = await attachTestDevice(api.ctx.engine);
    lot = await releasedLot(api.ctx.engine, 'API-0001');
    await cleanEquipment(api.ctx.engine, 'SC-01', 'Balance');
  });
  after(async () => {
    await scale.close();
    await api.close();
  });

  it('imports a form, deploys a process using it and runs the dispensing step to completion', async () => {
    const imported = await api.request('POST', '/api/forms', {
      ...as('quinn'),
      body: { key: 'dispensing', definition: JSON.parse(fixture('forms/fixtures/dispensing.json')) },
    });
    assert.equal(imported.status, 201);
    assert.equal(imported.body.version, 1);
    const same = await api.request('POST', '/api/forms', {
      ...as('quinn'),
      body: { key: 'dispensing', definition: JSON.parse(fixture('forms/fixtures/dispensing.json')) },
    });
    assert.deepEqual([same.status, same.body.created], [200, false]);
    const detail = await api.request('GET', '/api/forms/dispensing?version=1', as('olivia'));
    assert.equal(detail.body.schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(detail.body.schema.properties.weight['x-attest'].unit, 'g');
    const listed = await api.request('GET', '/api/forms', as('olivia'));
    assert.deepEqual(
      listed.body.forms.map((f: { key: string }) => f.key),
      ['dispensing'],
    );
    assert.equal(
      (
        await api.request('POST', '/api/processes', {
          ...as('quinn'),
          body: { xml: fixture('steps/fixtures/dispensing.bpmn') },
        })
      ).status,
      201,
    );
    const started = await api.request('POST', '/api/processes/dispensing/instances', {
      ...as('olivia'),
      body: { variables: { targetWeight: 100, tolerancePercent: 5 } },
    });
    const task = started.body.openTasks[0].id as string;

    const contract = await api.request('GET', `/api/tasks/${task}/form`, as('olivia'));
    assert.equal(contract.status, 200);
    assert.equal(contract.body.form.key, 'dispensing');
    assert.equal(contract.body.signature, null, 'the weighing step is not signed');
    const step = await api.request('GET', `/api/tasks/${task}`, as('olivia'));
    assert.deepEqual(
      [step.body.name, step.body.formKey, step.body.signature],
      ['Weigh the component', 'dispensing', null],
    );
    assert.deepEqual(contract.body.fields.find((f: { key: string }) => f.key === 'weight').limits.action, {
      min: 95,
      max: 105,
    });

    const data = { material: 'API-0001', lot, scale: 'SC-01', weight: 110, containerIntact: 'yes' };
    const weigh = (raw: string) => {
      scale.answer(raw);
      return api.request('POST', `/api/tasks/${task}/readings`, {
        ...as('olivia'),
        body: { pointer: '/weight', deviceId: scale.device.id },
      });
    };
    // A reading beyond the rejecting limit is refused as the value would be: nothing is entered
    const invalid = await weigh('S S     110.00 g');
    const problem = assertProblem(invalid, 400, 'input');
    assert.deepEqual(problem.errors, [
      { pointer: '/weight', keyword: 'maximum', message: 'Weight (g) must be at most 105.0' },
    ]);

    const taken = await weigh('S S     100.02 g');
    assert.equal(taken.status, 200, taken.text);
    const reweighed = { '/weight': { source: 'device', reading: taken.body.reading.id } };
    const saved = await api.request('PUT', `/api/tasks/${task}/values`, {
      ...as('olivia'),
      body: { data: { ...data, weight: 100.02 }, sources: reweighed },
    });
    assert.equal(saved.status, 200);
    assert.equal(saved.body.data.weight, 100);
    const self = await api.request('POST', `/api/tasks/${task}/verification`, {
      ...as('olivia'),
      body: { username: 'olivia', password: demoPassword('olivia') },
    });
    assertProblem(self, 403, 'not-allowed');
    const verified = await api.request('POST', `/api/tasks/${task}/verification`, {
      ...as('olivia'),
      body: { username: 'oscar', password: demoPassword('oscar'), pointers: ['/lot'] },
    });
    assert.equal(verified.status, 200);
    assert.ok(verified.body.signatureId);
    const done = await api.request('POST', `/api/tasks/${task}/complete`, {
      ...as('olivia'),
      body: { data: { ...data, weight: 100.02 }, sources: reweighed },
    });
    assert.equal(done.status, 200);
    assert.equal(done.body.status, 'completed');
    assert.equal(done.body.variables.deviationPercent, 0);
    const closed = await api.request('GET', `/api/tasks/${task}/form`, as('quinn'));
    assert.equal(closed.body.status, 'completed');
    const weight = closed.body.values.find((v: { pointer: string }) => v.pointer === '/weight');
    assert.deepEqual([weight.value, weight.entered, weight.device.raw], [100, 100.02, 'S S     100.02 g']);
  });

  it('refuses a form with JavaScript at import with one error per component, naming the feature', async () => {
    const response = await api.request('POST', '/api/forms', {
      ...as('quinn'),
      body: {
        key: 'bad',
        definition: {
          components: [
            { type: 'textfield', key: 'a', input: true, validate: { custom: 'valid = input === "x"' } },
            { type: 'textfield', key: 'b', input: true, customConditional: 'show = data.a === "y"' },
          ],
        },
      },
    });
    const problem = assertProblem(response, 400, 'input');
    assert.deepEqual(
      problem.errors!.map((e) => e.message),
      [
        'Component "a": custom JavaScript validation is not supported',
        'Component "b": a JavaScript conditional is not supported',
      ],
    );
    const operator = await api.request('POST', '/api/forms', {
      ...as('olivia'),
      body: { key: 'x', definition: { components: [] } },
    });
    assertProblem(operator, 403, 'not-allowed');
  });
});
