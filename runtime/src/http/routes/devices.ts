import { DEVICE_KINDS, NotAllowedError, type Engine } from '@attest/engine';
import type { DeviceHub } from '../../devices/hub.ts';
import { auditQuery, auditReply, auditResponses, readTrail } from '../auditExport.ts';
import { listOf, ref } from '../components.ts';
import { created, json, ok, operation, stream } from '../operation.ts';
import { LIMITS, name, nullableText, object, oneOf, password, requiredText, uuid } from '../schema.ts';

const facts = {
  code: name('^[A-Z0-9][A-Z0-9._-]{1,39}$', 40, 'The plant’s equipment number, e.g. BAL-0042'),
  name: requiredText(LIMITS.name, 'What it is, for people'),
  kind: oneOf(DEVICE_KINDS, 'What kind of device'),
  plugin: name(
    '^(@[a-z0-9-~][a-z0-9-._~]*/)?[a-z0-9-~][a-z0-9-._~]*$',
    214,
    'The device plugin that reaches it',
  ),
  settings: {
    type: 'object',
    maxProperties: 50,
    propertyNames: { maxLength: 100 },
    description: 'Connection settings, valid against the plugin’s settings schema',
  },
  room: requiredText(100, 'The room it stands in'),
  line: nullableText(100, 'The line it belongs to'),
  calibrationDue: {
    type: ['string', 'null'],
    pattern: '^\\d{4}-\\d{2}-\\d{2}$',
    maxLength: 10,
    description: 'When its calibration falls due (YYYY-MM-DD); null for a device that needs none',
  },
  status: oneOf(['in_service', 'out_of_service'] as const, 'Whether it is in service'),
  reason: requiredText(LIMITS.reason, 'Why it is registered or changed (kept in its audit trail)'),
} as const;
const REQUIRED = [
  'code',
  'name',
  'kind',
  'plugin',
  'settings',
  'room',
  'calibrationDue',
  'status',
  'reason',
] as const;
const deviceId = object({ id: uuid('Device id') }, ['id']);

