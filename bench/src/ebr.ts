import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import {
  createEngine,
  DEMO_USERS,
  openDatabase,
  seedDemoUsers,
  type Engine,
  type Principal,
} from '@attest/engine';
import { createApp } from '@attest/runtime';
import { apiClient, apiLogin } from './apiClient.ts';
import { serverVersion, withBenchDatabase } from './benchDatabase.ts';
import { positiveInteger, round } from './figures.ts';
import { Latencies } from './latency.ts';

/**
 * The electronic-batch-record benchmark: batches of the shipped batch-record template, each with a
 * recipe of 40 dispensing lines and 60 processing steps, driven to the end by scripted operators,
 * once through the HTTP API and once through the engine API, in the same process on the same
 * database. Its figure is the ratio of the two step rates.
 */

const TEMPLATE_DIR = fileURLToPath(new URL('../../templates/batch-record/v1.0.0/', import.meta.url));
const SET = 'BENCH-40';
const TARGET = 0.5;
const BATCH_SIZE = 100;

const operatorName = (n: number) => `ebr${String(n).padStart(3, '0')}`;
const operatorPassword = (n: number) => `Heron-Batch-${n}-Slate`;
const VERIFIER = { username: 'ebrverifier', password: 'Osprey-Verify-77-Flint' };
const QA = { username: 'ebrqa', password: 'Falcon-Review-31-Amber' };

interface Recipe {
  bom: { material: string; quantityPerUnit: number; tolerance: number }[];
  processSteps: { actionMin: number; actionMax: number }[];
}

/** The bench's recipe: `lines` materials of equal share and `steps` steps cycling through the shipped ones. */
function benchRecipe(shipped: Record<string, unknown>, lines: number, steps: number) {
  const recipe = shipped.recipe as Record<string, unknown> & { processSteps: Record<string, unknown>[] };
  return {
    product: 'BENCH-40 Bench tablets',
    recipe: {
      ...recipe,
      productCode: 'BENCH-40',
      productName: 'Bench tablets',
      bom: Array.from({ length: lines }, (_, i) => ({
        material: `MAT-${String(i + 1).padStart(3, '0')}`,
        name: `Material ${i + 1}`,
        quantityPerUnit: 1 / lines,
        unit: 'kg',
        tolerance: 2,
      })),
      processSteps: Array.from({ length: steps }, (_, i) => ({
        ...recipe.processSteps[i % recipe.processSteps.length],
        id: `step-${i + 1}`,
      })),
    },
  };
}

