/** The four Modbus data areas: read-write registers and coils, read-only input registers and discrete inputs. */
export type Area = 'holding' | 'input' | 'coil' | 'discrete';

/** How a channel's registers are read as a value. */
export type DataType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64' | 'bool';

/** The order of words (registers) or of the two bytes within a register; `big` is the Modbus default. */
export type Order = 'big' | 'little';

/** One named value of the device: where it lives, how it is decoded, and whether Attest may write it. */
export interface Channel {
  area: Area;
  /** The zero-based protocol address of the (first) register or bit, 0–65535 (not the 40001-style number). */
  address: number;
  /** Defaults to `bool` on coils and discrete inputs, `uint16` on registers. */
  type?: DataType;
  /** For 32- and 64-bit types: `big` (default) when the first register holds the most significant word. */
  wordOrder?: Order;
  /** For 32- and 64-bit types: `big` (default) when each register's high byte comes first. */
  byteOrder?: Order;
  /** value = raw × scale + offset; default 1. */
  scale?: number;
  /** value = raw × scale + offset; default 0. */
  offset?: number;
  /** The engineering unit of the value, as the device documents it; default none. */
  unit?: string | null;
  /** Whether Attest may write the channel (holding registers and coils only); default false. */
  writable?: boolean;
}

/** A Modbus device's settings: the line (TCP or serial RTU), the unit, the time-out and the register map. */
export interface Settings {
  transport: 'tcp' | 'rtu';
  /** TCP: the device's (or gateway's) host name or address. */
  host?: string;
  /** TCP: default 502. */
  port?: number;
  /** RTU: the serial device, e.g. `/dev/ttyUSB0` or `COM3`. */
  path?: string;
  /** RTU: default 9600. */
  baudRate?: number;
  /** RTU: default `even` (the Modbus default). */
  parity?: 'none' | 'even' | 'odd';
  /** RTU: default 8. */
  dataBits?: 7 | 8;
  /** RTU: default 1. */
  stopBits?: 1 | 2;
  /** The unit (slave) id; default 1 (TCP 0–255, RTU 1–247). */
  unitId?: number;
  /** How long a request may wait for its answer, in milliseconds; default 2000. */
  timeoutMs?: number;
  /** The interval of a subscription's reads, in milliseconds; default 1000. */
  pollMs?: number;
  /** The register map: channels by name. */
  channels: Record<string, Channel>;
}

/** A channel with every default applied. */
export interface ResolvedChannel {
  name: string;
  area: Area;
  address: number;
  type: DataType;
  wordOrder: Order;
  byteOrder: Order;
  scale: number;
  offset: number;
  unit: string | null;
  writable: boolean;
}

/** Settings with every default applied and checked. */
export type ResolvedSettings =
  | (Common & { transport: 'tcp'; host: string; port: number })
  | (Common & {
      transport: 'rtu';
      path: string;
      baudRate: number;
      parity: 'none' | 'even' | 'odd';
      dataBits: 7 | 8;
      stopBits: 1 | 2;
    });

interface Common {
  unitId: number;
  timeoutMs: number;
  pollMs: number;
  channels: Map<string, ResolvedChannel>;
  /** `modbus-tcp://host:port/unit` or `modbus-rtu://path/unit`. */
  deviceId: string;
}

/** Settings that cannot work: the message names each problem. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

const AREAS: readonly Area[] = ['holding', 'input', 'coil', 'discrete'];
const TYPES: readonly DataType[] = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64', 'bool'];
const ORDERS: readonly Order[] = ['big', 'little'];

/** How many 16-bit registers a type takes. */
export function registerCount(type: DataType): number {
  if (type === 'float64') return 4;
  if (type === 'int32' || type === 'uint32' || type === 'float32') return 2;
  return 1;
}

