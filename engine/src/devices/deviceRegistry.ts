import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { appendEvents } from '../audit/auditTrail.ts';
import type { FieldChange, Subject } from '../audit/types.ts';
import { plantDate, type Clock } from '../kernel/clock.ts';
import type { Reauthenticate } from '../signatures/signatureService.ts';
import {
  ConflictError,
  DeviceError,
  InputError,
  NotAllowedError,
  NotFoundError,
  type FieldError,
} from '../kernel/errors.ts';
import { eventActor, requirePermission, type Principal } from '../kernel/permissions.ts';
import { optionalText, requireText } from '../kernel/textInput.ts';
import { stateOf } from '../plugins/pluginRegistry.ts';
import type { Reading } from '@attest/plugin-api';
import { SYSTEM_ACTOR } from '../audit/types.ts';

import { DEVICE_KINDS, type DeviceKind } from './kinds.ts';
export { DEVICE_KINDS, type DeviceKind };
export type DeviceStatus = 'in_service' | 'out_of_service';

/** A device as it is asked for: registered, or changed (every field, with the version it was read at). */
export interface DeviceInput {
  code: string;
  name: string;
  kind: DeviceKind;
  plugin: string;
  settings: Record<string, unknown>;
  room: string;
  line?: string | null;
  /** ISO date (YYYY-MM-DD) its calibration falls due; null for a device that needs none. */
  calibrationDue: string | null;
  status: DeviceStatus;
  reason: string;
}

/**
 * A device as people see it. `state` is what a step may do with it: `in_service`; `calibration_due`
 * (its calibration date has passed, in the plant's time zone); `out_of_service`. Its settings are
 * shown to whoever may manage configuration only.
 */