/** The shipped package's files, its manifest given the bench's recipe as one more parameter set. */
async function benchPackage(lines: number, steps: number) {
  const files: { path: string; content: Buffer }[] = [];
  for (const entry of await readdir(TEMPLATE_DIR, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    files.push({ path: full.slice(TEMPLATE_DIR.length), content: await readFile(full) });
  }
  const manifest = files.find((f) => f.path === 'manifest.json')!;
  const parsed = JSON.parse(manifest.content.toString('utf8'));
  parsed.parameterSets[SET] = benchRecipe(parsed.parameterSets['PCM-500'], lines, steps);
  manifest.content = Buffer.from(JSON.stringify(parsed, null, 2));
  return files;
}

/** What the gates let a batch use (F3, F2): a released lot of each material, and equipment per batch. */
interface Plant {
  lots: Record<string, string>;
  /** Equipment a batch holds from its first processing step on: each batch has its own. */
  equipment(n: number): string;
}

const benchEquipment = (n: number) => `EQ-${String(n).padStart(4, '0')}`;

/**
 * The plant the batches run in: every material of the recipe with an approved supplier and one
 * released lot (received by olivia, released by quinn), a cleared room, and clean, calibrated,
 * qualified equipment for each batch the benchmark runs (a batch holds its equipment until it is
 * cleaned, so batches running at once cannot share it).
 */
async function seedPlant(engine: Engine, recipe: Recipe, batches: number[]): Promise<Plant> {
  const passwordOf = (username: string) => DEMO_USERS.find((u) => u.username === username)!.password;
  const login = async (username: string) =>
    engine.identity.authenticate(
      (await engine.identity.login({ username, password: passwordOf(username) })).sessionId,
    );
  const quinn = await login('quinn');
  const olivia = await login('olivia');
  const lots: Record<string, string> = {};
  for (const { material } of recipe.bom) {
    const created = await engine.materials.create(quinn, {
      code: material,
      name: `Bench material ${material}`,
      type: 'excipient',
      baseUnit: 'kg',
      retestMonths: null,
      shelfLifeMonths: 36,
      samplingPlan: 'first',
      lotNumberPattern: '{material}-{YY}-{seq:4}',
      reason: 'Bench recipe',
    });
    await engine.materials.setSupplier(quinn, material, {
      supplierCode: 'SUP-BENCH',
      supplierName: 'Bench supplier',
      status: 'approved',
      password: passwordOf('quinn'),
      reason: 'Bench supplier',
      version: created.version,
    });
    const lot = await engine.materials.lots.receive(olivia, {
      material,
      supplier: 'SUP-BENCH',
      supplierLot: `BENCH-${material}`,
      containers: [{ quantity: 100 }],
      location: 'WH-A-01',
    });
    await engine.materials.lots.changeStatus(quinn, lot.lotNumber, {
      status: 'released',
      version: lot.version,
      password: passwordOf('quinn'),
    });
    lots[material] = lot.lotNumber;
  }
  await engine.equipment.rooms.register(quinn, {
    code: 'PR-104',
    name: 'Bench production room',
    class: 'D',
    status: 'cleared',
    reason: 'Bench room',
  });
  for (const n of batches)
    await engine.equipment.register(quinn, {
      code: benchEquipment(n),
      name: `Bench granulator ${n}`,
      type: 'high-shear granulator',
      room: 'PR-104',
      status: 'clean',
      calibrationDue: '2099-12-31',
      qualificationDue: '2099-12-31',
      cleanHoldHours: null,
      dailyCheckRequired: false,
      reason: 'Bench equipment',
    });
  await engine.identity.logout(quinn);
  await engine.identity.logout(olivia);
  return { lots, equipment: benchEquipment };
}

/** What a scripted operator does at a step, whichever API carries it. */
interface Driver {
  start(title: string): Promise<{ id: string }>;
  openTask(recordId: string): Promise<{ id: string; elementId: string } | null>;
  save(taskId: string, data: Record<string, unknown>): Promise<void>;
  verify(taskId: string): Promise<void>;
  complete(taskId: string, data: Record<string, unknown>, qa?: boolean): Promise<void>;
  checker(taskId: string): Promise<void>;
}

/** Runs one batch to ready for release; returns the steps completed, each completion timed. */
async function runBatch(
  driver: Driver,
  recipe: Recipe,
  plant: Plant,
  n: number,
  times: Latencies,
): Promise<number> {
  const { id } = await driver.start(`Bench batch ${n}`);
  let line = 0;
  let step = 0;
  let steps = 0;
  const timed = async (call: () => Promise<void>) => {
    await times.time(call);
    steps += 1;
  };
  for (;;) {
    const task = await driver.openTask(id);
    if (!task) return steps;
    switch (task.elementId) {
      case 'order':
        await timed(() =>
          driver.complete(task.id, {
            orderNumber: 'PO-260001',
            batchNumber: `B26-${String(n).padStart(4, '0')}`,
            batchSize: BATCH_SIZE,
          }),
        );
        break;
      case 'lineClearance':
        await timed(() =>
          driver.complete(task.id, {
            room: 'PR-104',
            roomStatus: 'clean',
            equipmentStatus: 'clean',
            previousProduct: 'none',
            documentsRemoved: true,
            labelsRemoved: true,
          }),
        );
        break;
      case 'lineClearanceCheck':
        await timed(() => driver.checker(task.id));
        break;
      case 'dispense': {
        const l = recipe.bom[line++]!;
        const data = {
          material: l.material,
          lot: plant.lots[l.material],
          netWeight: l.quantityPerUnit * BATCH_SIZE,
        };
        await driver.save(task.id, data);
        await driver.verify(task.id);
        await timed(() => driver.complete(task.id, data));
        break;
      }
      case 'process': {
        const s = recipe.processSteps[step++]!;
        const value = round((s.actionMin + s.actionMax) / 2, 2);
        await timed(() => driver.complete(task.id, { equipment: plant.equipment(n), value }));
        break;
      }
      case 'yield':
        await timed(() => driver.complete(task.id, { output: 98.5, samples: 0.5, waste: 0.8 }));
        break;
      case 'packaging':
        await timed(() => driver.complete(task.id, { issued: 1000, used: 950, destroyed: 30, returned: 20 }));
        break;
      case 'cleaning':
        await timed(() =>
          driver.complete(task.id, {
            equipmentState: 'clean',
            cleaningMethod: 'SOP-CL-021',
            roomCleaned: true,
          }),
        );
        break;
      case 'auditTrailReview':
        await timed(() => driver.complete(task.id, { auditTrailReviewed: true, findings: 'none' }, true));
        break;
      case 'qaReview':
        await timed(() => driver.complete(task.id, { exceptionsReviewed: true }, true));
        break;
      default:
        throw new Error(`The bench does not know the step ${task.elementId}`);
    }
  }
}

/** The engine API, as the runtime's routes call it. */
async function engineDriver(engine: Engine, n: number): Promise<Driver> {
  const principal = async (username: string, password: string): Promise<Principal> =>
    engine.identity.authenticate((await engine.identity.login({ username, password })).sessionId);
  const operator = await principal(operatorName(n), operatorPassword(n));
  const checker = await principal(VERIFIER.username, VERIFIER.password);
  const qa = await principal(QA.username, QA.password);
  return {
    start: (title) => engine.records.start(operator, { template: 'batch-record', title, parameterSet: SET }),
    openTask: async (recordId) => (await engine.records.view(qa, recordId)).openTasks[0] ?? null,
    save: async (taskId, data) => void (await engine.tasks.saveValues(operator, taskId, { data })),
    verify: async (taskId) => void (await engine.tasks.verify(operator, taskId, VERIFIER)),
    complete: async (taskId, data, byQa) =>
      void (await engine.tasks.complete(byQa ? qa : operator, taskId, {
        data,
        signature: { password: byQa ? QA.password : operatorPassword(n) },
      })),
    checker: async (taskId) =>
      void (await engine.tasks.complete(checker, taskId, {
        data: { clearanceConfirmed: true },
        signature: { password: VERIFIER.password },
      })),
  };
}

/** The HTTP API, as the web app calls it. */
async function httpDriver(base: string, n: number): Promise<Driver> {
  const call = (token: string, method: string, path: string, body?: unknown) =>
    apiClient(base, token)<{ openTasks: { id: string; elementId: string }[]; id: string }>(
      method,
      path,
      body,
    );
  const login = (username: string, password: string) => apiLogin(base, username, password);
  const operator = await login(operatorName(n), operatorPassword(n));
  const checker = await login(VERIFIER.username, VERIFIER.password);
  const qa = await login(QA.username, QA.password);
  return {
    start: (title) =>
      call(operator, 'POST', '/api/records', { template: 'batch-record', title, parameterSet: SET }),
    openTask: async (recordId) => (await call(qa, 'GET', `/api/records/${recordId}`)).openTasks[0] ?? null,
    save: async (taskId, data) => void (await call(operator, 'PUT', `/api/tasks/${taskId}/values`, { data })),
    verify: async (taskId) =>
      void (await call(operator, 'POST', `/api/tasks/${taskId}/verification`, VERIFIER)),
    complete: async (taskId, data, byQa) =>
      void (await call(byQa ? qa : operator, 'POST', `/api/tasks/${taskId}/complete`, {
        data,
        signature: { password: byQa ? QA.password : operatorPassword(n) },
      })),
    checker: async (taskId) =>
      void (await call(checker, 'POST', `/api/tasks/${taskId}/complete`, {
        data: { clearanceConfirmed: true },
        signature: { password: VERIFIER.password },
      })),
  };
}

/** Runs one batch per operator, all at once; steps per second and the completion latencies. */
async function phase(drivers: Driver[], recipe: Recipe, plant: Plant, first: number) {
  const times = new Latencies();
  const started = performance.now();
  const steps = await Promise.all(drivers.map((d, i) => runBatch(d, recipe, plant, first + i, times)));
  const seconds = (performance.now() - started) / 1000;
  const total = steps.reduce((a, b) => a + b, 0);
  return { steps: total, seconds, rate: total / seconds, times };
}

export async function runEbrBenchmark(): Promise<Record<string, unknown>> {
  const operators = positiveInteger('EBR_BENCH_OPERATORS', 10);
  const lines = positiveInteger('EBR_BENCH_LINES', 40);
  const steps = positiveInteger('EBR_BENCH_STEPS', 60);
  return withBenchDatabase(async (url) => {
    console.log(
      `PostgreSQL ${await serverVersion(url)}; ${operators} operators, ${lines} lines, ${steps} steps`,
    );
    const database = await openDatabase({ url });
    const engine = createEngine({ database });
    let server: Server | null = null;
    try {
      await seedDemoUsers(engine.identity, { demo: true });
      const people = [
        ...Array.from({ length: operators }, (_, i) => ({
          username: operatorName(i + 1),
          password: operatorPassword(i + 1),
          roles: ['operator'],
        })),
        { ...VERIFIER, roles: ['operator'] },
        { ...QA, roles: ['qa'] },
      ];
      for (const p of people) {
        await engine.identity.bootstrapUser({ ...p, printedName: p.username, mustChangePassword: false });
      }
      const login = async (username: string, password: string) =>
        engine.identity.authenticate((await engine.identity.login({ username, password })).sessionId);
      const quinn = await login('quinn', 'Attest-Review-1');
      const petra = await login('petra', 'Attest-Release-1');
      await engine.templates.import(quinn, { files: await benchPackage(lines, steps) });
      await engine.templates.submit(quinn, 'batch-record', '1.0.0');
      await engine.templates.approve(petra, 'batch-record', '1.0.0', { password: 'Attest-Release-1' });
      await engine.templates.makeEffective(quinn, 'batch-record', '1.0.0');
      const manifest = JSON.parse(
        (await benchPackage(lines, steps)).find((f) => f.path === 'manifest.json')!.content.toString(),
      );
      const recipe = manifest.parameterSets[SET].recipe as Recipe;
      const ids = Array.from({ length: operators }, (_, i) => i + 1);
      // The batch numbers below: the two warm-up batches, then the HTTP and the engine phases.
      const plant = await seedPlant(engine, recipe, [
        900,
        901,
        ...ids.map((n) => 100 + n - 1),
        ...ids.map((n) => 200 + n - 1),
      ]);

      const app = createApp({
        engine,
        jwtSecret: randomBytes(32).toString('hex'),
        logger: pino({ level: process.env.EBR_BENCH_LOG ?? 'silent' }),
      });
      server = await new Promise<Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

      console.log('Warm-up: one batch through each API');
      await phase([await engineDriver(engine, 1)], recipe, plant, 900);
      await phase([await httpDriver(base, 1)], recipe, plant, 901);

      console.log(`HTTP: ${operators} batches, one operator each, at once`);
      const http = await phase(await Promise.all(ids.map((n) => httpDriver(base, n))), recipe, plant, 100);
      console.log(`  ${http.steps} steps in ${round(http.seconds, 1)} s: ${round(http.rate, 1)} steps/s`);
      console.log(`Engine API: ${operators} batches, one operator each, at once`);
      const direct = await phase(
        await Promise.all(ids.map((n) => engineDriver(engine, n))),
        recipe,
        plant,
        200,
      );
      console.log(
        `  ${direct.steps} steps in ${round(direct.seconds, 1)} s: ${round(direct.rate, 1)} steps/s`,
      );
      const ratio = http.rate / direct.rate;
      return {
        bench: 'ebr',
        operators,
        batches: operators,
        dispensing_lines: lines,
        process_steps: steps,
        steps_per_batch: http.steps / operators,
        http_steps_per_s: round(http.rate, 2),
        engine_steps_per_s: round(direct.rate, 2),
        http_step_p50_ms: round(http.times.percentile(50), 1),
        http_step_p99_ms: round(http.times.percentile(99), 1),
        engine_step_p50_ms: round(direct.times.percentile(50), 1),
        engine_step_p99_ms: round(direct.times.percentile(99), 1),
        ratio: round(ratio, 3),
        target: TARGET,
        ok: ratio >= TARGET,
      };
    } finally {
      if (server) await new Promise((resolve) => server!.close(resolve));
      await engine.close();
    }
  });
}