function isInteger(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function oneOf<T>(value: unknown, allowed: readonly T[]): value is T {
  return allowed.includes(value as T);
}

function resolveChannel(name: string, raw: unknown, problems: string[]): ResolvedChannel | null {
  const at = `channel "${name}"`;
  if (typeof raw !== 'object' || raw === null) {
    problems.push(`${at} must be an object`);
    return null;
  }
  const c = raw as Partial<Channel>;
  const start = problems.length;
  if (!oneOf(c.area, AREAS)) problems.push(`${at}: area must be one of ${AREAS.join(', ')}`);
  if (!isInteger(c.address, 0, 65535)) problems.push(`${at}: address must be an integer from 0 to 65535`);
  const bits = c.area === 'coil' || c.area === 'discrete';
  const type = c.type ?? (bits ? 'bool' : 'uint16');
  if (!oneOf(type, TYPES)) problems.push(`${at}: type must be one of ${TYPES.join(', ')}`);
  else if (bits && type !== 'bool') problems.push(`${at}: a ${String(c.area)} holds a bool, not ${type}`);
  const multi = oneOf(type, TYPES) && registerCount(type) > 1;
  for (const key of ['wordOrder', 'byteOrder'] as const) {
    if (c[key] === undefined) continue;
    if (!oneOf(c[key], ORDERS)) problems.push(`${at}: ${key} must be big or little`);
    else if (!multi) problems.push(`${at}: ${key} applies only to 32- and 64-bit types, not ${String(type)}`);
  }
  for (const key of ['scale', 'offset'] as const) {
    const v = c[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`${at}: ${key} must be a finite number`);
    else if (type === 'bool') problems.push(`${at}: a bool has no ${key}`);
  }
  if (c.scale === 0) problems.push(`${at}: scale must not be 0`);
  if (c.unit !== undefined && c.unit !== null && typeof c.unit !== 'string') {
    problems.push(`${at}: unit must be a string`);
  }
  if (c.writable !== undefined && typeof c.writable !== 'boolean')
    problems.push(`${at}: writable must be true or false`);
  if (c.writable === true && c.area !== 'holding' && c.area !== 'coil') {
    problems.push(`${at}: only holding registers and coils can be writable, not a ${String(c.area)}`);
  }
  if (problems.length > start) return null;
  const width = registerCount(type as DataType);
  if ((c.address as number) + width > 65536)
    problems.push(`${at}: ${String(type)} at ${c.address} runs past address 65535`);
  return {
    name,
    area: c.area as Area,
    address: c.address as number,
    type: type as DataType,
    wordOrder: c.wordOrder ?? 'big',
    byteOrder: c.byteOrder ?? 'big',
    scale: c.scale ?? 1,
    offset: c.offset ?? 0,
    unit: c.unit ?? null,
    writable: c.writable ?? false,
  };
}

/**
 * Applies the defaults to a device's settings and checks what the connector needs, so that a
 * mistake is a clear message at `open` rather than a wrong value later.
 *
 * @throws {SettingsError} naming every problem found.
 */
export function resolveSettings(settings: Settings): ResolvedSettings {
  const s = (typeof settings === 'object' && settings !== null ? settings : {}) as Partial<Settings>;
  const problems: string[] = [];
  if (s.transport !== 'tcp' && s.transport !== 'rtu') problems.push('transport must be tcp or rtu');
  const tcp = s.transport === 'tcp';
  if (tcp && (typeof s.host !== 'string' || s.host.trim() === '')) problems.push('host is required for tcp');
  if (s.port !== undefined && !isInteger(s.port, 1, 65535))
    problems.push('port must be an integer from 1 to 65535');
  if (s.transport === 'rtu') {
    if (typeof s.path !== 'string' || s.path.trim() === '')
      problems.push('path (the serial device) is required for rtu');
    if (s.baudRate !== undefined && !isInteger(s.baudRate, 50, 4_000_000))
      problems.push('baudRate must be a positive integer');
    if (s.parity !== undefined && !oneOf(s.parity, ['none', 'even', 'odd']))
      problems.push('parity must be none, even or odd');
    if (s.dataBits !== undefined && s.dataBits !== 7 && s.dataBits !== 8)
      problems.push('dataBits must be 7 or 8');
    if (s.stopBits !== undefined && s.stopBits !== 1 && s.stopBits !== 2)
      problems.push('stopBits must be 1 or 2');
  }
  const unitId = s.unitId ?? 1;
  if (tcp && !isInteger(unitId, 0, 255)) problems.push('unitId must be an integer from 0 to 255');
  if (s.transport === 'rtu' && !isInteger(unitId, 1, 247))
    problems.push('unitId must be an integer from 1 to 247 on a serial line');
  const timeoutMs = s.timeoutMs ?? 2000;
  if (!isInteger(timeoutMs, 1, 600_000)) problems.push('timeoutMs must be an integer from 1 to 600000');
  const pollMs = s.pollMs ?? 1000;
  if (!isInteger(pollMs, 10, 86_400_000)) problems.push('pollMs must be an integer from 10 to 86400000');
  const channels = new Map<string, ResolvedChannel>();
  if (typeof s.channels !== 'object' || s.channels === null || Object.keys(s.channels).length === 0) {
    problems.push('channels must name at least one channel');
  } else {
    for (const [name, raw] of Object.entries(s.channels)) {
      const channel = resolveChannel(name, raw, problems);
      if (channel) channels.set(name, channel);
    }
  }
  if (problems.length > 0) throw new SettingsError(`Modbus settings: ${problems.join('; ')}`);
  const common = { unitId, timeoutMs, pollMs, channels };
  if (tcp) {
    const host = (s.host as string).trim();
    const port = s.port ?? 502;
    const shown = host.includes(':') ? `[${host}]` : host;
    return { ...common, transport: 'tcp', host, port, deviceId: `modbus-tcp://${shown}:${port}/${unitId}` };
  }
  const path = (s.path as string).trim();
  return {
    ...common,
    transport: 'rtu',
    path,
    baudRate: s.baudRate ?? 9600,
    parity: s.parity ?? 'even',
    dataBits: s.dataBits ?? 8,
    stopBits: s.stopBits ?? 1,
    deviceId: `modbus-rtu://${path}/${unitId}`,
  };
}
