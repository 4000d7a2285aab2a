import { EQUIPMENT_ACTS, ROOM_CLASSES, type Engine } from '@attest/engine';
import { listOf, ref } from '../components.ts';
import { created, json, ok, operation } from '../operation.ts';
import { boolean, LIMITS, name, object, oneOf, password, requiredText } from '../schema.ts';

const CODE = '^[A-Z0-9][A-Z0-9._-]{1,39}$';
const code = (description: string) => name(CODE, 40, description);
/** A plant-zone date; left out where none is needed (a request never sends null for it). */
const date = (description: string) =>
  ({ type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', maxLength: 10, description }) as const;
const reason = requiredText(LIMITS.reason, 'Why (kept in the audit trail)');
const version = { type: 'integer', minimum: 1, description: 'The version it was read at' } as const;
const roomCode = object({ code: code('The room’s number, e.g. R-104') }, ['code']);
const equipmentCode = object({ code: code('The equipment number, e.g. MX-01') }, ['code']);

const room = {
  name: requiredText(LIMITS.name, 'What the room is, for people'),
  class: oneOf(ROOM_CLASSES, 'Cleanroom grade A–D, or CNC (controlled, not classified)'),
  status: oneOf(['cleared', 'to_clean', 'out_of_service'] as const, 'Its line-clearance status'),
  reason,
} as const;

const equipment = {
  name: requiredText(LIMITS.name, 'What it is, for people'),
  type: requiredText(100, 'Kind of equipment, e.g. high-shear mixer'),
  room: code('The code of the registered room it stands in'),
  cleanHoldHours: {
    type: 'integer',
    minimum: 1,
    maximum: 8760,
    description: 'Hours it stays clean after cleaning; left out: clean until used',
  },
  dailyCheckRequired: boolean('Whether it needs a passed check each plant day before use'),
  reason,
} as const;

/** Rooms, equipment and the equipment logbook (F2, 21 CFR 211.182). */
export function equipmentOperations(engine: Engine) {
  return [
    operation({
      id: 'listRooms',
      method: 'get',
      path: '/api/rooms',
      tag: 'equipment',
      summary: 'The rooms, with their class and line-clearance status',
      description: 'Needs equipment.manage or audit.read.',
      access: 'session',
      responses: { 200: json('The rooms by code', listOf('rooms', 'Room', 'Rooms by code')) },
      handle: async ({ principal }) => ok({ rooms: await engine.equipment.rooms.list(principal) }),
    }),
    operation({
      id: 'registerRoom',
      method: 'post',
      path: '/api/rooms',
      tag: 'equipment',
      summary: 'Register a room, with a reason',
      description: 'Needs equipment.manage. A room number is registered once and never changes.',
      access: 'session',
      body: object({ code: code('The room’s number, e.g. R-104'), ...room }, [
        'code',
        'name',
        'class',
        'status',
        'reason',
      ]),
      responses: { 201: json('The room', ref('Room')) },
      problems: [409],
      handle: async ({ principal, body }) => {
        const registered = await engine.equipment.rooms.register(principal, body);
        return created(registered, `/api/rooms/${registered.code}`);
      },
    }),
    operation({
      id: 'getRoom',
      method: 'get',
      path: '/api/rooms/{code}',
      tag: 'equipment',
      summary: 'One room',
      access: 'session',
      params: roomCode,
      responses: { 200: json('The room', ref('Room')) },
      problems: [404],
      handle: async ({ principal, params }) => ok(await engine.equipment.rooms.get(principal, params.code)),
    }),
    operation({
      id: 'changeRoom',
      method: 'put',
      path: '/api/rooms/{code}',
      tag: 'equipment',
      summary: 'Change a room (name, class, status), with a reason',
      description:
        'Needs equipment.manage; sent with the version it was read at, and a change made meanwhile is ' +
        'refused. Setting the status of a room in use ends that batch’s use of it.',
      access: 'session',
      params: roomCode,
      body: object({ ...room, version }, ['name', 'class', 'status', 'reason', 'version']),
      responses: { 200: json('The room as it now is', ref('Room')) },
      problems: [404, 409],
      handle: async ({ principal, params, body }) =>
        ok(await engine.equipment.rooms.change(principal, params.code, body)),
    }),
    operation({
      id: 'listEquipment',
      method: 'get',
      path: '/api/equipment',
      tag: 'equipment',
      summary: 'The equipment, with its status and whether a batch may use it now',
      description: 'Needs equipment.manage or audit.read.',
      access: 'session',
      responses: {
        200: json('The equipment by code', listOf('equipment', 'Equipment', 'Equipment by code')),
      },
      handle: async ({ principal }) => ok({ equipment: await engine.equipment.list(principal) }),
    }),
    operation({
      id: 'registerEquipment',
      method: 'post',
      path: '/api/equipment',
      tag: 'equipment',
      summary: 'Register a piece of equipment, with a reason',
      description:
        'Needs equipment.manage. Its status, calibration and qualification due dates change afterwards ' +
        'only through its logbook (cleaning, maintenance, a signed calibration or qualification).',
      access: 'session',
      body: object(
        {
          code: code('The equipment number, e.g. MX-01'),
          ...equipment,
          status: oneOf(
            ['clean', 'dirty', 'maintenance', 'out_of_service'] as const,
            'Where it stands when it is first recorded',
          ),
          calibrationDue: date('When its calibration falls due; left out: it needs none'),
          qualificationDue: date('When its requalification falls due; left out: it needs none'),
        },
        ['code', 'name', 'type', 'room', 'status', 'dailyCheckRequired', 'reason'],
      ),
      responses: { 201: json('The equipment', ref('Equipment')) },
      problems: [409],
      handle: async ({ principal, body }) => {
        const registered = await engine.equipment.register(principal, body);
        return created(registered, `/api/equipment/${registered.code}`);
      },
    }),
    operation({
      id: 'importEquipment',
      method: 'post',
      path: '/api/equipment/import',
      tag: 'equipment',
      summary: 'The first load of equipment from a spreadsheet (CSV), all or nothing',
      description:
        'Needs equipment.manage. The header line is code,name,type,room,status,calibrationDue,' +
        'qualificationDue,cleanHoldHours,dailyCheckRequired. Every line is checked before any is ' +
        'written; the problems are named by line at `/csv`.',
      access: 'session',
      // A plant's whole equipment list, a few thousand lines.
      bodyLimitKb: 2048,
      body: object(
        {
          csv: requiredText(2_000_000, 'RFC 4180 CSV with the header line'),
          reason,
        },
        ['csv', 'reason'],
      ),
      responses: {
        201: json('The equipment loaded', listOf('equipment', 'Equipment', 'The equipment loaded, by code')),
      },
      problems: [409],
      handle: async ({ principal, body }) =>
        created({ equipment: await engine.equipment.import(principal, body) }, '/api/equipment'),
    }),
    operation({
      id: 'getEquipment',
      method: 'get',
      path: '/api/equipment/{code}',
      tag: 'equipment',
      summary: 'One piece of equipment',
      access: 'session',
      params: equipmentCode,
      responses: { 200: json('The equipment', ref('Equipment')) },
      problems: [404],
      handle: async ({ principal, params }) => ok(await engine.equipment.get(principal, params.code)),
    }),
    operation({
      id: 'changeEquipment',
      method: 'put',
      path: '/api/equipment/{code}',
      tag: 'equipment',
      summary: 'Change what a piece of equipment is and where it stands, with a reason',
      description:
        'Needs equipment.manage; the whole of it is sent with the version it was read at (a clean-hold ' +
        'time left out means none), and a change made meanwhile is refused.',
      access: 'session',
      params: equipmentCode,
      body: object({ ...equipment, version }, [
        'name',
        'type',
        'room',
        'dailyCheckRequired',
        'reason',
        'version',
      ]),
      responses: { 200: json('The equipment as it now is', ref('Equipment')) },
      problems: [404, 409],
      handle: async ({ principal, params, body }) =>
        ok(await engine.equipment.change(principal, params.code, body)),
    }),
    operation({
      id: 'recordEquipmentEvent',
      method: 'post',
      path: '/api/equipment/{code}/events',
      tag: 'equipment',
      summary: 'Record a logbook event: cleaned, maintenance, calibrated, qualified, daily check, status set',
      description:
        'Needs equipment.manage, and a reason. `calibrated` (with `calibrationDue` and `certificate`) and ' +
        '`qualified` (with `qualificationDue` and `report`) are signed: the password again. `daily_check` ' +
        'takes `passed` (a failed check takes it out of service); `status_set` takes `status` (dirty or ' +
        'out_of_service). An event its status forbids (cleaning under maintenance) is a 409.',
      access: 'session',
      params: equipmentCode,
      body: object(
        {
          type: oneOf(EQUIPMENT_ACTS, 'What happened'),
          reason,
          password: password('The password again, for a calibration or qualification'),
          calibrationDue: date('For calibrated: when the next calibration falls due'),
          certificate: requiredText(200, 'For calibrated: the calibration certificate'),
          qualificationDue: date('For qualified: when the next requalification falls due'),
          report: requiredText(200, 'For qualified: the qualification report'),
          passed: boolean('For daily_check: whether it passed'),
          status: oneOf(['dirty', 'out_of_service'] as const, 'For status_set: the status it is set to'),
        },
        ['type', 'reason'],
      ),
      responses: { 201: json('The equipment as the event leaves it', ref('Equipment')) },
      problems: [404, 409, 423],
      handle: async ({ principal, params, body }) => {
        const changed = await engine.equipment.act(principal, params.code, body);
        return created(changed, `/api/equipment/${changed.code}/logbook`);
      },
    }),
    operation({
      id: 'equipmentLogbook',
      method: 'get',
      path: '/api/equipment/{code}/logbook',
      tag: 'equipment',
      summary: 'The logbook of a piece of equipment: every event in order, who, when, which batch',
      description: 'Needs equipment.manage or audit.read (21 CFR 211.182).',
      access: 'session',
      params: equipmentCode,
      responses: { 200: json('Its logbook', listOf('entries', 'LogbookEntry', 'Every event, in order')) },
      problems: [404],
      handle: async ({ principal, params }) =>
        ok({ entries: await engine.equipment.logbook(principal, params.code) }),
    }),
  ];
}
