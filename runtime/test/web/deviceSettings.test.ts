import assert from 'node:assert/strict';
import {
  initialValues,
  settingAt,
  settingFields,
  settingsOf,
} from '../../web/src/features/admin/devices/settingsSchema.ts';

const schema = {
  type: 'object',
  required: ['host', 'port'],
  properties: {
    host: { type: 'string', title: 'Host', description: 'IP address of the balance' },
    port: { type: 'integer', minimum: 1, maximum: 65535, default: 4305 },
    protocol: { type: 'string', enum: ['MT-SICS', 'SBI'], default: 'MT-SICS' },
    tare: { type: 'boolean' },
    channels: { type: 'array', items: { type: 'string' } },
  },
};

describe('Feature: a device’s settings form drawn from its plugin’s JSON Schema', () => {
  it('each top-level property is a field of its kind, with its title, description, bounds and whether it is required', () => {
    const fields = settingFields(schema)!;
    assert.deepEqual(
      fields.map((f) => [f.key, f.label, f.control, f.required]),
      [
        ['host', 'Host', 'text', true],
        ['port', 'port', 'number', true],
        ['protocol', 'protocol', 'choice', false],
        ['tare', 'tare', 'boolean', false],
        ['channels', 'channels', 'json', false],
      ],
    );
    assert.equal(fields[0]!.hint, 'IP address of the balance');
    assert.deepEqual([fields[1]!.min, fields[1]!.max], [1, 65535]);
    assert.equal(settingFields(null), null);
    assert.equal(settingFields({ type: 'object' }), null);
  });

  it('a new device starts from the schema’s defaults, a registered one from its settings', () => {
    const fields = settingFields(schema);
    assert.deepEqual(initialValues(fields, schema, null), {
      host: '',
      port: '4305',
      protocol: 'MT-SICS',
      tare: false,
      channels: '',
    });
    assert.deepEqual(
      initialValues(fields, schema, { host: '10.0.4.21', port: 4001, tare: true, channels: ['A'] }),
      { host: '10.0.4.21', port: '4001', protocol: '', tare: true, channels: '["A"]' },
    );
    assert.deepEqual(initialValues(null, null, { a: 1 }), { '': '{\n  "a": 1\n}' });
  });

  it('the values become the settings sent, typed as the schema says; what cannot be sent is named by setting', () => {
    const fields = settingFields(schema);
    assert.deepEqual(
      settingsOf(fields, {
        host: ' 10.0.4.21 ',
        port: '4305',
        protocol: 'SBI',
        tare: true,
        channels: '["A","B"]',
      }),
      { settings: { host: '10.0.4.21', port: 4305, protocol: 'SBI', tare: true, channels: ['A', 'B'] } },
    );
    const refused = settingsOf(fields, { host: '', port: 'x', protocol: '', tare: false, channels: '[' });
    assert.deepEqual(Object.keys('errors' in refused ? refused.errors : {}), ['host', 'port', 'channels']);
    assert.deepEqual(settingsOf(null, { '': '{"a": 1}' }), { settings: { a: 1 } });
    assert.ok('errors' in settingsOf(null, { '': '[1]' }));
  });

  it('a problem’s pointer names the setting it is about, or the settings as a whole', () => {
    assert.equal(settingAt('/settings/port'), 'port');
    assert.equal(settingAt('/settings/a~1b/0'), 'a/b');
    assert.equal(settingAt('/settings'), '');
    assert.equal(settingAt('/room'), null);
  });
});
