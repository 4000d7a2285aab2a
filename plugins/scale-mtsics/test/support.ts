import { SerialPortMock } from 'serialport';
import type { Reading } from '@attest/plugin-api';
import type { SerialBinding } from '../src/index.ts';
import { ScaleSession, type ScaleModel } from '../src/simulator.ts';

/** `@serialport/binding-mock`, as `serialport` gives it (its own types do not resolve under ESM). */
export const MockBinding = SerialPortMock.binding;

/**
 * A serial binding on which `scale` answers: a mock serial line at `path` whose writes reach a
 * session of the simulated scale and whose reads are its answers.
 */
export function scaleOnMockLine(path: string, scale: ScaleModel): SerialBinding {
  MockBinding.createPort(path);
  const binding: typeof MockBinding = {
    ...MockBinding,
    async open(options) {
      const port = await MockBinding.open(options);
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

/** Waits until `test` holds, or fails after `ms`. */
export async function until(test: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Collects a subscription's readings and errors. */
export function collector(): { readings: Reading[]; errors: Error[] } {
  return { readings: [], errors: [] };
}
