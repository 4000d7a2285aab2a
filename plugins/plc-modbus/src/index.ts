/**
 * Modbus TCP and RTU devices for Attest: a register map names each channel's area, address, type,
 * word and byte order, scale, offset and unit; a read decodes exactly that, a write encodes its
 * inverse and only where the map allows it, and a Modbus exception is an error that names its code.
 */
import { DeviceRefusal, type DeviceConnection, type DeviceConnector, type Reading } from '@attest/plugin-api';
import {
  bytesToHex,
  decodeRegisters,
  encodeRegisters,
  ModbusException,
  wordsToHex,
  WriteRefusedError,
} from './codec.ts';
import { openLine, type Client, type Line } from './line.ts';
import {
  registerCount,
  resolveSettings,
  type ResolvedChannel,
  type ResolvedSettings,
  type Settings,
} from './settings.ts';

export type { Area, Channel, DataType, Order, Settings } from './settings.ts';
export {
  registerCount,
  resolveSettings,
  SettingsError,
  type ResolvedChannel,
  type ResolvedSettings,
} from './settings.ts';
export {
  decodeRaw,
  decodeRegisters,
  encodeRegisters,
  MODBUS_EXCEPTIONS,
  ModbusException,
  wordsToHex,
  WriteRefusedError,
} from './codec.ts';

/** What one read brought back: a coil's or discrete input's bit, or the channel's registers. */
type Answer = { bit: boolean; raw: string } | { words: number[]; raw: string };

function aborted(signal: AbortSignal, where: string): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(`${where}: aborted`);
}

function modbusCode(error: unknown): number | null {
  if (typeof error !== 'object' || error === null || !('modbusCode' in error)) return null;
  const code = (error as { modbusCode: unknown }).modbusCode;
  return typeof code === 'number' ? code : null;
}

/** One device: a line opened on demand, one request at a time, re-opened after it breaks or hangs. */
class ModbusConnection implements DeviceConnection {
  private line: Line | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Settles once every line this connection dropped has let go of its port or socket. */
  private released: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<(error: Error) => void>();
  private readonly subscriptions = new Set<() => void>();

  constructor(private readonly settings: ResolvedSettings) {}

  /** Opens the line now, so that `open` fails with a clear message when the device cannot be reached. */
  async connect(signal?: AbortSignal): Promise<void> {
    await this.ensureLine(signal);
  }

  async read(channel: string, signal?: AbortSignal): Promise<Reading> {
    const c = this.channel(channel);
    const answer = await this.request(`reading ${channel}`, signal, (client) => readChannel(client, c));
    let value: number | boolean;
    try {
      value = 'bit' in answer ? answer.bit : decodeRegisters(answer.words, { ...c, name: channel });
    } catch (error) {
      // The device answered, with registers that are no value (a float that is NaN): the line is sound.
      const message = error instanceof Error ? error.message : String(error);
      throw new DeviceRefusal(`${this.settings.deviceId}: ${message} (registers ${answer.raw})`, answer.raw, {
        cause: error,
      });
    }
    return {
      deviceId: this.settings.deviceId,
      channel,
      value,
      unit: c.unit,
      stable: true,
      status: 'ok',
      deviceTime: null,
      serverTime: new Date().toISOString(),
      raw: answer.raw,
    };
  }

  async write(channel: string, value: number | string | boolean, signal?: AbortSignal): Promise<void> {
    const c = this.channel(channel);
    if (!c.writable)
      throw new WriteRefusedError(`${this.settings.deviceId}: channel ${channel} is not writable`);
    let words: number[];
    try {
      words = encodeRegisters(value, { ...c, name: channel });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new WriteRefusedError(`${this.settings.deviceId}: ${message}`, { cause: error });
    }
    await this.request(`writing ${channel}`, signal, async (client) => {
      if (c.area === 'coil') await client.writeCoil(c.address, words[0] === 1);
      else if (words.length === 1) await client.writeRegister(c.address, words[0] as number);
      else await client.writeRegisters(c.address, words);
      return null;
    });
  }

