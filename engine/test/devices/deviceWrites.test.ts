import assert from 'node:assert/strict';
import {
  AuthenticationError,
  ConflictError,
  DeviceError,
  NotAllowedError,
  type Principal,
} from '../../src/index.ts';
import { attachTestDevice } from '../support/devices.ts';
import { refusal } from '../support/refusal.ts';
import {
  createColleague,
  demoPassword,
  loginAs,
  startTestEngine,
  type TestContext,
} from '../support/testEngine.ts';

describe('Feature: writing to a device (a PLC set point) only with the authority, the password again and a reason, audited (A2, C4)', () => {
  let ctx: TestContext;
  let adrian: Principal;
  let olivia: Principal;
  let petr: Principal;
  let plc: Awaited<ReturnType<typeof attachTestDevice>>;

  before(async () => {
    ctx = await startTestEngine();
    adrian = await loginAs(ctx.engine, 'adrian');
    olivia = await loginAs(ctx.engine, 'olivia');
    plc = await attachTestDevice(ctx.engine, { code: 'PLC-GRAN-1', kind: 'plc', name: 'Granulator PLC' });
    await ctx.engine.identity.defineRole(
      adrian,
      {
        name: 'process-engineer',
        title: 'Process engineer',
        description: 'Sets process parameters on the line',
        permissions: ['devices.write', 'audit.read'],
      },
      { password: demoPassword('adrian'), reason: 'Set points are written by process engineering' },
    );
    ({ principal: petr } = await createColleague(ctx, 'petr', ['process-engineer'], 'Quartz-Lamp-4829'));
  });
  after(async () => {
    await plc.close();
    await ctx.close();
  });

  const write = (who: Principal, over: Record<string, unknown> = {}) =>
    ctx.engine.devices.write(who, plc.device.id, {
      channel: 'setPoint',
      value: 42.5,
      reason: 'Inlet air temperature per batch instruction step 4',
      password: 'Quartz-Lamp-4829',
      ...over,
    });
  const trail = async () => (await ctx.engine.audit.trail(adrian, { recordId: plc.device.id })).slice(1);

  it('A2: someone without the authority to write to devices is refused, and nothing is written', async () => {
    const asked = plc.asked.length;
    await refusal(write(olivia, { password: demoPassword('olivia') }), NotAllowedError);
    await refusal(write(adrian, { password: demoPassword('adrian') }), NotAllowedError);
    assert.equal(plc.asked.length, asked);
    assert.deepEqual(await trail(), []);
  });

  it('A2, C4: a process engineer writes a set point with the password again and a reason; the write is audited on the device', async () => {
    await refusal(write(petr, { password: 'wrong' }), AuthenticationError);
    assert.deepEqual(await trail(), [], 'a wrong password writes nothing');
    const written = await write(petr);
    assert.deepEqual([written.channel, written.value], ['setPoint', 42.5]);
    assert.deepEqual(plc.asked.at(-1)!.channel, 'setPoint');
    assert.equal(plc.asked.at(-1)!.value, 42.5);
    const [event] = (await trail()).filter((e) => e.type === 'device.written');
    assert.deepEqual(
      [event!.actorId, event!.payload, event!.reason],
      [
        petr.userId,
        { channel: 'setPoint', value: 42.5 },
        'Inlet air temperature per batch instruction step 4',
      ],
    );
  });

  it('E6, C4: a write the device refuses is a clear message and an audit event; a device out of service is not written', async () => {
    plc.fail('BadNotWritable: the node is read-only');
    const failed = await refusal(write(petr, { channel: 'temperature', value: 60 }), DeviceError);
    assert.match(failed.message, /PLC-GRAN-1 could not be written: BadNotWritable.*Nothing was changed\./);
    assert.equal((await trail()).at(-1)!.type, 'device.write_failed');
    const device = await ctx.engine.devices.get(adrian, plc.device.id);
    await ctx.engine.devices.change(adrian, plc.device.id, {
      ...device,
      settings: device.settings!,
      status: 'out_of_service',
      reason: 'PLC under maintenance',
      version: device.version,
    });
    const asked = plc.asked.length;
    await refusal(write(petr), ConflictError);
    assert.equal(plc.asked.length, asked);
    assert.ok((await ctx.engine.verify()).ok);
  });
});
