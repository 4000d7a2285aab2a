import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reading } from '@attest/plugin-api';
import type { DeviceInput, DeviceReader, Engine, UsableDevice } from '../../src/index.ts';
import { demoPassword, loginAs } from './testEngine.ts';

/** What the fake connection answers next: a reading, or a failure. */
export type Answer = Partial<Reading> | Error;

/**
 * A device plugin found in a folder and enabled by Adrian, one scale of it registered, and a reader
 * attached to the engine that answers what a test queues: the engine's side of device capture,
 * without a wire (the connectors' own tests speak the protocols).
 */
export async function attachTestDevice(engine: Engine, over: Partial<DeviceInput> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'attest-scale-'));
  await mkdir(join(dir, 'scale'));
  await writeFile(
    join(dir, 'scale', 'package.json'),
    JSON.stringify({
      name: 'plant-scale',
      version: '1.0.0',
      attest: { apiVersion: 1, kind: 'device', entry: './index.js', settings: { type: 'object' } },
    }),
  );
  await writeFile(join(dir, 'scale', 'index.js'), 'export const connector = {};\n');
  await engine.plugins.sync([{ dir, source: 'folder' }]);
  const adrian = await loginAs(engine, 'adrian');
  await engine.plugins.enable(adrian, 'plant-scale', {
    password: demoPassword('adrian'),
    reason: 'Scale interface validated, VAL-0007',
  });
  const device = await engine.devices.register(adrian, {
    code: 'SC-01',
    name: 'Bench scale, dispensing booth 1',
    kind: 'scale',
    plugin: 'plant-scale',
    settings: {},
    room: 'Dispensing 1',
    line: null,
    calibrationDue: '2099-12-31',
    status: 'in_service',
    reason: 'Installed and qualified',
    ...over,
  });
  const answers: Answer[] = [];
  const asked: { channel: string; value?: unknown; device: UsableDevice }[] = [];
  const reader: DeviceReader = {
    async read(usable, channel) {
      asked.push({ channel, device: usable });
      const next = answers.shift() ?? new Error('the scale did not answer within 2000 ms');
      if (next instanceof Error) throw next;
      return {
        deviceId: usable.device.code,
        channel,
        value: 100,
        unit: 'g',
        stable: true,
        status: 'ok',
        deviceTime: null,
        serverTime: new Date().toISOString(),
        raw: 'S S     100.00 g',
        ...next,
      };
    },
    async write(usable, channel, value) {
      asked.push({ channel, value, device: usable });
      const next = answers[0];
      if (next instanceof Error) {
        answers.shift();
        throw next;
      }
    },
  };
  engine.devices.useReader(reader);
  /** The scale answers `raw` as MT-SICS does: `S S     101.96 g` is a stable 101.96 g. */
  const answer = (raw: string, over: Partial<Reading> = {}) => {
    const m = /^S ([SD])\s+(-?[\d.]+)\s+(\S+)$/.exec(raw);
    answers.push(
      m
        ? {
            raw,
            value: Number(m[2]),
            unit: m[3]!,
            stable: m[1] === 'S',
            status: m[1] === 'S' ? 'ok' : 'unstable',
            ...over,
          }
        : { raw, ...over },
    );
  };
  return {
    device,
    answers,
    answer,
    asked,
    fail: (message: string) => answers.push(new Error(message)),
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A step that weighs granulate in kg on a scale the step may tare, and takes a temperature by hand. */
export const GRANULATE_FORM = {
  title: 'Weigh the granulate',
  display: 'form',
  components: [
    {
      type: 'measuredValue',
      key: 'netWeight',
      label: 'Net weight',
      input: true,
      validate: { required: true },
      attest: {
        unit: 'kg',
        decimals: 3,
        capture: 'device',
        critical: true,
        device: { kind: 'scale', tare: true },
      },
    },
    {
      type: 'measuredValue',
      key: 'temperature',
      label: 'Product temperature',
      input: true,
      attest: { unit: '°C', decimals: 1, capture: 'manual' },
    },
  ],
};

/** The process of that step: `granulate`, one user task for operators with form `granulate-weight`. */
export const GRANULATE_MODEL = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:attest="http://attest.dev/schema/bpmn/1.0"
  id="d" targetNamespace="http://attest.dev/test">
  <bpmn:process id="granulate" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="weigh" />
    <bpmn:userTask id="weigh" name="Weigh the granulate" attest:formKey="granulate-weight" attest:candidateRoles="operator" />
    <bpmn:sequenceFlow id="f2" sourceRef="weigh" targetRef="done" />
    <bpmn:endEvent id="done" />
  </bpmn:process>
</bpmn:definitions>`;
