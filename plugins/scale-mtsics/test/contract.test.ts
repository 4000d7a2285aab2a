import { connectorContract } from '@attest/plugin-testing';
import { connector, type Settings } from '../src/index.ts';
import { MtsicsSimulator } from '../src/simulator.ts';

const timeoutMs = 500;

connectorContract<Settings>('MT-SICS scale (TCP)', () => {
  const scale = new MtsicsSimulator();
  const silent = new MtsicsSimulator({ silent: true });
  const settings = (port: number): Settings => ({
    transport: 'tcp',
    host: '127.0.0.1',
    port,
    timeoutMs,
    stableTimeoutMs: timeoutMs,
  });
  return {
    connector,
    start: async () => settings(await scale.start()),
    stop: async () => {
      await scale.stop();
      await silent.stop();
    },
    silent: async () => settings(await silent.start()),
    garble: (on) => scale.garble(on),
    channel: 'weight',
    unknownChannel: 'humidity',
    timeoutMs,
  };
});
