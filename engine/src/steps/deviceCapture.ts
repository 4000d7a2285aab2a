import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { DeviceRefusal, type Reading } from '@attest/plugin-api';
import type { Clock } from '../kernel/clock.ts';
import { ConflictError, DeviceError, InputError } from '../kernel/errors.ts';
import { eventActor, type Principal } from '../kernel/permissions.ts';
import { optionalText } from '../kernel/textInput.ts';
import type { DeviceRegistry, DeviceView, UsableDevice } from '../devices/deviceRegistry.ts';
import {
  readingRepository,
  readingView,
  type ReadingRow,
  type ReadingView,
} from '../devices/deviceReadings.ts';
import { convertUnit } from '../devices/units.ts';
import { formRepository } from '../forms/formRepository.ts';
import type { FieldSpec } from '../forms/types.ts';
import { processRepository } from '../bpmn/service/processRepository.ts';
import type { TaskAccess } from '../bpmn/service/tasks.ts';
import { recordSubmission } from './taskValues.ts';
import { setAt } from './deviceSources.ts';
import type { SourceInput } from '../forms/pipeline.ts';
import type { TaskContexts } from './taskContexts.ts';
import { valueState, type ValueState } from './valueStates.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const POINTER = /^(\/[A-Za-z0-9_-]+)+$/;
const ACTIONS = ['read', 'tare', 'zero'] as const;

/** What the operator asks of a device from a step: read a value into a field, or tare or zero it. */
export interface CaptureInput {
  pointer: unknown;
  deviceId: unknown;
  action?: unknown;
  /** Why a value entered before is replaced by a new reading (B3). */
  reason?: unknown;
}

/** What Take reading gives back: the reading, and the field's value as the step now holds it (null for tare and zero). */
export interface TakenReading {
  reading: ReadingView | null;
  value: ValueState | null;
}

/**
 * Device capture in steps (E2, E3, E6): the server, not the browser, reads the device a field is
 * bound to, checks the reading (stable, status good, a number, a unit it can convert to the
 * field's), keeps it with its raw answer, and enters the value as the operator's, from that device.
 * A device out of service, past its calibration date or whose plugin is not enabled as it is, is
 * not read. A read that fails or a reading that is refused is audited on the device, and nothing is
 * entered.
 */
