/**
 * Mettler Toledo scales that speak MT-SICS (levels 0 and 1) over TCP or a serial line: the stable
 * weight (`S`), the immediate weight (`SI`, streamed with `SIR`), the tare (`TA`), zeroing (`Z`) and
 * taring (`T`); each reading names the scale by its serial number (`I4`) and keeps its answer.
 */
import type { DeviceConnector } from '@attest/plugin-api';
import { MtsicsConnection } from './connection.ts';
import type { Endpoint, SerialBinding } from './link.ts';

export { CHANNELS, MtsicsConnection, type MtsicsChannel } from './connection.ts';
export type { Endpoint, SerialBinding } from './link.ts';
export {
  ERROR_MEANINGS,
  parseAnswer,
  parseWeight,
  type MtsicsAnswer,
  type MtsicsWeight,
} from './protocol.ts';

/** A device's settings, as the plugin's JSON Schema (`attest.settings` in package.json) describes them. */
export type Settings = TcpSettings | SerialSettings;

interface CommonSettings {
  /** How long an answer may take, in milliseconds (2000 unless given). */
  timeoutMs?: number;
  /** How long a stable weight (`S`) may take, in milliseconds (10000 unless given). */
  stableTimeoutMs?: number;
}

/** A scale on the network (an Ethernet interface or a serial-to-TCP server). */
export interface TcpSettings extends CommonSettings {
  transport: 'tcp';
  host: string;
  port: number;
}

/** A scale on a serial line (RS-232 or USB serial); 9600 8N1 unless given. */
export interface SerialSettings extends CommonSettings {
  transport: 'serial';
  path: string;
  baudRate?: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 2;
}

/** What the connector may be given beyond the settings: for tests only, a serial binding. */
export interface ConnectorOptions {
  /** The serial binding to use instead of the platform's (`@serialport/binding-mock` in tests). */
  binding?: SerialBinding;
}

function positiveInteger(
  settings: Record<string, unknown>,
  key: string,
  fallback: number,
  max = 600_000,
): number {
  const value = settings[key] ?? fallback;
  if (value === 0 && settings[key] === undefined)
    throw new Error(`MT-SICS settings: the scale needs its ${key}`);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(
      `MT-SICS settings: ${key} must be a whole number from 1 to ${max}, not ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function oneOf<T>(settings: Record<string, unknown>, key: string, allowed: readonly T[], fallback: T): T {
  const value = settings[key] ?? fallback;
  if (!allowed.includes(value as T)) {
    throw new Error(
      `MT-SICS settings: ${key} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

function text(settings: Record<string, unknown>, key: string, transport: string): string {
  const value = settings[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`MT-SICS settings: a ${transport} scale needs its ${key}`);
  }
  return value;
}

/** Checks the settings a connection needs, with a message that says what is wrong. */
export function endpointOf(settings: Settings): Endpoint {
  const raw = settings as unknown as Record<string, unknown>;
  if (raw.transport === 'tcp') {
    return {
      transport: 'tcp',
      host: text(raw, 'host', 'tcp'),
      port: positiveInteger(raw, 'port', 0, 65535),
    };
  }
  if (raw.transport === 'serial') {
    return {
      transport: 'serial',
      path: text(raw, 'path', 'serial'),
      baudRate: positiveInteger(raw, 'baudRate', 9600, 4_000_000),
      dataBits: oneOf(raw, 'dataBits', [5, 6, 7, 8] as const, 8),
      parity: oneOf(raw, 'parity', ['none', 'even', 'odd'] as const, 'none'),
      stopBits: oneOf(raw, 'stopBits', [1, 2] as const, 1),
    };
  }
  throw new Error(
    `MT-SICS settings: transport must be "tcp" or "serial", not ${JSON.stringify(raw.transport)}`,
  );
}

/** A connector; `options.binding` replaces the serial binding, for tests. */
export function createConnector(options: ConnectorOptions = {}): DeviceConnector<Settings> {
  return {
    async open(settings, signal) {
      const raw = settings as unknown as Record<string, unknown>;
      const connection = new MtsicsConnection({
        endpoint: endpointOf(settings),
        timeoutMs: positiveInteger(raw, 'timeoutMs', 2000),
        stableTimeoutMs: positiveInteger(raw, 'stableTimeoutMs', 10_000),
        ...(options.binding ? { binding: options.binding } : {}),
      });
      try {
        await connection.connect(signal);
      } catch (error) {
        await connection.close();
        throw error;
      }
      return connection;
    },
  };
}

/** The MT-SICS connector, on the platform's serial binding. */
export const connector: DeviceConnector<Settings> = createConnector();
