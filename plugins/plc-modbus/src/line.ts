import net from 'node:net';
import modbusSerial from 'modbus-serial';
import { bytesToHex } from './codec.ts';
import type { ResolvedSettings } from './settings.ts';

/** modbus-serial is CommonJS: its export is the client class, which is also its `default`. */
const ModbusRTU = modbusSerial.default;

/** The modbus-serial client: frames requests and parses answers, on a line we open and close ourselves. */
export type Client = InstanceType<typeof ModbusRTU>;

/** An open line to the device (a TCP socket or a serial port) with its client. */
export interface Line {
  client: Client;
  /** Called once when the line breaks or carries bytes that are not the protocol; the line is dead after. */
  onFailure(listener: (error: Error) => void): void;
  /** Closes the line at once; no event follows. Settles when the port or socket is released. */
  destroy(): Promise<void>;
}

/** Whether the bytes received so far can still be Modbus TCP frames (MBAP: protocol id 0, a sane length). */
function checkMbap(buffered: Buffer): { garbage: boolean; rest: Buffer } {
  let rest = buffered;
  while (rest.length >= 6) {
    const length = rest.readUInt16BE(4);
    if (rest.readUInt16BE(2) !== 0 || length < 3 || length > 254) return { garbage: true, rest };
    if (rest.length < 6 + length) break;
    rest = rest.subarray(6 + length);
  }
  return { garbage: false, rest };
}

function failureEmitter(): { emit(error: Error): void; listen(listener: (error: Error) => void): void } {
  let listener: ((error: Error) => void) | null = null;
  let failed: Error | null = null;
  return {
    emit(error) {
      if (failed) return;
      failed = error;
      listener?.(error);
    },
    listen(l) {
      listener = l;
      if (failed) l(failed);
    },
  };
}

async function openTcp(
  settings: ResolvedSettings & { transport: 'tcp' },
  signal?: AbortSignal,
): Promise<Line> {
  const where = settings.deviceId;
  const socket = net.connect({ host: settings.host, port: settings.port });
  socket.setNoDelay(true);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${where}: no answer to the connection within ${settings.timeoutMs} ms`)),
        settings.timeoutMs,
      );
      const abort = (): void =>
        reject(signal?.reason instanceof Error ? signal.reason : new Error(`${where}: aborted`));
      signal?.addEventListener('abort', abort, { once: true });
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
      };
      socket.once('connect', () => {
        done();
        resolve();
      });
      socket.once('error', (error) => {
        done();
        reject(new Error(`${where}: cannot connect (${error.message})`));
      });
      if (signal?.aborted) abort();
    });
  } catch (error) {
    socket.destroy();
    throw error;
  }
  const failure = failureEmitter();
  let buffered: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    const checked = checkMbap(Buffer.concat([buffered, chunk]));
    buffered = checked.rest;
    if (checked.garbage) {
      failure.emit(
        new Error(`${where}: the answer is not a Modbus TCP frame: ${bytesToHex(chunk.subarray(0, 32))}`),
      );
      socket.destroy();
    }
  });
  socket.on('error', (error) =>
    failure.emit(new Error(`${where}: the connection failed (${error.message})`)),
  );
  socket.on('close', () => failure.emit(new Error(`${where}: the device closed the connection`)));
  const client: Client = new ModbusRTU();
  client.on('error', () => undefined);
  client.setID(settings.unitId);
  await client.linkTCP(socket, { port: settings.port });
  return {
    client,
    onFailure: (listener) => failure.listen(listener),
    destroy: async () => {
      failure.emit(new Error(`${where}: the connection is closed`));
      socket.destroy();
    },
  };
}

async function openRtu(settings: ResolvedSettings & { transport: 'rtu' }): Promise<Line> {
  const where = settings.deviceId;
  const client: Client = new ModbusRTU();
  const failure = failureEmitter();
  client.on('error', (error: unknown) =>
    failure.emit(
      new Error(
        `${where}: the serial line failed (${error instanceof Error ? error.message : String(error)})`,
      ),
    ),
  );
  client.on('close', () => failure.emit(new Error(`${where}: the serial line was closed`)));
  try {
    await client.connectRTUBuffered(settings.path, {
      baudRate: settings.baudRate,
      parity: settings.parity,
      dataBits: settings.dataBits,
      stopBits: settings.stopBits,
    });
  } catch (error) {
    throw new Error(
      `${where}: cannot open the serial line (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
  client.setID(settings.unitId);
  return {
    client,
    onFailure: (listener) => failure.listen(listener),
    destroy: () => {
      failure.emit(new Error(`${where}: the serial line is closed`));
      // the port keeps its lock until it is closed: opening it again before then is refused
      return new Promise<void>((resolve) => {
        if (!client.isOpen) resolve();
        else client.close(() => resolve());
      });
    },
  };
}

/** Opens the line the settings describe: a TCP connection (within the time-out) or a serial port. */
export function openLine(settings: ResolvedSettings, signal?: AbortSignal): Promise<Line> {
  return settings.transport === 'tcp' ? openTcp(settings, signal) : openRtu(settings);
}