export function createDeviceCapture(deps: {
  knex: Knex;
  clock: Clock;
  devices: DeviceRegistry;
  process: TaskAccess;
  contexts: Pick<TaskContexts, 'contextOf' | 'noForm'>;
}) {
  const { knex, clock, devices, process } = deps;
  const { contextOf, noForm } = deps.contexts;

  function checkedInput(input: CaptureInput) {
    const errors = [];
    if (typeof input.pointer !== 'string' || !POINTER.test(input.pointer))
      errors.push({
        pointer: '/pointer',
        keyword: 'pattern',
        message: 'must be the pointer of a field, e.g. /netWeight',
      });
    if (typeof input.deviceId !== 'string' || !UUID.test(input.deviceId))
      errors.push({ pointer: '/deviceId', keyword: 'format', message: 'must be a device id' });
    const action = input.action ?? 'read';
    if (!(ACTIONS as readonly unknown[]).includes(action))
      errors.push({ pointer: '/action', keyword: 'enum', message: 'must be read, tare or zero' });
    if (errors.length > 0) throw new InputError('The device request is not valid', errors);
    const reason = optionalText(input.reason, '/reason', 1000);
    return {
      pointer: input.pointer as string,
      deviceId: input.deviceId as string,
      action: action as (typeof ACTIONS)[number],
      reason,
    };
  }

  /** The task as it is opened to be worked on, with the context its values are checked in. */
  async function opened(principal: Principal, taskId: string) {
    const { task, instance } = await process.openTask(principal, taskId);
    const ctx = await contextOf(knex, task, instance);
    if (!ctx) throw noForm();
    return { task, instance, ctx };
  }

  /**
   * The field a reading is for, and the device it may be read from. The device is looked up while
   * the task is opened, but its refusal comes only after the task's and the field's, as they are
   * checked one after the other.
   */
  async function target(principal: Principal, taskId: string, pointer: string, deviceId: string) {
    const device = devices.usable(deviceId);
    device.catch(() => undefined);
    const step = await opened(principal, taskId);
    const { ctx } = step;
    const field = ctx.runtime.fieldAt(pointer);
    if (!field)
      throw new InputError(`${pointer} is not a field of this step`, [
        { pointer: '/pointer', keyword: 'field', message: 'is not a field of this step' },
      ]);
    const name = ctx.runtime.nameOf(field, pointer);
    const binding = field.device;
    if (!binding)
      throw new InputError(`${name} is not read from a device`, [
        { pointer: '/pointer', keyword: 'device', message: 'is not read from a device' },
      ]);
    const usable = await device;
    if (binding.kind && usable.device.kind !== binding.kind)
      throw new InputError(
        `${usable.device.code} is a ${usable.device.kind}; ${name} is read from a ${binding.kind}`,
        [{ pointer: '/deviceId', keyword: 'kind', message: `must be a ${binding.kind}` }],
      );
    const reader = devices.reader();
    if (!reader) throw new DeviceError('This server does not connect to devices');
    return { step, field, name, binding, usable, reader };
  }

  async function failed(
    principal: Principal,
    usable: UsableDevice,
    details: Record<string, unknown>,
    error: unknown,
  ) {
    const message = error instanceof Error ? error.message : String(error);
    // A device that answered it has no value keeps its answer with the failure (E3).
    const raw = error instanceof DeviceRefusal && error.raw !== null ? { raw: error.raw } : {};
    await devices.event(usable.device.id, principal, 'device.read_failed', { ...details, message, ...raw });
    return new DeviceError(`${usable.device.code} could not be read: ${message}. Nothing was entered.`);
  }

  async function capture(principal: Principal, taskId: string, raw: CaptureInput): Promise<TakenReading> {
    const { pointer, deviceId, action, reason } = checkedInput(raw);
    const { step, field, name, binding, usable, reader } = await target(principal, taskId, pointer, deviceId);
    const where = { taskId, pointer, channel: action === 'read' ? binding.channel : action };

    if (action !== 'read') {
      if (!binding[action])
        throw new InputError(`The step does not allow to ${action} the device for ${name}`, [
          { pointer: '/action', keyword: 'allowed', message: `${action} is not allowed for this field` },
        ]);
      try {
        await reader.write(usable, action, true);
      } catch (error) {
        throw await failed(principal, usable, where, error);
      }
      await devices.event(
        usable.device.id,
        principal,
        action === 'tare' ? 'device.tared' : 'device.zeroed',
        where,
      );
      return { reading: null, value: null };
    }

    let reading: Reading;
    try {
      reading = await reader.read(usable, binding.channel);
    } catch (error) {
      throw await failed(principal, usable, where, error);
    }
    const stored = check(reading, field);
    const row: ReadingRow = {
      id: randomUUID(),
      device_id: usable.device.id,
      device_code: usable.device.code,
      device_version: usable.device.version,
      plugin: usable.plugin,
      plugin_version: usable.pluginVersion,
      task_id: taskId,
      pointer,
      action,
      channel: binding.channel,
      value: reading.value,
      unit: reading.unit,
      stored: typeof stored === 'number' ? stored : null,
      stable: reading.stable,
      status: reading.status,
      device_time: reading.deviceTime,
      server_time: new Date(reading.serverTime),
      raw: reading.raw,
      accepted: typeof stored === 'number',
      refusal: typeof stored === 'number' ? null : stored.refused,
      taken_by: principal.userId,
    };
    if (typeof stored !== 'number') {
      await knex.transaction(async (trx) => {
        await readingRepository.insert(trx, row);
        await devices.event(
          usable.device.id,
          principal,
          'device.reading_refused',
          {
            ...where,
            readingId: row.id,
            raw: reading.raw,
            reason: stored.refused,
          },
          trx,
        );
      });
      throw new DeviceError(
        `The reading of ${usable.device.code} was refused: ${stored.refused}. Nothing was entered.`,
      );
    }

    const enter = async (trx: Knex.Transaction, { instance, ctx }: typeof step) => {
      await readingRepository.insert(trx, row);
      const { data, sources, na } = await current(trx, taskId);
      setAt(data, pointer, stored);
      sources[pointer] = { source: 'device', reading: row.id };
      delete na[pointer];
      const { drafts } = await recordSubmission(
        trx,
        ctx,
        principal,
        { data, sources, na, reason },
        'save',
        clock.now(),
      );
      if (drafts.length === 0) throw new ConflictError(`${name} holds this reading already`);
      await process.move(eventActor(principal), instance, () => drafts, {}, trx);
      const entered = (await formRepository.values(trx, taskId)).find((v) => v.pointer === pointer)!;
      return valueState(entered, field);
    };
    // Entered at the instance version the task was opened at; should the instance have moved while
    // the device was read, the task is opened again (still open, still the operator's) and the
    // value entered at the version it is now.
    const atOpened = await knex.transaction(async (trx) => {
      try {
        await processRepository.lockInstanceAt(trx, step.instance.id, step.instance.version);
      } catch (error) {
        if (error instanceof ConflictError) return null;
        throw error;
      }
      return enter(trx, step);
    });
    if (atOpened) return { reading: readingView(row), value: atOpened };
    const now = await opened(principal, taskId);
    const value = await knex.transaction(async (trx) => {
      await processRepository.lockInstanceAt(trx, now.instance.id, now.instance.version);
      return enter(trx, now);
    });
    return { reading: readingView(row), value };
  }

  /**
   * The devices a step's fields may be read from, by the kind each field asks for, with whether each
   * may be read now: what the operator chooses from (E6).
   */
  async function choices(principal: Principal, taskId: string): Promise<DeviceChoice[]> {
    const { task, instance } = await process.openTask(principal, taskId);
    const ctx = await contextOf(knex, task, instance);
    if (!ctx) return [];
    const kinds = new Set(ctx.runtime.compiled.fields.flatMap((f) => (f.device ? [f.device.kind] : [])));
    if (kinds.size === 0) return [];
    return (await devices.forSteps())
      .filter((d) => kinds.has(null) || kinds.has(d.kind))
      .map(({ id, code, name, kind, room, line, calibrationDue, state }) => ({
        id,
        code,
        name,
        kind,
        room,
        line,
        calibrationDue,
        state,
      }));
  }

  return { capture, choices };
}

