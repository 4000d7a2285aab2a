import { connectorContract } from '@attest/plugin-testing';
import { connector, createConnector, type Settings } from '../src/index.ts';
import { MtsicsSimulator, ScaleModel } from '../src/simulator.ts';
import { scalesOnMockLines } from './support.ts';

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
    refuse: (on) => scale.busy(on),
    channel: 'weight',
    unknownChannel: 'humidity',
    timeoutMs,
  };
});

connectorContract<Settings>('MT-SICS scale (serial line)', () => {
  const scale = new ScaleModel();
  const silent = new ScaleModel();
  silent.silent = true;
  const binding = scalesOnMockLines({ '/dev/ttyCONTRACT0': scale, '/dev/ttyCONTRACT1': silent });
  const settings = (path: string): Settings => ({
    transport: 'serial',
    path,
    timeoutMs,
    stableTimeoutMs: timeoutMs,
  });
  return {
    connector: createConnector({ binding }),
    start: async () => {
      scale.silent = false;
      return settings('/dev/ttyCONTRACT0');
    },
    // A scale switched off on a serial line: the line stays open, and nothing answers.
    stop: async () => {
      scale.silent = true;
      for (const session of scale.sessions) session.end();
    },
    silent: async () => settings('/dev/ttyCONTRACT1'),
    garble: (on) => (scale.garbled = on),
    refuse: (on) => (scale.busy = on),
    channel: 'weightImmediate',
    unknownChannel: 'humidity',
    timeoutMs,
  };
});
