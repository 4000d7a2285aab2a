import assert from 'node:assert/strict';
import { ConflictError, DeviceError, InputError, type Principal } from '../../src/index.ts';
import { attachTestDevice, GRANULATE_FORM, GRANULATE_MODEL } from '../support/devices.ts';
import { refusal } from '../support/refusal.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';

describe('Feature: device capture in steps — the server reads the device, checks the reading and keeps its raw answer', () => {
  let ctx: TestContext;
  let olivia: Principal;
  let adrian: Principal;
  let scale: Awaited<ReturnType<typeof attachTestDevice>>;

  before(async () => {
    ctx = await startTestEngine();
    olivia = await loginAs(ctx.engine, 'olivia');
    adrian = await loginAs(ctx.engine, 'adrian');
    const quinn = await loginAs(ctx.engine, 'quinn');
    await ctx.engine.forms.save(quinn, { key: 'granulate-weight', definition: GRANULATE_FORM });
    await ctx.engine.processes.deploy(quinn, GRANULATE_MODEL);
    scale = await attachTestDevice(ctx.engine);
  });
  after(async () => {
    await scale.close();
    await ctx.close();
  });

  const start = async () => {
    const started = await ctx.engine.processes.start(olivia, 'granulate');
    return started.openTasks[0]!.id;
  };
  const take = (task: string, over: Record<string, unknown> = {}) =>
    ctx.engine.tasks.takeReading(olivia, task, { pointer: '/netWeight', deviceId: scale.device.id, ...over });
  const values = async (task: string) =>
    (await ctx.engine.tasks.form(olivia, task)).values.map((v) => [v.pointer, v.value, v.source]);
  const deviceTrail = async () =>
    (await ctx.engine.audit.trail(adrian, { recordId: scale.device.id })).map((e) => e.type);

  it('E2, E3: Take reading enters the value from the device, converted to the field’s unit, with device, channel and raw answer', async () => {
    const task = await start();
    scale.answer('S S    12503.40 g');
    const { reading, value: weight } = await take(task);
    assert.equal(reading!.deviceCode, 'SC-01');
    assert.deepEqual([reading!.value, reading!.unit, reading!.stored], [12503.4, 'g', 12.5034]);
    assert.deepEqual(
      [weight!.value, weight!.source],
      [12.503, 'device'],
      'rounded to the field’s 3 decimals',
    );
    assert.deepEqual(weight!.device, {
      deviceId: 'SC-01',
      channel: 'weight',
      raw: 'S S    12503.40 g',
      readingId: reading!.id,
    });
    assert.equal(weight!.needsVerification, false, 'a value from a device needs no second person (E5)');
    assert.deepEqual(
      (await ctx.engine.tasks.form(olivia, task)).values.find((v) => v.pointer === '/netWeight'),
      weight,
      'the value answered is the value the step holds',
    );
    assert.deepEqual(scale.asked.at(-1)!.channel, 'weight');
    const history = await ctx.engine.processes.history(
      olivia,
      (await ctx.engine.tasks.get(olivia, task)).instanceId,
    );
    const entered = history.find((e) => e.type === 'form.values_entered')!;
    assert.deepEqual(entered.payload.changes, [
      {
        path: '/netWeight',
        old: null,
        new: 12.503,
        entered: 12.5034,
        source: 'device',
        device: { deviceId: 'SC-01', channel: 'weight', raw: 'S S    12503.40 g', readingId: reading!.id },
      },
    ]);
    // The client saves the form with the value it was given, naming the reading: nothing changes
    const saved = await ctx.engine.tasks.saveValues(olivia, task, {
      data: { netWeight: 12.5034, temperature: 21.5 },
      sources: { '/netWeight': { source: 'device', reading: reading!.id } },
    });
    assert.deepEqual(
      saved.values.map((v) => [v.pointer, v.value, v.source, v.changedAfterEntry]),
      [
        ['/netWeight', 12.503, 'device', false],
        ['/temperature', 21.5, 'manual', false],
      ],
    );
    // Completed with the value as the step shows it (rounded to the field's decimals), naming the reading
    const done = await ctx.engine.tasks.complete(olivia, task, {
      data: { netWeight: 12.503, temperature: 21.5 },
      sources: { '/netWeight': { source: 'device', reading: reading!.id } },
    });
    assert.equal(done.status, 'completed');
    assert.equal(done.variables.netWeight, 12.503);
    assert.ok((await ctx.engine.verify()).ok);
  });

  it('E6: unstable, overloaded, unitless and wrong-quantity readings are refused, kept with the reason, audited; nothing is entered', async () => {
    const task = await start();
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['S D     12.40 kg', {}, /not stable/],
      ['S +', { value: null, unit: null, stable: false, status: 'overload' }, /overload/],
      ['S -', { value: null, unit: null, stable: false, status: 'underload' }, /underload/],
      ['S S     12.40', { value: 12.4, unit: null, stable: true, status: 'ok' }, /no unit/],
      [
        'S S     21.5 °C',
        { value: 21.5, unit: '°C', stable: true, status: 'ok' },
        /°C \(temperature\).*kg \(mass\)/,
      ],
      ['ES', { value: null, unit: null, stable: false, status: 'error' }, /reports an error/],
    ];
    for (const [raw, over, message] of cases) {
      scale.answer(raw, over);
      const refused = await refusal(take(task), DeviceError);
      assert.match(refused.message, message, raw);
      assert.match(refused.message, /Nothing was entered/);
    }
    assert.deepEqual(await values(task), []);
    const kept = await ctx.engine.database
      .knex('device_readings')
      .where({ task_id: task })
      .orderBy('server_time')
      .select('raw', 'accepted', 'refusal');
    assert.deepEqual(
      kept.map((r) => [r.raw, r.accepted]),
      cases.map(([raw]) => [raw, false]),
    );
    const trail = await deviceTrail();
    assert.equal(trail.filter((t) => t === 'device.reading_refused').length >= cases.length, true);
  });

  it('E6, C4: a device that does not answer is a clear message and an audit event on the device; nothing is entered', async () => {
    const task = await start();
    scale.fail('no answer within 2000 ms');
    const refused = await refusal(take(task), DeviceError);
    assert.equal(refused.message, 'SC-01 could not be read: no answer within 2000 ms. Nothing was entered.');
    assert.deepEqual(await values(task), []);
    const events = await ctx.engine.audit.trail(adrian, { recordId: scale.device.id });
    const failed = events.filter((e) => e.type === 'device.read_failed').at(-1)!;
    assert.deepEqual(failed.payload, {
      taskId: task,
      pointer: '/netWeight',
      channel: 'weight',
      message: 'no answer within 2000 ms',
    });
    assert.equal(failed.actorId, olivia.userId, 'the operator who asked');
  });

  it('E6: a device out of service or past its calibration date is not read', async () => {
    const task = await start();
    const device = await ctx.engine.devices.get(adrian, scale.device.id);
    const change = (over: Record<string, unknown>, version: number) =>
      ctx.engine.devices.change(adrian, scale.device.id, {
        ...device,
        settings: device.settings!,
        reason: 'Test of the equipment gate',
        version,
        ...over,
      });
    await change({ status: 'out_of_service' }, device.version);
    const asked = scale.asked.length;
    assert.match((await refusal(take(task), ConflictError)).message, /SC-01 is out of service/);
    await change({ status: 'in_service', calibrationDue: '2020-01-31' }, device.version + 1);
    assert.match(
      (await refusal(take(task), ConflictError)).message,
      /calibration of device SC-01 fell due on 2020-01-31/,
    );
    assert.equal(scale.asked.length, asked, 'the device was not asked');
    await change({ calibrationDue: '2099-12-31' }, device.version + 2);
    assert.deepEqual(await values(task), []);
  });

  it('E2, C4: a client cannot state that a value came from a device, nor reuse another value’s reading, nor change the value read; typed in its place, the manual entry is audited', async () => {
    const task = await start();
    const claim = await refusal(
      ctx.engine.tasks.saveValues(olivia, task, {
        data: { netWeight: 12.5 },
        sources: { '/netWeight': { source: 'device', deviceId: 'SC-01', raw: 'S S     12.500 kg' } },
      }),
      InputError,
    );
    assert.deepEqual(
      claim.errors.map((e) => [e.pointer, e.keyword]),
      [['/sources/netWeight', 'reading']],
    );
    scale.answer('S S     12.500 kg');
    const { reading } = await take(task);
    const other = await start();
    const elsewhere = await refusal(
      ctx.engine.tasks.saveValues(olivia, other, {
        data: { netWeight: 12.5 },
        sources: { '/netWeight': { source: 'device', reading: reading!.id } },
      }),
      InputError,
    );
    assert.match(elsewhere.errors[0]!.message, /not a reading taken for this value of this step/);
    const changed = await refusal(
      ctx.engine.tasks.saveValues(olivia, task, {
        data: { netWeight: 12.6 },
        sources: { '/netWeight': { source: 'device', reading: reading!.id } },
        reason: 'Typo',
      }),
      InputError,
    );
    assert.match(changed.errors[0]!.message, /Net weight \(kg\) is 12.6, but SC-01 read 12.5 kg/);
    assert.deepEqual(await values(task), [['/netWeight', 12.5, 'device']]);
    assert.deepEqual(await values(other), []);
    // Typed over the reading, with a reason, it is a manual entry in place of the device (an exception)
    await ctx.engine.tasks.saveValues(olivia, task, {
      data: { netWeight: 12.6 },
      reason: 'Scale display misread',
    });
    assert.deepEqual(await values(task), [['/netWeight', 12.6, 'manual']]);
    // Critical and typed by hand, it needs a second person (E5); completed, the manual entry is audited (C4)
    await ctx.engine.tasks.verify(olivia, task, { username: 'oscar', password: demoPassword('oscar') });
    const done = await ctx.engine.tasks.complete(olivia, task, { data: { netWeight: 12.6 } });
    const raised = (await ctx.engine.processes.history(adrian, done.id)).filter(
      (e) => e.type === 'exception.raised',
    );
    assert.deepEqual(
      raised.map((e) => [e.payload.exceptionType, e.payload.message]),
      [['manual_entry', 'Net weight (kg) was entered by hand in place of the device']],
    );
  });

  it('a value saved while the device is read: the reading is entered into the step as it is now, the other value kept', async () => {
    const task = await start();
    const reader = ctx.engine.devices.reader()!;
    ctx.engine.devices.useReader({
      ...reader,
      async read(usable, channel) {
        await ctx.engine.tasks.saveValues(olivia, task, { data: { temperature: 21.5 } });
        return reader.read(usable, channel);
      },
    });
    try {
      scale.answer('S S    12503.40 g');
      const { value } = await take(task);
      assert.deepEqual([value!.value, value!.source], [12.503, 'device']);
    } finally {
      ctx.engine.devices.useReader(reader);
    }
    assert.deepEqual(await values(task), [
      ['/temperature', 21.5, 'manual'],
      ['/netWeight', 12.503, 'device'],
    ]);
    assert.ok((await ctx.engine.verify()).ok);
  });

  it('E6: tare and zero from the step only where the form allows them, each audited on the device', async () => {
    const task = await start();
    const tared = await take(task, { action: 'tare' });
    assert.equal(tared.reading, null);
    assert.deepEqual(scale.asked.at(-1)!.channel, 'tare');
    assert.equal((await deviceTrail()).at(-1), 'device.tared');
    const zero = await refusal(take(task, { action: 'zero' }), InputError);
    assert.match(zero.message, /does not allow to zero/);
    const text = await refusal(take(task, { pointer: '/temperature' }), InputError);
    assert.match(text.message, /Product temperature \(°C\) is not read from a device/);
    const bad = await refusal(
      take(task, { pointer: 'netWeight', deviceId: 'SC-01', action: 'weigh' }),
      InputError,
    );
    assert.deepEqual(
      bad.errors.map((e) => e.pointer),
      ['/pointer', '/deviceId', '/action'],
    );
  });

  it('E6: a device whose plugin is no longer enabled is not read', async () => {
    const task = await start();
    await ctx.engine.plugins.disable(adrian, 'plant-scale', {
      password: demoPassword('adrian'),
      reason: 'Interface under change control',
    });
    assert.match(
      (await refusal(take(task), ConflictError)).message,
      /plugin plant-scale of device SC-01 is not enabled/,
    );
    await ctx.engine.plugins.enable(adrian, 'plant-scale', {
      password: demoPassword('adrian'),
      reason: 'Change control closed',
    });
    assert.ok((await ctx.engine.verify()).ok, 'device events and readings leave the trail intact');
  });
});