export interface DeviceView {
  id: string;
  code: string;
  name: string;
  kind: DeviceKind;
  plugin: string;
  settings: Record<string, unknown> | null;
  room: string;
  line: string | null;
  calibrationDue: string | null;
  status: DeviceStatus;
  state: 'in_service' | 'calibration_due' | 'out_of_service';
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface DeviceRegistry {
  list(principal: Principal): Promise<DeviceView[]>;
  get(principal: Principal, id: string): Promise<DeviceView>;
  register(principal: Principal, input: DeviceInput): Promise<DeviceView>;
  change(principal: Principal, id: string, input: DeviceInput & { version: number }): Promise<DeviceView>;
  /**
   * The device with its plugin, when it may be read into a GMP step now: in service, its calibration
   * not overdue, its plugin enabled as it is; otherwise refused with the reason (E6).
   */
  usable(id: string): Promise<UsableDevice>;
  /** Every device as a step view lists them to choose from (no settings); the caller has checked access. */
  forSteps(): Promise<DeviceView[]>;
  /**
   * Records what happened to a device outside its registry (C4): connected, disconnected, a read that
   * failed, a reading refused, a tare or zero from a step. `actor` is the person who asked, or null
   * for the server's own connection handling.
   */
  event(
    id: string,
    actor: Principal | null,
    type: DeviceEventType,
    payload: Record<string, unknown>,
    db?: Knex.Transaction,
  ): Promise<void>;
  /**
   * Writes a value to a device's channel (a PLC set point): only by someone holding the authority to
   * write to devices (A2), with the password again and a reason, to a device that may be used now;
   * the write, or its failure, is audited on the device with the reason (C4).
   */
  write(
    principal: Principal,
    id: string,
    input: DeviceWrite,
  ): Promise<{ channel: string; value: WriteValue; at: string }>;
  /** The runtime's connections to devices, through which steps read them; none until it attaches one. */
  useReader(reader: DeviceReader): void;
  reader(): DeviceReader | null;
}

/** A device a step may read now, with what its plugin needs to reach it. */
export interface UsableDevice {
  device: DeviceView;
  plugin: string;
  settings: Record<string, unknown>;
  /** The plugin's version as enabled. */
  pluginVersion: string;
}

type WriteValue = number | string | boolean;

/** A write to a device as it is asked for. */
export interface DeviceWrite {
  channel: unknown;
  value: unknown;
  reason: unknown;
  password: unknown;
}

export type DeviceEventType =
  | 'device.written'
  | 'device.write_failed'
  | 'device.connected'
  | 'device.disconnected'
  | 'device.read_failed'
  | 'device.reading_refused'
  | 'device.tared'
  | 'device.zeroed';

/**
 * Reads and writes devices through their plugins (the runtime's connections). A read that does not
 * answer in time, or answers what the plugin cannot parse, rejects with the plugin's message.
 */
export interface DeviceReader {
  read(device: UsableDevice, channel: string): Promise<Reading>;
  write(device: UsableDevice, channel: string, value: number | string | boolean): Promise<void>;
}

interface DeviceRow {
  id: string;
  code: string;
  name: string;
  kind: DeviceKind;
  plugin: string;
  settings: Record<string, unknown>;
  room: string;
  line: string | null;
  calibration_due: string | null;
  status: DeviceStatus;
  version: number;
  created_at: Date;
  created_by: string;
  updated_at: Date;
}

const CODE = /^[A-Z0-9][A-Z0-9._-]{1,39}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const subject = (id: string): Subject => ({ id, type: 'device' });
const ajv = new Ajv2020({ allErrors: true, strict: false });
/** Settings validators by the schema's text: a plugin's schema is compiled once, not per device. */
const validators = new Map<string, ReturnType<typeof ajv.compile>>();
function validatorOf(schema: object) {
  const key = JSON.stringify(schema);
  let valid = validators.get(key);
  if (!valid) {
    valid = ajv.compile(schema);
    validators.set(key, valid);
  }
  return valid;
}

/** The facts of a device an event states and a row holds, by their names in the trail. */
const FACTS = [
  'code',
  'name',
  'kind',
  'plugin',
  'settings',
  'room',
  'line',
  'calibrationDue',
  'status',
] as const;
type Facts = Pick<DeviceInput, (typeof FACTS)[number]>;

export function createDeviceRegistry(deps: {
  knex: Knex;
  clock: Clock;
  timeZone: string;
  reauthenticate: Reauthenticate;
}): DeviceRegistry {
  const { knex, clock, timeZone, reauthenticate } = deps;

  /** Today in the plant's time zone, as YYYY-MM-DD. */
  const today = () => plantDate(clock.now(), timeZone);

  const view = (row: DeviceRow, principal: Principal | null): DeviceView => {
    const due = row.calibration_due;
    return {
      id: row.id,
      code: row.code,
      name: row.name,
      kind: row.kind,
      plugin: row.plugin,
      settings: principal === null || principal.permissions.has('config.manage') ? row.settings : null,
      room: row.room,
      line: row.line,
      calibrationDue: due,
      status: row.status,
      state:
        row.status === 'out_of_service'
          ? 'out_of_service'
          : due !== null && due < today()
            ? 'calibration_due'
            : 'in_service',
      version: row.version,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    };
  };

  const rows = (db: Knex | Knex.Transaction) =>
    db('devices').select(
      ...['id', 'code', 'name', 'kind', 'plugin', 'settings', 'room', 'line', 'status', 'version'],
      ...['created_at', 'created_by', 'updated_at'],
      db.raw(`to_char(calibration_due, 'YYYY-MM-DD') AS calibration_due`),
    );

  function mayRead(principal: Principal) {
    if (!principal.permissions.has('config.manage') && !principal.permissions.has('audit.read'))
      throw new NotAllowedError('Reading devices needs the permission config.manage or audit.read');
  }

  async function list(principal: Principal): Promise<DeviceView[]> {
    mayRead(principal);
    return ((await rows(knex).orderBy('code')) as DeviceRow[]).map((r) => view(r, principal));
  }

  async function find(db: Knex | Knex.Transaction, id: string, lock = false): Promise<DeviceRow> {
    const q = rows(db).where({ id }).first();
    const row = (await (lock ? q.forUpdate() : q)) as DeviceRow | undefined;
    if (!row) throw new NotFoundError(`There is no device ${id}`);
    return row;
  }

  async function get(principal: Principal, id: string): Promise<DeviceView> {
    mayRead(principal);
    return view(await find(knex, id), principal);
  }

  /** Every field checked, the settings against the plugin's own schema; all problems at once. */
  async function checked(
    db: Knex | Knex.Transaction,
    input: DeviceInput,
  ): Promise<Facts & { reason: string }> {
    const errors: FieldError[] = [];
    const field = <T>(read: () => T): T | undefined => {
      try {
        return read();
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        errors.push(...error.errors);
        return undefined;
      }
    };
    const code = field(() => requireText(input.code, '/code', 40));
    if (code !== undefined && !CODE.test(code))
      errors.push({
        pointer: '/code',
        keyword: 'pattern',
        message: 'must be capital letters, digits, dots, dashes or underscores',
      });
    const name = field(() => requireText(input.name, '/name', 200));
    if (!(DEVICE_KINDS as readonly unknown[]).includes(input.kind))
      errors.push({
        pointer: '/kind',
        keyword: 'enum',
        message: `must be one of ${DEVICE_KINDS.join(', ')}`,
      });
    if (input.status !== 'in_service' && input.status !== 'out_of_service')
      errors.push({ pointer: '/status', keyword: 'enum', message: 'must be in_service or out_of_service' });
    const room = field(() => requireText(input.room, '/room', 100));
    const line = field(() => optionalText(input.line, '/line', 100));
    const due = input.calibrationDue ?? null;
    if (
      due !== null &&
      (typeof due !== 'string' || !DATE.test(due) || Number.isNaN(Date.parse(`${due}T00:00:00Z`)))
    )
      errors.push({
        pointer: '/calibrationDue',
        keyword: 'format',
        message: 'must be a date, YYYY-MM-DD, or null',
      });
    const reason = field(() => requireText(input.reason, '/reason', 1000));
    const plugin = await db('plugins')
      .where({ name: typeof input.plugin === 'string' ? input.plugin : '' })
      .first();
    if (!plugin) {
      errors.push({
        pointer: '/plugin',
        keyword: 'enum',
        message: 'must be a device plugin Attest has found',
      });
    } else if (plugin.kind !== 'device' || stateOf(plugin) === 'invalid') {
      errors.push({
        pointer: '/plugin',
        keyword: 'enum',
        message: `${plugin.name} is not a valid device plugin`,
      });
    } else if (
      typeof input.settings !== 'object' ||
      input.settings === null ||
      Array.isArray(input.settings)
    ) {
      errors.push({ pointer: '/settings', keyword: 'type', message: 'must be an object' });
    } else if (plugin.settings_schema) {
      const valid = validatorOf(plugin.settings_schema as object);
      if (!valid(input.settings)) {
        for (const e of valid.errors ?? [])
          errors.push({
            pointer: `/settings${e.instancePath}`,
            keyword: e.keyword,
            message: e.message ?? 'is not valid',
          });
      }
    }
    if (errors.length > 0)
      throw new InputError(
        `The device is not valid: ${errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}`,
        errors,
      );
    return {
      code: code!,
      name: name!,
      kind: input.kind,
      plugin: input.plugin,
      settings: input.settings,
      room: room!,
      line: line ?? null,
      calibrationDue: due,
      status: input.status,
      reason: reason!,
    };
  }

  const columns = (f: Facts) => ({
    code: f.code,
    name: f.name,
    kind: f.kind,
    plugin: f.plugin,
    settings: JSON.stringify(f.settings),
    room: f.room,
    line: f.line ?? null,
    calibration_due: f.calibrationDue,
    status: f.status,
  });

  async function register(principal: Principal, input: DeviceInput): Promise<DeviceView> {
    requirePermission(principal, 'config.manage');
    const id = randomUUID();
    await knex.transaction(async (trx) => {
      const { reason, ...facts } = await checked(trx, input);
      if (await trx('devices').where({ code: facts.code }).first('id'))
        throw new ConflictError(`A device ${facts.code} is registered already`);
      const [event] = await appendEvents(trx, clock, subject(id), eventActor(principal), [
        { type: 'device.registered', payload: { ...facts, version: 1 }, reason },
      ]);
      await trx('devices').insert({
        id,
        ...columns(facts),
        version: 1,
        created_at: event!.at,
        created_by: principal.userId,
        updated_at: event!.at,
      });
    });
    return get(principal, id);
  }

  async function change(
    principal: Principal,
    id: string,
    input: DeviceInput & { version: number },
  ): Promise<DeviceView> {
    requirePermission(principal, 'config.manage');
    await knex.transaction(async (trx) => {
      const row = await find(trx, id, true);
      const { reason, ...facts } = await checked(trx, input);
      if (input.version !== row.version)
        throw new ConflictError(
          `Device ${row.code} was changed since version ${input.version} was read (it is at version ${row.version}); reload it`,
        );
      const before: Facts = {
        code: row.code,
        name: row.name,
        kind: row.kind,
        plugin: row.plugin,
        settings: row.settings,
        room: row.room,
        line: row.line,
        calibrationDue: row.calibration_due,
        status: row.status,
      };
      const changes: FieldChange[] = FACTS.filter(
        (k) => JSON.stringify(before[k]) !== JSON.stringify(facts[k]),
      ).map((k) => ({ path: `/${k}`, old: before[k], new: facts[k] }));
      if (changes.length === 0) throw new ConflictError(`Nothing of device ${row.code} is changed`);
      if (facts.code !== row.code && (await trx('devices').where({ code: facts.code }).first('id')))
        throw new ConflictError(`A device ${facts.code} is registered already`);
      const version = row.version + 1;
      const [event] = await appendEvents(trx, clock, subject(id), eventActor(principal), [
        { type: 'device.changed', payload: { changes, version }, reason },
      ]);
      await trx('devices')
        .where({ id })
        .update({ ...columns(facts), version, updated_at: event!.at });
    });
    return get(principal, id);
  }

  async function usable(id: string) {
    // The device with its plugin as it is now, in one read: Take reading waits for it.
    const row = (await rows(knex)
      .select(
        knex.raw(
          `(SELECT jsonb_build_object('problems', p.problems, 'enabled_sha256', p.enabled_sha256,
                   'enabled_version', p.enabled_version, 'sha256', p.sha256, 'version', p.version)
              FROM plugins p WHERE p.name = devices.plugin) AS plugin_now`,
        ),
      )
      .where({ id })
      .first()) as (DeviceRow & { plugin_now: Parameters<typeof stateOf>[0] | null }) | undefined;
    if (!row) throw new NotFoundError(`There is no device ${id}`);
    const device = view(row, null);
    if (device.state === 'out_of_service')
      throw new ConflictError(`Device ${row.code} is out of service: it may not be read into a GMP step`);
    if (device.state === 'calibration_due')
      throw new ConflictError(
        `The calibration of device ${row.code} fell due on ${row.calibration_due}: it may not be read into a GMP step until it is calibrated`,
      );
    const plugin = row.plugin_now;
    if (!plugin || stateOf(plugin) !== 'enabled')
      throw new ConflictError(`The plugin ${row.plugin} of device ${row.code} is not enabled as it is now`);
    return { device, plugin: row.plugin, settings: row.settings, pluginVersion: String(plugin.version) };
  }

  async function event(
    id: string,
    actor: Principal | null,
    type: DeviceEventType,
    payload: Record<string, unknown>,
    db?: Knex.Transaction,
  ): Promise<void> {
    await appendEvents(db ?? knex, clock, subject(id), actor ? eventActor(actor) : SYSTEM_ACTOR, [
      { type, payload },
    ]);
  }

  async function write(principal: Principal, id: string, input: DeviceWrite) {
    requirePermission(principal, 'devices.write');
    const errors: FieldError[] = [];
    const channel = input.channel;
    if (typeof channel !== 'string' || !/^[A-Za-z0-9_.:;=/-]{1,200}$/.test(channel))
      errors.push({ pointer: '/channel', keyword: 'pattern', message: 'must be a channel of the device' });
    const value = input.value;
    if (
      !(typeof value === 'number' && Number.isFinite(value)) &&
      typeof value !== 'boolean' &&
      !(typeof value === 'string' && value.length <= 200)
    )
      errors.push({
        pointer: '/value',
        keyword: 'type',
        message: 'must be a number, true or false, or text',
      });
    if (errors.length > 0) throw new InputError('The write is not valid', errors);
    const reason = requireText(input.reason, '/reason', 1000);
    await reauthenticate(principal, input.password);
    const target = await usable(id);
    const device = attached;
    if (!device) throw new DeviceError('This server does not connect to devices');
    const what = { channel: channel as string, value: value as WriteValue };
    try {
      await device.write(target, what.channel, what.value);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await appendEvents(knex, clock, subject(id), eventActor(principal), [
        { type: 'device.write_failed', payload: { ...what, message }, reason },
      ]);
      throw new DeviceError(`${target.device.code} could not be written: ${message}. Nothing was changed.`);
    }
    const [event] = await appendEvents(knex, clock, subject(id), eventActor(principal), [
      { type: 'device.written', payload: what, reason },
    ]);
    return { ...what, at: event!.at };
  }

  let attached: DeviceReader | null = null;
  return {
    write,
    list,
    get,
    register,
    change,
    usable,
    forSteps: async () => ((await rows(knex).orderBy('code')) as DeviceRow[]).map((r) => view(r, null)),
    event,
    useReader: (reader) => {
      attached = reader;
    },
    reader: () => attached,
  };
}