  subscribe(
    channel: string,
    onReading: (reading: Reading) => void,
    onError: (error: Error) => void,
  ): () => void {
    let ended = false;
    let timer: NodeJS.Timeout | null = null;
    let failures = 0;
    const poll = async (): Promise<void> => {
      timer = null;
      try {
        const reading = await this.read(channel);
        failures = 0;
        if (!ended) onReading(reading);
      } catch (error) {
        failures++;
        if (!ended) onError(error instanceof Error ? error : new Error(String(error)));
      }
      if (ended) return;
      const backOff = Math.min(this.settings.pollMs * 2 ** Math.min(failures, 6), 60_000);
      timer = setTimeout(
        () => void poll(),
        failures > 0 ? Math.max(backOff, this.settings.pollMs) : this.settings.pollMs,
      );
    };
    const end = (): void => {
      ended = true;
      if (timer) clearTimeout(timer);
      this.subscriptions.delete(end);
    };
    this.subscriptions.add(end);
    void poll();
    return end;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const end of [...this.subscriptions]) end();
    for (const fail of [...this.inFlight])
      fail(new Error(`${this.settings.deviceId}: the connection was closed`));
    this.dropLine();
    await this.tail.catch(() => undefined);
    await this.released;
  }

  private channel(name: string): ResolvedChannel {
    const c = this.settings.channels.get(name);
    if (!c) {
      const known = [...this.settings.channels.keys()].join(', ');
      throw new Error(
        `${this.settings.deviceId}: no channel "${name}" in the register map (it has ${known})`,
      );
    }
    return c;
  }

  private dropLine(): void {
    const line = this.line;
    this.line = null;
    if (line) this.release(line);
  }

  /** Closes a line; the next one opens only once this one has let go of its port. */
  private release(line: Line): void {
    this.released = Promise.all([this.released, line.destroy().catch(() => undefined)]).then(() => undefined);
  }

  private async ensureLine(signal?: AbortSignal): Promise<Line> {
    if (this.closed) throw new Error(`${this.settings.deviceId}: the connection is closed`);
    if (this.line) return this.line;
    await this.released;
    const line = await openLine(this.settings, signal);
    if (this.closed) {
      this.release(line);
      throw new Error(`${this.settings.deviceId}: the connection is closed`);
    }
    this.line = line;
    line.onFailure((error) => {
      if (this.line === line) this.dropLine();
      for (const fail of [...this.inFlight]) fail(error);
    });
    return line;
  }

  /** Runs one request after the previous one, within the time-out; a line that hangs or breaks is dropped. */
  private request<T>(
    what: string,
    signal: AbortSignal | undefined,
    op: (client: Client) => Promise<T>,
  ): Promise<T> {
    const where = this.settings.deviceId;
    const run = async (): Promise<T> => {
      if (signal?.aborted) throw aborted(signal, where);
      const line = await this.ensureLine(signal);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          fail(new Error(`${where}: no answer to ${what} within ${this.settings.timeoutMs} ms`));
          if (this.line === line) this.dropLine();
        }, this.settings.timeoutMs);
        // a late answer must not be taken for the next request's (a serial line has no transaction id)
        const onAbort = (): void => {
          fail(aborted(signal as AbortSignal, where));
          if (this.line === line) this.dropLine();
        };
        const settle = (): boolean => {
          if (!this.inFlight.delete(fail)) return false;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          return true;
        };
        const fail = (error: Error): void => {
          if (settle()) reject(error);
        };
        this.inFlight.add(fail);
        signal?.addEventListener('abort', onAbort, { once: true });
        op(line.client).then(
          (value) => {
            if (settle()) resolve(value);
          },
          (error: unknown) => {
            const code = modbusCode(error);
            if (code !== null) return fail(new ModbusException(code, `${where}: ${what}`));
            const message = error instanceof Error ? error.message : String(error);
            fail(new Error(`${where}: ${what}: the device's answer is not valid Modbus (${message})`));
            if (this.line === line) this.dropLine();
          },
        );
      });
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

async function readChannel(client: Client, c: ResolvedChannel): Promise<Answer> {
  if (c.area === 'coil' || c.area === 'discrete') {
    const result =
      c.area === 'coil'
        ? await client.readCoils(c.address, 1)
        : await client.readDiscreteInputs(c.address, 1);
    return { bit: result.data[0] === true, raw: bytesToHex(result.buffer) };
  }
  const count = registerCount(c.type);
  const result =
    c.area === 'holding'
      ? await client.readHoldingRegisters(c.address, count)
      : await client.readInputRegisters(c.address, count);
  return { words: result.data, raw: wordsToHex(result.data) };
}

/**
 * The Modbus connector: `open` checks the settings (a `SettingsError` names every problem) and
 * opens the line; reads and writes follow the register map.
 */
export const connector: DeviceConnector<Settings> = {
  async open(settings: Settings, signal?: AbortSignal): Promise<DeviceConnection> {
    const connection = new ModbusConnection(resolveSettings(settings));
    await connection.connect(signal);
    return connection;
  },
};
