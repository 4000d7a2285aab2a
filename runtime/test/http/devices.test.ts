import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';
import { changesNothingTo, expectInput } from './support/refusals.ts';

describe('Feature: the device registry over HTTP', () => {
  let api: TestApi;
  let dir: string;
  const tokens = { adrian: '', olivia: '' };

  before(async () => {
    api = await startTestApi();
    for (const who of ['adrian', 'olivia'] as const) tokens[who] = await api.login(who);
    dir = await mkdtemp(join(tmpdir(), 'attest-devices-'));
    await mkdir(join(dir, 'scale'));
    await writeFile(
      join(dir, 'scale', 'package.json'),
      JSON.stringify({
        name: 'plant-scale',
        version: '1.0.0',
        attest: {
          apiVersion: 1,
          kind: 'device',
          entry: './index.js',
          settings: {
            type: 'object',
            required: ['host', 'port'],
            additionalProperties: false,
            properties: { host: { type: 'string' }, port: { type: 'integer', minimum: 1, maximum: 65535 } },
          },
        },
      }),
    );
    await writeFile(join(dir, 'scale', 'index.js'), 'export const connector = {};\n');
    await api.ctx.engine.plugins.sync([{ dir, source: 'folder' }]);
  });
  after(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (who: keyof typeof tokens, method: string, path: string, body?: unknown) =>
    api.request(method, path, { token: tokens[who], ...(body === undefined ? {} : { body }) });
  const device = {
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
  };

  it('an administrator registers and changes a device; bad settings are a problem at their pointer; an operator reads where it stands, not how it is reached', async () => {
    const list = async () => (await call('adrian', 'GET', '/api/devices')).body.devices;
    await changesNothingTo(list)(async () => {
      expectInput(
        await call('adrian', 'POST', '/api/devices', { ...device, settings: { host: 'x', port: 70000 } }),
        '/settings/port',
      );
      expectInput(
        await call('adrian', 'POST', '/api/devices', { ...device, calibrationDue: '30.06.2099' }),
        '/calibrationDue',
      );
      assertProblem(await call('olivia', 'POST', '/api/devices', device), 403, 'not-allowed');
    });
    const registered = await call('adrian', 'POST', '/api/devices', device);
    assert.equal(registered.status, 201, registered.text);
    assert.equal(registered.headers.get('location'), `/api/devices/${registered.body.id}`);
    const path = `/api/devices/${registered.body.id}`;
    const moved = await call('adrian', 'PUT', path, {
      ...device,
      room: 'Dispensing 3',
      reason: 'Moved',
      version: 1,
    });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.body.version, 2);
    assertProblem(
      await call('adrian', 'PUT', path, { ...device, reason: 'Stale', version: 1 }),
      409,
      'conflict',
    );

    const seen = await call('olivia', 'GET', path);
    assert.equal(seen.status, 200, seen.text);
    assert.deepEqual(
      [seen.body.room, seen.body.state, seen.body.settings],
      ['Dispensing 3', 'in_service', null],
    );
    const audit = await call('adrian', 'GET', `${path}/audit`);
    assert.equal(audit.status, 200, audit.text);
    assert.deepEqual(
      audit.body.events.map((e: { type: string; reason: string }) => [e.type, e.reason]),
      [
        ['device.registered', 'Installed and qualified, IQ/OQ-0042'],
        ['device.changed', 'Moved'],
      ],
    );
  });
});
