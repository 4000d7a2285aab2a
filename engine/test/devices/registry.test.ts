import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  type DeviceInput,
  type Principal,
} from '../../src/index.ts';
import { verifyTampered } from '../support/tampering.ts';
import { demoPassword, loginAs, startTestEngine, type TestContext } from '../support/testEngine.ts';

const SETTINGS_SCHEMA = {
  type: 'object',
  required: ['host', 'port'],
  additionalProperties: false,
  properties: { host: { type: 'string' }, port: { type: 'integer', minimum: 1, maximum: 65535 } },
};

describe('Feature: the device registry — plugin, settings, room, calibration and status, each change audited with its reason', () => {
  let ctx: TestContext;
  let adrian: Principal;
  let olivia: Principal;
  let dir: string;

  before(async () => {
    ctx = await startTestEngine();
    adrian = await loginAs(ctx.engine, 'adrian');
    olivia = await loginAs(ctx.engine, 'olivia');
    dir = await mkdtemp(join(tmpdir(), 'attest-devices-'));
    for (const [folder, kind] of [
      ['scale', 'device'],
      ['erp', 'handler'],
    ] as const) {
      await mkdir(join(dir, folder));
      await writeFile(
        join(dir, folder, 'package.json'),
        JSON.stringify({
          name: `plant-${folder}`,
          version: '1.0.0',
          attest: { apiVersion: 1, kind, entry: './index.js', settings: SETTINGS_SCHEMA },
        }),
      );
      await writeFile(join(dir, folder, 'index.js'), 'export const connector = {};\n');
    }
    await ctx.engine.plugins.sync([{ dir, source: 'folder' }]);
  });
  after(async () => {
    await ctx.close();
    await rm(dir, { recursive: true, force: true });
  });

  const balance = (over: Partial<DeviceInput> = {}): DeviceInput => ({
    code: 'BAL-0042',
    name: 'Floor scale, dispensing booth 2',
    kind: 'scale',
    plugin: 'plant-scale',
    settings: { host: '10.0.4.21', port: 4305 },
    room: 'Dispensing 2',
    line: null,
    calibrationDue: '2099-06-30',
    status: 'in_service',
    reason: 'Installed and qualified, IQ/OQ-0042',
    ...over,
  });
  const trail = async (id: string) => ctx.engine.audit.trail(adrian, { recordId: id });

  it('registers a device with its plugin’s settings checked, refuses what is wrong with every problem named, and audits it', async () => {
    const count = async () => (await ctx.engine.database.knex('devices').count({ n: '*' }))[0]!.n;
    const before = await count();
    await assert.rejects(
      ctx.engine.devices.register(adrian, balance({ settings: { host: '10.0.4.21', port: 0, tls: true } })),
      (e: Error) =>
        e instanceof InputError &&
        e.errors.some((x) => x.pointer === '/settings/port') &&
        e.errors.some((x) => x.pointer === '/settings' && /additional/.test(x.message)),
    );
    await assert.rejects(
      ctx.engine.devices.register(
        adrian,
        balance({ code: 'bal 42', plugin: 'plant-erp', calibrationDue: '2099-13-01', reason: ' ' }),
      ),
      (e: Error) =>
        e instanceof InputError &&
        ['/code', '/plugin', '/calibrationDue', '/reason'].every((p) =>
          e.errors.some((x) => x.pointer === p),
        ),
    );
    await assert.rejects(ctx.engine.devices.register(olivia, balance()), NotAllowedError);
    assert.equal(await count(), before, 'nothing written');

    const device = await ctx.engine.devices.register(adrian, balance());
    assert.deepEqual(
      [device.code, device.state, device.version, device.calibrationDue, device.settings],
      ['BAL-0042', 'in_service', 1, '2099-06-30', { host: '10.0.4.21', port: 4305 }],
    );
    await assert.rejects(ctx.engine.devices.register(adrian, balance()), /BAL-0042 is registered already/);
    const seen = await ctx.engine.devices.get(olivia, device.id);
    assert.equal(seen.settings, null, 'an operator sees where a device stands, not how it is reached');
    const [registered] = await trail(device.id);
    assert.deepEqual(
      [registered?.type, registered?.reason, registered?.payload.plugin],
      ['device.registered', 'Installed and qualified, IQ/OQ-0042', 'plant-scale'],
    );
  });

  it('changes a device with a reason, keeping old and new of each field; a change on a stale version is refused', async () => {
    const [device] = await ctx.engine.devices.list(adrian);
    const changed = await ctx.engine.devices.change(adrian, device!.id, {
      ...balance({ room: 'Dispensing 3', reason: 'Moved to booth 3' }),
      version: 1,
    });
    assert.deepEqual([changed.room, changed.version], ['Dispensing 3', 2]);
    const last = (await trail(device!.id)).at(-1)!;
    assert.deepEqual(
      [last.type, last.reason, last.payload.changes],
      ['device.changed', 'Moved to booth 3', [{ path: '/room', old: 'Dispensing 2', new: 'Dispensing 3' }]],
    );
    await assert.rejects(
      ctx.engine.devices.change(adrian, device!.id, { ...balance({ reason: 'Back' }), version: 1 }),
      (e: Error) => e instanceof ConflictError && /changed since version 1/.test(e.message),
    );
    await assert.rejects(
      ctx.engine.devices.change(adrian, device!.id, {
        ...balance({ room: 'Dispensing 3', reason: 'Again' }),
        version: 2,
      }),
      /Nothing of device BAL-0042 is changed/,
    );
  });

  it('a device out of service, past its calibration date, or whose plugin is not enabled cannot be read into a step, and says why', async () => {
    const [device] = await ctx.engine.devices.list(adrian);
    await assert.rejects(
      ctx.engine.devices.usable(device!.id),
      /plugin plant-scale of device BAL-0042 is not enabled/,
    );
    await ctx.engine.plugins.enable(adrian, 'plant-scale', { password: demoPassword('adrian') });
    assert.equal((await ctx.engine.devices.usable(device!.id)).device.code, 'BAL-0042');

    const overdue = await ctx.engine.devices.change(adrian, device!.id, {
      ...balance({
        room: 'Dispensing 3',
        calibrationDue: '2020-01-31',
        reason: 'Calibration date from the certificate',
      }),
      version: 2,
    });
    assert.equal(overdue.state, 'calibration_due');
    await assert.rejects(
      ctx.engine.devices.usable(device!.id),
      /calibration of device BAL-0042 fell due on 2020-01-31: it may not be read/,
    );
    const out = await ctx.engine.devices.change(adrian, device!.id, {
      ...balance({ room: 'Dispensing 3', status: 'out_of_service', reason: 'Load cell damaged' }),
      version: 3,
    });
    assert.equal(out.state, 'out_of_service');
    await assert.rejects(ctx.engine.devices.usable(device!.id), /BAL-0042 is out of service/);
    const verified = await ctx.engine.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });

  it('the database owner putting a device back in service, or changing its settings, without an audited change is found by verify', async () => {
    for (const tamper of [
      (db: Knex.Transaction) => db('devices').update({ status: 'in_service' }),
      (db: Knex.Transaction) =>
        db('devices').update({ settings: JSON.stringify({ host: '10.6.6.6', port: 4305 }) }),
      (db: Knex.Transaction) => db('devices').update({ calibration_due: '2099-01-01' }),
    ]) {
      const report = await verifyTampered(ctx, tamper);
      assert.ok(
        report.mismatches.some((m) => m.table === 'devices'),
        JSON.stringify(report.mismatches),
      );
    }
  });
});
