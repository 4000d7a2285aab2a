import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AuthenticationError, NotAllowedError, type Principal } from '../../src/index.ts';
import { cleanEquipment, releasedLot } from '../support/gates.ts';
import { attachTestDevice } from '../support/devices.ts';
import { refusal } from '../support/refusal.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
/** Forms are the forms folder's fixtures; the process models that use them are here. */
const form = (name: string) =>
  JSON.parse(readFileSync(new URL(`../forms/fixtures/${name}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
const taskOf = (instance: { openTasks: { id: string; elementId: string }[] }, elementId: string) =>
  instance.openTasks.find((t) => t.elementId === elementId)!.id;

describe('Feature: forms of user tasks, from entry to completion', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let quinn: Principal;
  let scale: Awaited<ReturnType<typeof attachTestDevice>>;
  let otherLot: string;
  before(async () => {
    ctx = await startTestEngine();
    [olivia, quinn] = [await loginAs(ctx.engine, 'olivia'), await loginAs(ctx.engine, 'quinn')];
    scale = await attachTestDevice(ctx.engine);
    // The lot and the balance pass the material and equipment gates (F3, F2).
    dispensed.lot = await releasedLot(ctx.engine, 'API-0001');
    otherLot = await releasedLot(ctx.engine, 'API-0001');
    await cleanEquipment(ctx.engine, 'SC-01', 'Balance');
    await ctx.engine.forms.save(quinn, { key: 'dispensing', definition: form('dispensing.json') });
    await ctx.engine.forms.save(quinn, { key: 'deviation-report', definition: form('deviationReport.json') });
    await ctx.engine.forms.save(quinn, { key: 'granulation', definition: form('granulation.json') });
    for (const model of ['dispensing.bpmn', 'deviation.bpmn', 'granulation.bpmn'])
      await ctx.engine.processes.deploy(quinn, fixture(model));
  });
  after(async () => {
    await scale.close();
    await ctx.close();
  });

  /** The scale answers `raw`; the server reads it into the weight: the source the save names. */
  const weigh = async (task: string, raw: string, reason?: string) => {
    scale.answer(raw);
    const { reading } = await ctx.engine.tasks.takeReading(olivia, task, {
      pointer: '/weight',
      deviceId: scale.device.id,
      ...(reason && { reason }),
    });
    return { '/weight': { source: 'device' as const, reading: reading!.id } };
  };

  const startDispensing = async () => {
    const started = await ctx.engine.processes.start(olivia, 'dispensing', {
      variables: { targetWeight: 100, tolerancePercent: 5 },
    });
    return { instance: started, task: taskOf(started, 'weigh') };
  };
  const dispensed = {
    material: 'API-0001',
    lot: '',
    scale: 'SC-01',
    weight: 101.96,
    containerIntact: 'yes',
    target: 1,
    submit: true,
  };

  it('Scenario: a form version is frozen once a deployed process uses it; a change is a new version', async () => {
    const versions = (await ctx.engine.forms.list(quinn)).filter((f) => f.key === 'dispensing');
    assert.equal(versions.length, 1);
    assert.ok(versions[0]!.lockedAt, 'deploying the process froze the form');
    const changed = form('dispensing.json');
    changed.title = 'Dispensing: weigh one component (rev. B)';
    const next = await ctx.engine.forms.save(quinn, { key: 'dispensing', definition: changed });
    assert.equal(next.version, 2);
    assert.equal(next.created, true);
    const again = await ctx.engine.forms.save(quinn, { key: 'dispensing', definition: changed });
    assert.deepEqual([again.version, again.created], [2, false], 'the same content is the same version');
    changed.title = 'Dispensing (rev. C)';
    const revised = await ctx.engine.forms.save(quinn, { key: 'dispensing', definition: changed });
    assert.deepEqual([revised.version, revised.revised], [2, true], 'a draft version may still change');
    await assert.rejects(
      ctx.asOwner((db) =>
        db('forms').where({ key: 'dispensing', version: 1 }).update({ title: 'x', definition: '{}' }),
      ),
      /in use and cannot change/,
    );
    const { instance } = await startDispensing();
    const contract = await ctx.engine.tasks.form(olivia, taskOf(instance, 'weigh'));
    assert.equal(contract.form.version, 1, 'the running process keeps the version it was deployed with');
  });

  it('Scenario: a form with JavaScript logic is refused at import, naming the component', async () => {
    const definition = form('dispensing.json');
    (definition.components as Record<string, unknown>[]).push({
      type: 'number',
      key: 'yield',
      label: 'Yield',
      input: true,
      calculateValue: 'value = data.weight * 2',
    });
    const error = await refusal(ctx.engine.forms.save(quinn, { key: 'dispensing-js', definition }));
    assert.match(error.message, /Component "yield": a JavaScript calculated value is not supported/);
    assert.equal((await ctx.engine.forms.list(quinn)).filter((f) => f.key === 'dispensing-js').length, 0);
  });

  it('Scenario: the renderer contract gives the form, values, limits and locks of a task', async () => {
    const { task } = await startDispensing();
    const contract = await ctx.engine.tasks.form(olivia, task);
    assert.equal(contract.form.key, 'dispensing');
    assert.equal(contract.signature, null, 'the model does not sign the weighing');
    const text = JSON.stringify(contract.form.components);
    assert.ok(!text.includes('<script'), 'instructions are sanitized');
    assert.ok(
      !text.includes('measuredValue"'.slice(0, 0) + '"type":"measuredValue"'),
      'GMP types render as inputs',
    );
    const weight = contract.fields.find((f) => f.key === 'weight')!;
    assert.deepEqual(weight.limits, {
      alert: { min: 97.5, max: 102.5 },
      action: { min: 95, max: 105 },
      reject: true,
      comment: false,
    });
    assert.equal(weight.unit, 'g');
    assert.equal(weight.critical, true);
    assert.equal(
      contract.fields.find((f) => f.key === 'target')!.locked,
      true,
      'calculated values are locked',
    );
    assert.equal(contract.fields.find((f) => f.key === 'lot')!.locked, false);
    assert.deepEqual(contract.values, []);
  });

  it('E5: a critical value entered by hand needs a second person; B5: not the one who entered it', async () => {
    const { task } = await startDispensing();
    // Given the operator saves the values, the weight from the scale and the lot typed in
    const weighed = await weigh(task, 'S S     101.96 g');
    const saved = await ctx.engine.tasks.saveValues(olivia, task, { data: dispensed, sources: weighed });
    const lot = saved.values.find((v) => v.pointer === '/lot')!;
    assert.equal(lot.needsVerification, true);
    assert.equal(
      saved.values.find((v) => v.pointer === '/weight')!.needsVerification,
      false,
      'device capture',
    );
    assert.equal(saved.data.target, 100, 'the server computed the target; the client value was ignored');
    // When she completes, then it is refused until someone verifies the lot
    const unverified = await refusal(
      ctx.engine.tasks.complete(olivia, task, {
        data: dispensed,
        sources: weighed,
      }),
    );
    assert.deepEqual(
      unverified.errors.map((e) => `${e.pointer} ${e.keyword}`),
      ['/lot verification'],
    );
    // When she tries to verify her own entry with her own password, then it is refused
    await assert.rejects(
      ctx.engine.tasks.verify(olivia, task, { username: 'olivia', password: demoPassword('olivia') }),
      NotAllowedError,
    );
    await assert.rejects(
      ctx.engine.tasks.verify(olivia, task, { username: 'oscar', password: 'wrong' }),
      AuthenticationError,
    );
    // When Oscar verifies at her tablet with his own id and password
    const verified = await ctx.engine.tasks.verify(olivia, task, {
      username: 'oscar',
      password: demoPassword('oscar'),
    });
    const oscar = (await ctx.engine.identity.listUsers(await loginAs(ctx.engine, 'adrian'))).find(
      (u) => u.username === 'oscar',
    )!;
    assert.equal(verified.values.find((v) => v.pointer === '/lot')!.verifiedBy, oscar.id);
    const contract = await ctx.engine.tasks.form(olivia, task);
    const instanceId = (await ctx.engine.tasks.list(olivia)).find((t) => t.id === task)!.instanceId;
    const [signature] = await ctx.engine.signatures.list(quinn, instanceId, 'instance');
    assert.equal(signature!.meaning, 'Verified');
    assert.equal(signature!.manifestation.userId, 'oscar');
    assert.deepEqual(signature!.covers, { taskId: task, pointers: ['/lot'] });
    assert.equal(signature!.contentChanged, false);
    assert.equal(contract.values.find((v) => v.pointer === '/lot')!.needsVerification, false);
    // Then she completes
    const done = await ctx.engine.tasks.complete(olivia, task, {
      data: dispensed,
      sources: weighed,
    });
    assert.equal(done.status, 'completed');
    assert.equal(done.variables.weight, 102, 'rounded half up to 1 decimal');
    assert.equal(done.variables.deviationPercent, 2);
  });

  it('B3: changing a value after its first entry needs a reason; the trail keeps old and new (C1, D5)', async () => {
    const { instance, task } = await startDispensing();
    await weigh(task, 'S S      98.20 g');
    // When the weight is taken again without a reason, then it is refused and nothing changes
    const noReason = await refusal(weigh(task, 'S S     101.96 g'));
    assert.equal(noReason.errors[0]!.pointer, '/reason');
    assert.match(noReason.message, /reason is required to change Weight \(g\)/);
    assert.equal((await ctx.engine.tasks.form(olivia, task)).data.weight, 98.2);
    // With a reason, it is corrected; the value is marked as changed after its original entry
    const again = {
      data: dispensed,
      sources: await weigh(task, 'S S     101.96 g', 'Container not fully emptied'),
    };
    await ctx.engine.tasks.saveValues(olivia, task, again);
    await ctx.engine.tasks.verify(olivia, task, { username: 'oscar', password: demoPassword('oscar') });
    const contract = await ctx.engine.tasks.form(olivia, task);
    const weight = contract.values.find((v) => v.pointer === '/weight')!;
    assert.deepEqual(
      [weight.value, weight.originalValue, weight.changedAfterEntry, weight.changeReason],
      [102, 98.2, true, 'Container not fully emptied'],
    );
    assert.equal(
      contract.values.find((v) => v.pointer === '/lot')!.changedAfterEntry,
      false,
      'lot first entered now',
    );
    // When the verified lot is changed, then its verification no longer holds
    await ctx.engine.tasks.saveValues(olivia, task, {
      ...again,
      data: { ...dispensed, lot: otherLot },
      reason: 'Wrong lot scanned',
    });
    const relot = await ctx.engine.tasks.form(olivia, task);
    assert.equal(relot.values.find((v) => v.pointer === '/lot')!.needsVerification, true);
    const signatures = await ctx.engine.signatures.list(quinn, instance.id, 'instance');
    assert.equal(
      signatures[0]!.contentChanged,
      true,
      'the verification shows the value changed after it (B4)',
    );
    const history = await ctx.engine.processes.history(quinn, instance.id);
    const corrected = history.filter((e) => e.type === 'form.values_corrected');
    assert.deepEqual(
      corrected.map((e) => [
        e.reason,
        (e.payload.changes as { path: string; old: unknown; new: unknown }[]).map((c) => [
          c.path,
          c.old,
          c.new,
        ]),
      ]),
      [
        [
          'Container not fully emptied',
          [
            ['/weight', 98.2, 102],
            ['/deviationPercent', -1.8, 2],
          ],
        ],
        ['Wrong lot scanned', [['/lot', dispensed.lot, otherLot]]],
      ],
    );
    assert.ok((await ctx.engine.verify()).ok);
  });

  it('F4: a value outside a rejecting action limit is refused in plain language; all errors at once', async () => {
    const { task } = await startDispensing();
    const error = await refusal(
      ctx.engine.tasks.complete(olivia, task, {
        data: { ...dispensed, weight: 106.04, material: 'api-1', containerIntact: 'no' },
      }),
    );
    assert.deepEqual(
      error.errors.map((e) => [e.pointer, e.keyword, e.message]),
      [
        ['/damage', 'required', 'Describe the damage is required'],
        ['/material', 'pattern', 'Material code does not have the required format'],
        ['/weight', 'maximum', 'Weight (g) must be at most 105.0'],
      ],
    );
    assert.deepEqual((await ctx.engine.tasks.form(olivia, task)).values, [], 'nothing was written');
  });

  it('F4: a value outside action limits raises a blocking exception of high severity on the record', async () => {
    const started = await ctx.engine.processes.start(olivia, 'granulation');
    const task = taskOf(started, 'dry');
    const done = await ctx.engine.tasks.complete(olivia, task, {
      data: { inletTemperature: 66.04, lossOnDrying: 1.234 },
      confirmed: ['/inletTemperature'],
    });
    assert.equal(done.status, 'completed');
    assert.equal(done.variables.lossOnDrying, 1.2, 'two significant digits');
    const contract = await ctx.engine.tasks.form(olivia, task);
    assert.deepEqual(
      contract.exceptions.map((e) => [e.pointer, e.type, e.severity, e.blocking, e.message]),
      [
        [
          '/inletTemperature',
          'limit_breach',
          'high',
          true,
          'Inlet air temperature (°C) 66.0 is above the action limit 65.0',
        ],
      ],
    );
    assert.ok(
      contract.fields.every((f) => f.locked),
      'a completed task is locked',
    );
    const history = await ctx.engine.processes.history(quinn, started.id);
    assert.ok(history.some((e) => e.type === 'exception.raised' && e.payload.severity === 'high'));
  });

  it('E7: N/A needs a reason and becomes an exception; required fields cannot be blank', async () => {
    const started = await ctx.engine.processes.start(olivia, 'granulation');
    const task = taskOf(started, 'dry');
    const blank = await refusal(ctx.engine.tasks.complete(olivia, task, { data: { inletTemperature: 60 } }));
    assert.deepEqual(
      blank.errors.map((e) => e.message),
      ['Loss on drying (%) is required'],
    );
    const noReason = await refusal(
      ctx.engine.tasks.complete(olivia, task, {
        data: { inletTemperature: 60 },
        na: { '/lossOnDrying': ' ' },
      }),
    );
    assert.deepEqual(
      noReason.errors.map((e) => e.pointer),
      ['/na/lossOnDrying', '/lossOnDrying'],
    );
    const done = await ctx.engine.tasks.complete(olivia, task, {
      data: { inletTemperature: 60 },
      na: { '/lossOnDrying': 'Moisture analyser under repair; tested by QC instead' },
    });
    assert.equal(done.variables.lossOnDrying, null);
    const contract = await ctx.engine.tasks.form(olivia, task);
    assert.equal(
      contract.values.find((v) => v.pointer === '/lossOnDrying')!.naReason,
      'Moisture analyser under repair; tested by QC instead',
    );
    assert.deepEqual(
      contract.exceptions.map((e) => [e.type, e.severity]),
      [['na', 'low']],
    );
  });

  it('Scenario: a deviation report round trip: grid rows shown by a condition, a legacy conditional, files as references', async () => {
    const started = await ctx.engine.processes.start(olivia, 'deviation-report');
    const task = taskOf(started, 'report');
    const report = {
      title: 'Torn label on drum 3',
      occurredAt: '2026-11-24T09:40:00+08:00',
      area: 'warehouse',
      category: { quality: false, gmp: true, safety: false, documentation: true },
      description: 'Drum 3 of lot L-2026-117 arrived with its label torn across the lot number.',
      batchAffected: 'no',
      batches: [{ batchNumber: 'B-1' }],
      equipmentAffected: false,
      equipment: 'SC-01',
      immediateActions: 'Drum quarantined, QA informed.',
      attachments: [
        { id: '9b2e4c1a-5d3f-4e6a-8b7c-1d2e3f4a5b6c', name: 'label.jpg', size: 48213, type: 'image/jpeg' },
      ],
      submit: true,
    };
    const missing = await refusal(
      ctx.engine.tasks.complete(olivia, task, { data: { ...report, batchAffected: 'yes', batches: [] } }),
    );
    assert.deepEqual(
      missing.errors.map((e) => e.message),
      ['Affected batches is required'],
    );
    const done = await ctx.engine.tasks.complete(olivia, task, { data: report });
    assert.equal(done.status, 'active');
    assert.equal(done.variables.batches, undefined, 'hidden grid cleared');
    assert.equal(done.variables.equipment, undefined, 'hidden by the legacy conditional, cleared');
    assert.deepEqual(done.variables.category, report.category);
    const contract = await ctx.engine.tasks.form(quinn, task);
    assert.equal(contract.status, 'completed');
    assert.deepEqual(contract.values.map((v) => v.pointer).sort(), [
      '/area',
      '/attachments',
      '/batchAffected',
      '/category',
      '/description',
      '/equipmentAffected',
      '/immediateActions',
      '/occurredAt',
      '/title',
    ]);
    assert.ok(contract.values.every((v) => v.source === 'manual' && v.enteredBy === olivia.userId));
    // The triage task has no form: it is still completed with variables
    const triaged = await ctx.engine.tasks.complete(quinn, taskOf(done, 'triage'), {
      variables: { classification: 'minor' },
    });
    assert.equal(triaged.status, 'completed');
  });

  it('Scenario: a form step whose output the model cannot work out is refused as input, and nothing changes', async () => {
    await ctx.engine.forms.save(quinn, {
      key: 'note',
      definition: { components: [{ type: 'textfield', key: 'note', label: 'Note', input: true }] },
    });
    await ctx.engine.processes.deploy(
      quinn,
      `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:attest="http://attest.dev/schema/bpmn/1.0"
  id="d" targetNamespace="https://attest.example/test">
  <process id="notes" isExecutable="true">
    <startEvent id="start" />
    <sequenceFlow id="f1" sourceRef="start" targetRef="write" />
    <userTask id="write" attest:formKey="note" attest:candidateRoles="operator">
      <multiInstanceLoopCharacteristics isSequential="true" attest:collection="[1]" attest:elementVariable="item"
        attest:outputCollection="counts" attest:outputElement="count(for i in 1..n return i)" />
    </userTask>
    <sequenceFlow id="f2" sourceRef="write" targetRef="end" />
    <endEvent id="end" />
  </process>
</definitions>`,
    );
    const started = await ctx.engine.processes.start(olivia, 'notes', { variables: { n: 100_000 } });
    const task = taskOf(started, 'write');
    const error = await refusal(ctx.engine.tasks.complete(olivia, task, { data: { note: 'x' } }));
    assert.match(error.message, /^The task cannot be completed with these values: .*FEEL limits/);
    const after = await ctx.engine.processes.get(olivia, started.id);
    assert.deepEqual(
      after.openTasks.map((t) => t.id),
      [task],
      'the task is still open',
    );
  });

  it('Scenario: a process naming a form that does not exist is refused at deployment', async () => {
    const xml = fixture('granulation.bpmn').replace(
      'attest:formKey="granulation"',
      'attest:formKey="granulation@7"',
    );
    const error = await refusal(
      ctx.engine.processes.deploy(quinn, xml.replace('id="granulation"', 'id="granulation-7"')),
    );
    assert.deepEqual(
      error.errors.map((e) => [e.pointer, e.message]),
      [['/elements/dry', 'the form granulation@7 does not exist; import it first']],
    );
  });
});
