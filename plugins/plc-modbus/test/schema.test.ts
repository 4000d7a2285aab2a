import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Settings } from '../src/index.ts';
import { SIMULATED_CHANNELS } from '../src/simulator.ts';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  attest: { settings: Record<string, unknown> };
};

/** Every property of an object schema, at any depth, with the path to it. */
function* properties(schema: unknown, path = ''): Generator<[string, Record<string, unknown>]> {
  if (typeof schema !== 'object' || schema === null) return;
  const s = schema as Record<string, unknown>;
  for (const [name, child] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) {
    yield [`${path}/${name}`, child as Record<string, unknown>];
  }
  for (const [key, child] of Object.entries(s)) {
    if (key !== 'properties') yield* properties(child, `${path}/${key}`);
  }
}

describe('plc-modbus settings schema', () => {
  const validate = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile<Settings>(
    manifest.attest.settings,
  );

  it('takes the settings of a TCP and an RTU device', () => {
    const tcp: Settings = {
      transport: 'tcp',
      host: '127.0.0.1',
      port: 5020,
      channels: { ...SIMULATED_CHANNELS },
    };
    assert.ok(validate(tcp), JSON.stringify(validate.errors));
    const rtu: Settings = {
      transport: 'rtu',
      path: '/dev/ttyUSB0',
      baudRate: 19200,
      parity: 'none',
      dataBits: 8,
      stopBits: 2,
      unitId: 17,
      timeoutMs: 1000,
      channels: {
        flow: {
          area: 'holding',
          address: 4,
          type: 'float32',
          wordOrder: 'little',
          byteOrder: 'big',
          unit: 'L/min',
        },
      },
    };
    assert.ok(validate(rtu), JSON.stringify(validate.errors));
  });

  it('refuses what the connector refuses: unknown keys, a missing host or path, a bad channel', () => {
    const refused = (settings: unknown, where: string): void => {
      assert.equal(validate(settings), false, JSON.stringify(settings));
      assert.ok(
        validate.errors?.some((e) => e.instancePath.startsWith(where)),
        `${where}: ${JSON.stringify(validate.errors)}`,
      );
    };
    const channels = { w: { area: 'holding', address: 0 } };
    refused({ transport: 'tcp', channels }, '');
    refused({ transport: 'rtu', channels }, '');
    refused({ transport: 'tcp', host: 'h', speed: 1, channels }, '');
    refused({ transport: 'rtu', path: '/dev/ttyS0', unitId: 0, channels }, '/unitId');
    refused(
      { transport: 'tcp', host: 'h', channels: { w: { area: 'coil', address: 0, type: 'int16' } } },
      '/channels/w',
    );
    refused(
      { transport: 'tcp', host: 'h', channels: { w: { area: 'input', address: 0, writable: true } } },
      '/channels/w',
    );
    refused(
      { transport: 'tcp', host: 'h', channels: { w: { area: 'holding', address: 65536 } } },
      '/channels/w',
    );
    refused(
      { transport: 'tcp', host: 'h', channels: { w: { area: 'holding', address: 0, gain: 2 } } },
      '/channels/w',
    );
    refused({ transport: 'tcp', host: 'h', channels: {} }, '/channels');
  });

  it('describes every property', () => {
    for (const [path, property] of properties(manifest.attest.settings)) {
      if (path.includes('/allOf/')) continue;
      assert.equal(typeof property.description, 'string', `${path} has a description`);
    }
  });
});