/** A device as the step view offers it. */
export type DeviceChoice = Pick<
  DeviceView,
  'id' | 'code' | 'name' | 'kind' | 'room' | 'line' | 'calibrationDue' | 'state'
>;

/** The reading as the field's value, or why it may not be one (E6). */
function check(reading: Reading, field: FieldSpec): number | { refused: string } {
  if (reading.status !== 'ok')
    return {
      refused:
        reading.status === 'overload'
          ? 'the load is above the device’s range (overload)'
          : reading.status === 'underload'
            ? 'the load is below the device’s range (underload)'
            : reading.status === 'unstable'
              ? 'the reading is not stable'
              : 'the device reports an error',
    };
  if (!reading.stable) return { refused: 'the reading is not stable' };
  if (typeof reading.value !== 'number' || !Number.isFinite(reading.value))
    return { refused: 'the device gave no number' };
  if (field.unit !== null && !reading.unit) return { refused: 'the reading has no unit' };
  return convertUnit(reading.value, reading.unit ?? '', field.unit);
}

/** The values a task holds now, as a submission that changes none of them. */
async function current(trx: Knex.Transaction, taskId: string) {
  const data: Record<string, unknown> = {};
  const sources: Record<string, SourceInput> = {};
  const na: Record<string, string> = {};
  for (const v of await formRepository.values(trx, taskId)) {
    if (v.value !== null) setAt(data, v.pointer, v.value);
    if (v.na_reason !== null) na[v.pointer] = v.na_reason;
    // A value read before readings were kept has no reading to name: it stays as it is only if unchanged.
    if (v.source === 'device' && v.device?.readingId)
      sources[v.pointer] = { source: 'device', reading: v.device.readingId };
  }
  return { data, sources, na };
}
