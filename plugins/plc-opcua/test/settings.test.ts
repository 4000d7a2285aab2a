import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { SIMULATED_NODES } from '../src/simulator.ts';
import { settingsFor } from './harness.ts';

type Schema = {
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  description?: string;
};

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  attest: { settings: Schema };
};
const schema = manifest.attest.settings;
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);

describe('OPC UA settings schema', () => {
  it('takes the settings the tests use, and a secured server with a user', () => {
    assert.ok(validate(settingsFor('opc.tcp://127.0.0.1:4840')), JSON.stringify(validate.errors));
    const secured = {
      endpointUrl: 'opc.tcp://plc.example:4840/UA/Line1',
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Aes256_Sha256_RsaPss',
      userName: 'qa',
      password: 'secret',
      certificateFile: '/etc/attest/opcua/client.pem',
      privateKeyFile: '/etc/attest/opcua/client.key',
      channels: { weight: { nodeId: SIMULATED_NODES.weight, unit: 'kg', writable: false } },
      subscription: { samplingIntervalMs: 100, deadbandType: 'Percent', deadbandValue: 0.5, queueSize: 5 },
    };
    assert.ok(validate(secured), JSON.stringify(validate.errors));
  });

  it('takes the example of the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = /```json\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(example, 'the README has a settings example');
    assert.ok(validate(JSON.parse(example)), JSON.stringify(validate.errors));
  });

  it('refuses an unknown setting, a channel without a node id and a security mode it does not know', () => {
    assert.equal(validate({ ...settingsFor('opc.tcp://h:1'), port: 4840 }), false);
    assert.equal(validate({ endpointUrl: 'opc.tcp://h:1', channels: { t: { unit: '°C' } } }), false);
    assert.equal(validate({ endpointUrl: 'opc.tcp://h:1', channels: {}, securityMode: 'Encrypt' }), false);
  });

  it('describes every setting', () => {
    const undescribed: string[] = [];
    const walk = (node: Schema, path: string): void => {
      for (const [name, property] of Object.entries(node.properties ?? {})) {
        if (!property.description) undescribed.push(`${path}${name}`);
        walk(property, `${path}${name}.`);
      }
      if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}*.`);
    };
    walk(schema, '');
    assert.deepEqual(undescribed, []);
  });
});
