import type { Knex } from 'knex';
import { readingRepository } from '../devices/deviceReadings.ts';
import { isObject } from '../kernel/isObject.ts';
import { InputError, type FieldError } from '../kernel/errors.ts';
import type { SourceInput, SubmissionInput } from '../forms/pipeline.ts';
import type { FormRuntime } from '../forms/pipeline.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The provenance of a submission as the server knows it (E2, E3, E6): a value from a device names
 * the reading the server took for this task and this value (`{ source: "device", reading }`), and
 * gets the device, channel and raw answer from that reading; a client cannot state them itself, and
 * a value that differs from its reading is refused. Manual sources pass as they are.
 */
export async function resolveDeviceSources<T extends SubmissionInput>(
  db: Knex | Knex.Transaction,
  taskId: string,
  runtime: FormRuntime,
  input: T,
): Promise<T> {
  const sources = input.sources as unknown;
  if (!isObject(sources)) return input;
  const errors: FieldError[] = [];
  const wanted = new Map<string, string>();
  for (const [pointer, s] of Object.entries(sources)) {
    if (!isObject(s) || s.source !== 'device') continue;
    const at = `/sources${pointer}`;
    const claims = ['deviceId', 'channel', 'raw'].filter((k) => s[k] !== undefined);
    if (claims.length > 0 || typeof s.reading !== 'string' || !UUID.test(s.reading)) {
      errors.push({
        pointer: at,
        keyword: 'reading',
        message:
          'a value from a device is read by the server (Take reading): name the reading, the device and its answer cannot be stated',
      });
      continue;
    }
    wanted.set(pointer, s.reading);
  }
  const found = new Map(
    (await readingRepository.byIds(db, [...new Set(wanted.values())])).map((r) => [r.id, r]),
  );
  const resolved: Record<string, SourceInput> = {};
  for (const [pointer, s] of Object.entries(sources)) {
    if (!wanted.has(pointer)) {
      if (!isObject(s) || s.source !== 'device') resolved[pointer] = s as unknown as SourceInput;
      continue;
    }
    const reading = found.get(wanted.get(pointer)!);
    const at = `/sources${pointer}`;
    if (!reading || reading.task_id !== taskId || reading.pointer !== pointer || !reading.accepted) {
      errors.push({
        pointer: at,
        keyword: 'reading',
        message: 'is not a reading taken for this value of this step',
      });
      continue;
    }
    const given = valueAt(input.data, pointer);
    if (given !== reading.stored) {
      const field = runtime.fieldAt(pointer);
      errors.push({
        pointer: at,
        keyword: 'reading',
        message: `${field ? runtime.nameOf(field, pointer) : pointer} is ${JSON.stringify(given ?? null)}, but ${reading.device_code} read ${reading.stored}${field?.unit ? ` ${field.unit}` : ''}: take a new reading, or enter it by hand`,
      });
      continue;
    }
    resolved[pointer] = {
      source: 'device',
      deviceId: reading.device_code,
      channel: reading.channel,
      raw: reading.raw,
      reading: reading.id,
    };
  }
  if (errors.length > 0)
    throw new InputError(`The values are not valid: ${errors.map((e) => e.message).join('; ')}`, errors);
  return { ...input, sources: resolved };
}

/** The value at a JSON pointer of the form data, if any. */
export function valueAt(data: unknown, pointer: string): unknown {
  let node: unknown = data;
  for (const segment of pointer.slice(1).split('/')) {
    if (Array.isArray(node)) node = node[Number(segment)];
    else if (isObject(node)) node = node[segment];
    else return undefined;
  }
  return node;
}

/** Sets a value at a JSON pointer of the form data, making the objects and rows on the way. */
export function setAt(data: Record<string, unknown>, pointer: string, value: unknown): void {
  const segments = pointer.slice(1).split('/');
  let node: Record<string | number, unknown> = data;
  segments.forEach((s, i) => {
    const key = Array.isArray(node) ? Number(s) : s;
    if (i === segments.length - 1) {
      node[key] = value;
      return;
    }
    const existing = node[key];
    if (existing === undefined || existing === null || typeof existing !== 'object')
      node[key] = /^\d+$/.test(segments[i + 1]!) ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  });
}
