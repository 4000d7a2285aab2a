import { DeviceRefusal } from '@attest/plugin-api';
import { registerCount, type ResolvedChannel } from './settings.ts';

/** The Modbus exception codes and what each means (Modbus Application Protocol v1.1b3, 7). */
export const MODBUS_EXCEPTIONS: Readonly<Record<number, string>> = {
  1: 'illegal function: the device does not support this function code',
  2: 'illegal data address: the device has no such register or bit',
  3: 'illegal data value: the device refuses the value or the quantity',
  4: 'server device failure: the device failed while performing the request',
  5: 'acknowledge: the device accepted the request and needs longer to complete it',
  6: 'server device busy: the device is busy with a long request, try again later',
  8: 'memory parity error: the device found a parity error in its memory',
  10: 'gateway path unavailable: the gateway has no path to the target unit',
  11: 'gateway target device failed to respond: no answer from the unit behind the gateway',
};

/**
 * A Modbus exception answer from the device: the code and its meaning. The device answered as the
 * protocol says, so the line stays open (a device refusal).
 */
export class ModbusException extends DeviceRefusal {
  override name = 'ModbusException';
  constructor(
    readonly code: number,
    what: string,
  ) {
    super(
      `${what}: Modbus exception ${code} (${MODBUS_EXCEPTIONS[code] ?? 'a code the Modbus specification does not define'})`,
    );
  }
}

/** A value that cannot be written to a channel: out of range for its type, or not exactly representable. */
export class WriteRefusedError extends Error {
  override name = 'WriteRefusedError';
}

/** Register words as hex, four digits each, separated by spaces (e.g. `41C8 0000`). */
export function wordsToHex(words: readonly number[]): string {
  return words.map((w) => w.toString(16).toUpperCase().padStart(4, '0')).join(' ');
}

/** Bytes as hex, separated by spaces (e.g. `00 01 00 00`). */
export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

/** The channel's registers laid out as big-endian bytes, whatever the device's word and byte order. */
function toBigEndian(words: readonly number[], channel: ResolvedChannel): Buffer {
  const ordered = channel.wordOrder === 'little' ? [...words].reverse() : words;
  const bytes = Buffer.alloc(ordered.length * 2);
  ordered.forEach((word, i) => {
    const hi = (word >> 8) & 0xff;
    const lo = word & 0xff;
    bytes[i * 2] = channel.byteOrder === 'little' ? lo : hi;
    bytes[i * 2 + 1] = channel.byteOrder === 'little' ? hi : lo;
  });
  return bytes;
}

/** Big-endian bytes back to the device's registers, in its word and byte order (the inverse of `toBigEndian`). */
function fromBigEndian(bytes: Buffer, channel: ResolvedChannel): number[] {
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) {
    const hi = bytes[i] as number;
    const lo = bytes[i + 1] as number;
    words.push(channel.byteOrder === 'little' ? (lo << 8) | hi : (hi << 8) | lo);
  }
  return channel.wordOrder === 'little' ? words.reverse() : words;
}

/** The shortest decimal that is the same float32 (12.3, not 12.300000190734863). */
function shortestFloat32(value: number): number {
  if (!Number.isFinite(value)) return value;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

/** How many decimals a number's shortest form has (0.01 → 2, 1.5e-7 → 8, 1200 → 0). */
function decimals(value: number): number {
  const [mantissa = '', exponent = '0'] = String(Math.abs(value)).split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

/**
 * raw × scale + offset, rounded to the decimals its terms have, so that the binary artefacts of
 * the arithmetic (29315 × 0.01 − 273.15 = 20.000000000000057) do not reach the record.
 */
function scaled(raw: number, channel: ResolvedChannel): number {
  if (channel.scale === 1 && channel.offset === 0) return raw;
  const places = Math.max(decimals(raw) + decimals(channel.scale), decimals(channel.offset));
  return Number((raw * channel.scale + channel.offset).toFixed(Math.min(places, 100)));
}

/** Decodes a channel's register words into its raw number, per type, word order and byte order. */
export function decodeRaw(words: readonly number[], channel: ResolvedChannel): number {
  if (words.length !== registerCount(channel.type)) {
    throw new Error(
      `${channel.name}: expected ${registerCount(channel.type)} registers, got ${words.length}`,
    );
  }
  const bytes = toBigEndian(words, channel);
  switch (channel.type) {
    case 'int16':
      return bytes.readInt16BE(0);
    case 'uint16':
    case 'bool':
      return bytes.readUInt16BE(0);
    case 'int32':
      return bytes.readInt32BE(0);
    case 'uint32':
      return bytes.readUInt32BE(0);
    case 'float32':
      return shortestFloat32(bytes.readFloatBE(0));
    case 'float64':
      return bytes.readDoubleBE(0);
  }
}

/**
 * A channel's value from its registers: the raw number decoded per the map, then raw × scale +
 * offset; a bool register is true when it is not 0.
 */
export function decodeRegisters(words: readonly number[], channel: ResolvedChannel): number | boolean {
  const raw = decodeRaw(words, channel);
  if (channel.type === 'bool') return raw !== 0;
  if (!Number.isFinite(raw)) throw new Error(`${channel.name}: the device holds ${raw}, not a number`);
  return scaled(raw, channel);
}

const RANGES: Readonly<Record<'int16' | 'uint16' | 'int32' | 'uint32', readonly [number, number]>> = {
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The registers that hold `value` on a channel: the inverse of scale and offset, then the type in
 * the device's word and byte order.
 *
 * @throws {WriteRefusedError} when the value is not of the channel's kind, is out of range for the
 *   type, or (for an integer type) is not a whole number of scale steps.
 */
export function encodeRegisters(value: number | string | boolean, channel: ResolvedChannel): number[] {
  const what = `${channel.name}`;
  if (channel.type === 'bool') {
    if (typeof value !== 'boolean')
      throw new WriteRefusedError(`${what} takes true or false, not ${JSON.stringify(value)}`);
    return [value ? 1 : 0];
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new WriteRefusedError(`${what} takes a finite number, not ${JSON.stringify(value)}`);
  }
  const raw = (value - channel.offset) / channel.scale;
  const bytes = Buffer.alloc(registerCount(channel.type) * 2);
  switch (channel.type) {
    case 'float32':
      if (Math.abs(raw) > FLOAT32_MAX)
        throw new WriteRefusedError(`${what}: ${value} is out of range for float32`);
      bytes.writeFloatBE(raw, 0);
      break;
    case 'float64':
      bytes.writeDoubleBE(raw, 0);
      break;
    default: {
      const rounded = Math.round(raw);
      if (Math.abs(raw - rounded) > 1e-9 * Math.max(1, Math.abs(raw))) {
        throw new WriteRefusedError(
          `${what}: ${value} is not a whole number of steps of ${channel.scale} from ${channel.offset}, so ${channel.type} cannot hold it exactly`,
        );
      }
      const [min, max] = RANGES[channel.type];
      if (rounded < min || rounded > max) {
        throw new WriteRefusedError(
          `${what}: ${value} is out of range for ${channel.type} (${scaled(min, channel)} to ${scaled(max, channel)})`,
        );
      }
      if (channel.type === 'int16') bytes.writeInt16BE(rounded, 0);
      else if (channel.type === 'uint16') bytes.writeUInt16BE(rounded, 0);
      else if (channel.type === 'int32') bytes.writeInt32BE(rounded, 0);
      else bytes.writeUInt32BE(rounded, 0);
    }
  }
  return fromBigEndian(bytes, channel);
}
