import { SerialPortMock } from 'serialport';
import assert from 'node:assert/strict';
import type { DeviceConnection, Reading } from '@attest/plugin-api';
import type { SerialBinding } from '../src/index.ts';
import { ScaleSession, type ScaleModel } from '../src/simulator.ts';

/** `@serialport/binding-mock`, as `serialport` gives it (its own types do not resolve under ESM). */
export const MockBinding = SerialPortMock.binding;

/**
 * A serial binding on which simulated scales answer: a mock serial line at each path, whose writes
 * reach a session of that path's scale and whose reads are its answers.
 */
export function scalesOnMockLines(lines: Record<string, ScaleModel>): SerialBinding {
  for (const path of Object.keys(lines)) MockBinding.createPort(path);
  const binding: typeof MockBinding = {
    ...MockBinding,
    async open(options) {
      const port = await MockBinding.open(options);
      const scale = lines[options.path];
      if (!scale) return port;
      const session = new ScaleSession(scale, (text) => {
        if (port.isOpen) port.emitData(Buffer.from(text, 'latin1'));
      });
      scale.sessions.add(session);
      const write = port.write.bind(port);
      const close = port.close.bind(port);
      port.write = async (buffer) => {
        await write(buffer);
        session.receive(buffer);
      };
      port.close = async () => {
        session.end();
        scale.sessions.delete(session);
        await close();
      };
      return port;
    },
  };
  return binding;
}

/** A serial binding with one simulated scale on a mock line at `path`. */
export function scaleOnMockLine(path: string, scale: ScaleModel): SerialBinding {
  return scalesOnMockLines({ [path]: scale });
}

/** Waits until `test` holds, or fails after `ms`. */
export async function until(test: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Subscribes to `channel` and collects what the subscription delivers, until `end`. */
export function collect(
  connection: DeviceConnection,
  channel: string,
): { readings: Reading[]; errors: Error[]; end: () => void } {
  const readings: Reading[] = [];
  const errors: Error[] = [];
  assert.ok(connection.subscribe, 'the connection subscribes');
  const end = connection.subscribe(
    channel,
    (reading) => readings.push(reading),
    (error) => errors.push(error),
  );
  return { readings, errors, end };
}
