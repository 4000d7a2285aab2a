import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createEngine, DEMO_USERS, openDatabase, seedDemoUsers, type Engine } from '@attest/engine';
import { ModbusSimulator, SIMULATED_CHANNELS } from '@attest/plc-modbus/simulator';
import { OpcUaSimulator, SIMULATED_NODES } from '@attest/plc-opcua/simulator';
import { MtsicsSimulator } from '@attest/scale-mtsics/simulator';
import { apiClient, apiLogin } from './apiClient.ts';
import { bareModbus, bareMtsics, bareOpcUa, type BareReader } from './bareDevices.ts';
import { serverVersion, withBenchDatabase } from './benchDatabase.ts';
import { positiveInteger, round } from './figures.ts';
import { Latencies } from './latency.ts';
import { opcUaSubscription } from './opcuaSubscription.ts';
import { startProcess } from './processes.ts';

/**
 * The devices benchmark: Take reading through Attest (the HTTP request that has the server read
 * the device, check and store the value, and answer with the step's form) against the same read
 * by the protocol's bare library, for an MT-SICS scale, a Modbus TCP PLC and an OPC UA server, each
 * simulated on the loopback; then an OPC UA subscription of many items changing at 10 Hz, counting
 * every value received against every value sent.
 */

const ATTEST_BIN = fileURLToPath(new URL('../../runtime/bin/attest.js', import.meta.url));
const BUILD_SERVER = fileURLToPath(new URL('../../runtime/scripts/buildServer.js', import.meta.url));
const WORKSPACE_PLUGINS = fileURLToPath(new URL('../../plugins/', import.meta.url));
/** The worst bare p99 over Attest's p99: Attest within 4× of the bare protocol. */
const TARGET = 0.25;
const SUBSCRIPTION_TARGET = 100;
const WARM_UP = 10;
const WEIGHT_KG = 12.5;
/** Where the OPC UA connector keeps its certificate: in the system's temporary directory, as in the tests. */
const OPCUA_PKI = join(tmpdir(), 'attest-opcua-client-pki');

const person = (username: string) => DEMO_USERS.find((u) => u.username === username)!;

type Protocol = 'mtsics' | 'modbus' | 'opcua';
const PROTOCOLS: Protocol[] = ['mtsics', 'modbus', 'opcua'];
const LABEL: Record<Protocol, string> = {
  mtsics: 'MT-SICS scale',
  modbus: 'Modbus TCP',
  opcua: 'OPC UA',
};

/** A net weight in kg taken from a device of `kind`, its `channel`. */
const weightField = (key: Protocol, label: string, kind: 'scale' | 'plc') => ({
  type: 'measuredValue',
  key,
  label,
  input: true,
  attest: { unit: 'kg', decimals: 3, capture: 'device', device: { kind, channel: 'weight' } },
});

/** One step with a weight from each device. */
const FORM = {
  title: 'Weigh on every device',
  display: 'form',
  components: [
    weightField('mtsics', 'Weight on the scale', 'scale'),
    weightField('modbus', 'Weight from the Modbus PLC', 'plc'),
    weightField('opcua', 'Weight from the OPC UA server', 'plc'),
  ],
};

const MODEL = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:attest="http://attest.dev/schema/bpmn/1.0"
  id="devicebench-definitions" targetNamespace="http://attest.dev/bench">
  <bpmn:process id="devicebench" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="weigh" />
    <bpmn:userTask id="weigh" name="Weigh on every device" attest:formKey="devicebench-weigh" attest:candidateRoles="operator" />
    <bpmn:sequenceFlow id="f2" sourceRef="weigh" targetRef="done" />
    <bpmn:endEvent id="done" />
  </bpmn:process>