/** The device registry: devices, their plugin and settings, room, calibration and status (E6, C4). */
export function deviceOperations(engine: Engine, hub: DeviceHub) {
  return [
    operation({
      id: 'deviceStates',
      method: 'get',
      path: '/api/devices/state',
      tag: 'devices',
      summary: 'Each device’s connection as this server holds it: connected, last reading, last error',
      description:
        'Needs config.manage or audit.read. A device this server has not reached since it started is ' +
        'not connected and has no reading yet.',
      access: 'session',
      responses: { 200: json('The devices’ states', listOf('items', 'DeviceState', 'By device code')) },
      handle: async ({ principal }) => {
        const devices = await engine.devices.list(principal);
        return ok({ items: devices.map((d) => hub.state(d.id)) });
      },
    }),
    operation({
      id: 'deviceLiveReadings',
      method: 'get',
      path: '/api/devices/{id}/live',
      tag: 'devices',
      summary: 'Server-sent events: the live readings of a device’s channel, as a step view shows them',
      description:
        'For whoever may enter values in steps or manage configuration, and only for a device that may ' +
        'be read now (E6). Events: `reading` (a reading as the device gave it) and `problem` (why none ' +
        'came). A live reading is shown, never entered: Take reading has the server read the device again.',
      access: 'session',
      params: object({ id: uuid('Device id') }, ['id']),
      query: object({ channel: name('^[A-Za-z0-9_.:;=/-]{1,200}$', 200, 'The channel, e.g. weight') }, [
        'channel',
      ]),
      responses: {
        200: {
          description: 'An event stream (text/event-stream): `reading` and `problem` events',
          content: { 'text/event-stream': { type: 'string' } },
        },
      },
      problems: [404, 409],
      handle: async ({ principal, params, query }) => {
        if (!principal.permissions.has('records.edit') && !principal.permissions.has('config.manage'))
          throw new NotAllowedError('Live readings need the permission records.edit or config.manage');
        const usable = await engine.devices.usable(params.id);
        return stream((res) => hub.attach(res, usable, query.channel));
      },
    }),
    operation({
      id: 'listDevices',
      method: 'get',
      path: '/api/devices',
      tag: 'devices',
      summary: 'The devices, with the state a step may read them in',
      description: 'Needs config.manage or audit.read; settings are shown to config.manage only.',
      access: 'session',
      responses: { 200: json('The devices by code', listOf('devices', 'Device', 'Devices by code')) },
      handle: async ({ principal }) => ok({ devices: await engine.devices.list(principal) }),
    }),
    operation({
      id: 'getDevice',
      method: 'get',
      path: '/api/devices/{id}',
      tag: 'devices',
      summary: 'One device',
      access: 'session',
      params: deviceId,
      responses: { 200: json('The device', ref('Device')) },
      problems: [404],
      handle: async ({ principal, params }) => ok(await engine.devices.get(principal, params.id)),
    }),
    operation({
      id: 'registerDevice',
      method: 'post',
      path: '/api/devices',
      tag: 'devices',
      summary: 'Register a device with its plugin, settings, room and calibration date, with a reason',
      description: 'Needs config.manage. The settings are checked against the plugin’s settings schema.',
      access: 'session',
      body: object(facts, REQUIRED),
      responses: { 201: json('The device', ref('Device')) },
      problems: [409],
      handle: async ({ principal, body }) => {
        const device = await engine.devices.register(principal, body);
        return created(device, `/api/devices/${device.id}`);
      },
    }),
    operation({
      id: 'changeDevice',
      method: 'put',
      path: '/api/devices/{id}',
      tag: 'devices',
      summary: 'Change a device (settings, room, calibration date, in or out of service), with a reason',
      description:
        'Needs config.manage; the whole device is sent with the version it was read at, and a change made ' +
        'meanwhile by someone else is refused. Each changed field is kept in its audit trail, old and new.',
      access: 'session',
      params: deviceId,
      body: object(
        { ...facts, version: { type: 'integer', minimum: 1, description: 'The version it was read at' } },
        [...REQUIRED, 'version'],
      ),
      responses: { 200: json('The device as it now is', ref('Device')) },
      problems: [404, 409],
      handle: async ({ principal, params, body }) =>
        ok(await engine.devices.change(principal, params.id, body)),
    }),
    operation({
      id: 'writeDevice',
      method: 'post',
      path: '/api/devices/{id}/writes',
      tag: 'devices',
      summary:
        'Write a value to a device’s channel (a PLC set point), with the password again and a reason (A2)',
      description:
        'Needs devices.write. Only a device that may be used now (in service, calibrated, its plugin enabled ' +
        'as it is) is written, and only a channel its plugin lets be written. The write, or its failure, is ' +
        'audited on the device with the reason; a failure is answered with 502 and changes nothing.',
      access: 'session',
      params: deviceId,
      body: object(
        {
          channel: name('^[A-Za-z0-9_.:;=/-]{1,200}$', 200, 'The channel, e.g. setPoint'),
          value: {
            oneOf: [{ type: 'number' }, { type: 'boolean' }, { type: 'string', maxLength: 200 }],
            description: 'The value to write: a number, true or false, or text',
          },
          reason: requiredText(LIMITS.reason, 'Why it is written (kept in the device’s audit trail)'),
          password: password('The writer’s password, again'),
        },
        ['channel', 'value', 'reason', 'password'],
      ),
      responses: {
        200: json(
          'What was written, and when',
          object(
            {
              channel: { type: 'string' },
              value: { oneOf: [{ type: 'number' }, { type: 'boolean' }, { type: 'string' }] },
              at: { type: 'string', format: 'date-time' },
            },
            ['channel', 'value', 'at'],
          ),
        ),
      },
      problems: [404, 409, 502],
      handle: async ({ principal, params, body }) =>
        ok(await engine.devices.write(principal, params.id, body)),
    }),
    operation({
      id: 'deviceAuditTrail',
      method: 'get',
      path: '/api/devices/{id}/audit',
      tag: 'devices',
      summary: 'The audit trail of a device: registered, each change with its reason (C4)',
      access: 'session',
      params: deviceId,
      query: auditQuery,
      responses: auditResponses,
      handle: async ({ principal, params, query }) => {
        let code = '';
        const events = await readTrail(
          engine,
          principal,
          async () => {
            code = (await engine.devices.get(principal, params.id)).code;
            return params.id;
          },
          query,
        );
        return auditReply(events, query.format, code);
      },
    }),
  ];
}