</bpmn:definitions>`;

interface Simulators {
  mtsics: MtsicsSimulator;
  modbus: ModbusSimulator;
  opcua: OpcUaSimulator;
  ports: { mtsics: number; modbus: number; opcua: string };
  stop(): Promise<void>;
}

async function startSimulators(): Promise<Simulators> {
  const mtsics = new MtsicsSimulator({ load: WEIGHT_KG * 1000, unit: 'g', decimals: 1, stable: true });
  const modbus = new ModbusSimulator();
  const opcua = new OpcUaSimulator();
  const ports = { mtsics: await mtsics.start(), modbus: await modbus.start(), opcua: await opcua.start() };
  modbus.setWeight(WEIGHT_KG);
  opcua.setWeight(WEIGHT_KG);
  return {
    mtsics,
    modbus,
    opcua,
    ports,
    async stop() {
      await Promise.all([mtsics.stop(), modbus.stop(), opcua.stop()]);
    },
  };
}

/** The devices as an administrator registers them: one per simulator, each through its plugin. */
function deviceInputs(ports: Simulators['ports']) {
  const common = {
    room: 'Bench',
    line: null,
    calibrationDue: '2099-12-31',
    status: 'in_service' as const,
    reason: 'Installed, IQ/OQ of the bench',
  };
  return {
    mtsics: {
      ...common,
      code: 'BENCH-SICS',
      name: 'MT-SICS scale simulator',
      kind: 'scale' as const,
      plugin: '@attest/scale-mtsics',
      settings: { transport: 'tcp', host: '127.0.0.1', port: ports.mtsics, timeoutMs: 2000 },
    },
    modbus: {
      ...common,
      code: 'BENCH-MODBUS',
      name: 'Modbus TCP simulator',
      kind: 'plc' as const,
      plugin: '@attest/plc-modbus',
      settings: {
        transport: 'tcp',
        host: '127.0.0.1',
        port: ports.modbus,
        timeoutMs: 2000,
        channels: { weight: SIMULATED_CHANNELS.weight },
      },
    },
    opcua: {
      ...common,
      code: 'BENCH-OPCUA',
      name: 'OPC UA simulator',
      kind: 'plc' as const,
      plugin: '@attest/plc-opcua',
      settings: {
        endpointUrl: ports.opcua,
        timeoutMs: 2000,
        pkiFolder: OPCUA_PKI,
        channels: { weight: { nodeId: SIMULATED_NODES.weight } },
      },
    },
  };
}

/**
 * The demo users; the three device plugins of the workspace enabled by the administrator with his
 * signature; the devices registered; the step's form and its process deployed.
 */
async function seed(engine: Engine, ports: Simulators['ports']): Promise<Record<Protocol, string>> {
  await seedDemoUsers(engine.identity, { demo: true });
  const login = async (username: string) =>
    engine.identity.authenticate(
      (await engine.identity.login({ username, password: person(username).password })).sessionId,
    );
  const adrian = await login('adrian');
  const quinn = await login('quinn');
  await engine.plugins.sync([{ dir: WORKSPACE_PLUGINS, source: 'workspace' }]);
  const ids = {} as Record<Protocol, string>;
  const inputs = deviceInputs(ports);
  for (const protocol of PROTOCOLS) {
    const input = inputs[protocol];
    await engine.plugins.enable(adrian, input.plugin, {
      password: person('adrian').password,
      reason: `${LABEL[protocol]} interface validated for the bench`,
    });
    ids[protocol] = (await engine.devices.register(adrian, input)).id;
  }
  await engine.forms.save(quinn, { key: 'devicebench-weigh', definition: FORM });
  await engine.processes.deploy(quinn, MODEL);
  return ids;
}

interface TakeAnswer {
  reading: { id: string; stored: number };
  value: { pointer: string; value: unknown; source: string };
}

interface Run {
  attest: Latencies;
  bare: Latencies;
}

/**
 * `readings` steps, each read from every device in turn through Attest and by the bare library,
 * interleaved (the order of the devices turns from step to step), so that load from elsewhere on
 * the machine falls on both alike. Each Take reading must answer with the value stored in the step.
 */
async function readings(
  call: ReturnType<typeof apiClient>,
  devices: Record<Protocol, string>,
  bare: Record<Protocol, BareReader>,
  count: number,
  runs: Record<Protocol, Run> | null,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const started = await call<{ openTasks: { id: string }[] }>(
      'POST',
      '/api/processes/devicebench/instances',
      {},
    );
    const task = started.openTasks[0]!.id;
    for (let k = 0; k < PROTOCOLS.length; k++) {
      const protocol = PROTOCOLS[(i + k) % PROTOCOLS.length]!;
      const pointer = `/${protocol}`;
      const t0 = performance.now();
      const taken = await call<TakeAnswer>('POST', `/api/tasks/${task}/readings`, {
        pointer,
        deviceId: devices[protocol],
      });
      const t1 = performance.now();
      await bare[protocol].read();
      const t2 = performance.now();
      const value = taken.value;
      if (
        value.pointer !== pointer ||
        value.source !== 'device' ||
        Math.abs(taken.reading.stored - WEIGHT_KG) > 0.001
      )
        throw new Error(`Take reading of ${protocol} did not store the weight: ${JSON.stringify(taken)}`);
      runs?.[protocol].attest.record(t1 - t0);
      runs?.[protocol].bare.record(t2 - t1);
    }
  }
}

export async function runDevicesBenchmark(): Promise<Record<string, unknown>> {
  const count = positiveInteger('DEVICES_BENCH_READINGS', 200);
  const items = positiveInteger('DEVICES_BENCH_ITEMS', 500);
  const seconds = positiveInteger('DEVICES_BENCH_SECONDS', 30);
  const hz = positiveInteger('DEVICES_BENCH_HZ', 10);

  const figures = await withBenchDatabase(async (url) => {
    console.log(
      `${availableParallelism()} CPUs, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}, PostgreSQL ${await serverVersion(url)}; database ${new URL(url).pathname.slice(1)}`,
    );
    const simulators = await startSimulators();
    const bare = {} as Record<Protocol, BareReader>;
    let stopAttest: (() => Promise<void>) | null = null;
    try {
      const engine = createEngine({ database: await openDatabase({ url }), settings: { development: true } });
      let devices: Record<Protocol, string>;
      try {
        devices = await seed(engine, simulators.ports);
      } finally {
        await engine.close();
      }
      console.log('Seeded: the demo users, the three device plugins enabled, a device on each simulator');

      await promisify(execFile)(process.execPath, [BUILD_SERVER]);
      const attest = await startProcess(
        [ATTEST_BIN, 'start', '--port', '0'],
        {
          DATABASE_URL: url,
          HOST: '127.0.0.1',
          ATTEST_JWT_SECRET: randomBytes(32).toString('hex'),
          ATTEST_DEVELOPMENT: 'true',
          LOG_LEVEL: process.env.DEVICES_BENCH_LOG_LEVEL || 'info',
        },
        /Attest is running at (http:\/\/\S+)/,
      );
      stopAttest = attest.stop;
      const base = attest.match[1]!;
      console.log(`Attest runtime (its own process) at ${base}; logs at LOG_LEVEL info, discarded`);
      const call = apiClient(base, await apiLogin(base, 'olivia', person('olivia').password));

      bare.mtsics = await bareMtsics(simulators.ports.mtsics);
      bare.modbus = await bareModbus(simulators.ports.modbus, SIMULATED_CHANNELS.weight!.address);
      bare.opcua = await bareOpcUa(simulators.ports.opcua, SIMULATED_NODES.weight);

      console.log(`Warm-up: ${WARM_UP} steps, each read from the three devices`);
      await readings(call, devices, bare, WARM_UP, null);
      const runs = Object.fromEntries(
        PROTOCOLS.map((p) => [p, { attest: new Latencies(), bare: new Latencies() }]),
      ) as Record<Protocol, Run>;
      console.log(`Take reading against the bare read: ${count} steps, each read from the three devices`);
      await readings(call, devices, bare, count, runs);

      const result: Record<string, unknown> = { readings_per_device: count };
      const ratios: number[] = [];
      for (const protocol of PROTOCOLS) {
        const { attest: a, bare: b } = runs[protocol];
        const ratio = b.percentile(99) / a.percentile(99);
        ratios.push(ratio);
        console.log(
          `  ${LABEL[protocol].padEnd(14)} Attest p50 ${a.percentile(50).toFixed(2)} ms, p99 ${a.percentile(99).toFixed(2)} ms;` +
            ` bare p50 ${b.percentile(50).toFixed(2)} ms, p99 ${b.percentile(99).toFixed(2)} ms; ratio ${ratio.toFixed(3)}`,
        );
        result[`${protocol}_attest_p50_ms`] = round(a.percentile(50), 2);
        result[`${protocol}_attest_p99_ms`] = round(a.percentile(99), 2);
        result[`${protocol}_bare_p50_ms`] = round(b.percentile(50), 2);
        result[`${protocol}_bare_p99_ms`] = round(b.percentile(99), 2);
        result[`${protocol}_ratio`] = round(ratio, 3);
      }
      result.ratio = round(Math.min(...ratios), 3);
      console.log(
        `  ratio, the worst of the three (bare p99 / Attest p99): ${result.ratio}, target ${TARGET}`,
      );
      return result;
    } finally {
      for (const reader of Object.values(bare)) await reader.close().catch(() => undefined);
      if (stopAttest) await stopAttest();
      await simulators.stop();
    }
  });

  console.log(
    `OPC UA subscription: ${items} items changing at ${hz} Hz for ${seconds} s, through the plc-opcua connector`,
  );
  const subscription = await opcUaSubscription(items, hz, seconds, (line) => console.log(line));
  const pct = subscription.sent === 0 ? 0 : (subscription.received / subscription.sent) * 100;
  console.log(
    `  received ${subscription.received} of ${subscription.sent} values sent (${pct.toFixed(3)} %), ` +
      `${subscription.errors} errors`,
  );
  const ratio = figures.ratio as number;
  return {
    bench: 'devices',
    ...figures,
    opcua_items: items,
    opcua_hz: hz,
    opcua_seconds: seconds,
    opcua_sent: subscription.sent,
    opcua_received: subscription.received,
    opcua_errors: subscription.errors,
    opcua_received_pct: round(pct, 3),
    target: TARGET,
    opcua_received_target: SUBSCRIPTION_TARGET,
    ok: ratio >= TARGET && pct >= SUBSCRIPTION_TARGET,
  };
}
