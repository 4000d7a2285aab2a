import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import {
  createEngine,
  DEMO_USERS,
  openDatabase,
  seedDemoUsers,
  type Engine,
  type InstanceView,
  type Principal,
} from '@attest/engine';
import { checkCompleted, execute, serverVersion, withBenchDatabase } from './benchDatabase.ts';
import { CHAIN_LENGTH, HOP_TARGET_MS, serviceHops, type ServiceHops } from './serviceHops.ts';
import { peerModel, PeerRunner, sourceContextOf } from './bpmnEnginePeer.ts';
import { positiveInteger, round } from './figures.ts';
import { benchCheckpoints, whileCheckpointing } from './checkpointing.ts';
import { Latencies } from './latency.ts';
import { pgbench } from './pgbench.ts';
import { initTpcb, tpcbScript } from './tpcb.ts';

/**
 * The process engine benchmark. The reference model (start, Review, exclusive gateway, Approve,
 * end) runs on three systems in one run: bpmn-engine in memory, Attest persisted with its full
 * audit trail, and pgbench's TPC-B on the same PostgreSQL server, for the server's ceiling. Attest
 * then runs a chain of service tasks, for the latency of one hop from a task to the next.
 */

const MODEL_URL = new URL('../../../shared/bench/reference.bpmn', import.meta.url);
/** Attest's completed instances per second at 32 drivers over bpmn-engine's best rate. */
const TARGET_RATIO = 5;
/** Attest's transactions per second (3 per instance) over pgbench TPC-B's, at 32 clients each. */
const TPCB_TARGET = 0.5;
const TRANSACTIONS_PER_INSTANCE = 3;
/** Far more often than the runtime's default five minutes, so that their cost shows. */
const CHECKPOINT_INTERVAL_MS = 5000;
const DRIVERS = 32;
/** Instances bpmn-engine runs at a time; the best of these counts. */
const PEER_IN_FLIGHT = [1, 8, 32, 128];
const PEER_WARM_UP_SECONDS = 1;
const TPCB_SCALE = 10;
/** Variables that make the gateway take its default flow, to Approve. */
const APPROVED = { reject: false };

export async function runEngineBenchmark(): Promise<Record<string, unknown>> {
  const seconds = positiveInteger('BENCH_SECONDS', 10);
  const xml = await readModel();

  return withBenchDatabase(async (url) => {
    console.log(
      `${availableParallelism()} CPUs, load average ${loadavg()[0]!.toFixed(2)}, ` +
        `PostgreSQL ${await serverVersion(url)}; database ${new URL(url).pathname.slice(1)}`,
    );

    const peer = await peerRate(xml, seconds);

    const attest = await attestRates(url, xml, seconds);

    console.log(`pgbench TPC-B, scale ${TPCB_SCALE}`);
    const initStarted = performance.now();
    await initTpcb(url, TPCB_SCALE);
    console.log(`  initialised in ${((performance.now() - initStarted) / 1000).toFixed(1)} s`);
    await checkpoint(url);
    const tpcb = await pgbench({
      url,
      script: tpcbScript(TPCB_SCALE),
      clients: DRIVERS,
      threads: 2,
      seconds,
    });
    console.log(`  ${DRIVERS} clients: ${tpcb.toFixed(0)} tps`);

    const ratio = round(attest.at32.rate / peer.rate, 2);
    // Both kinds of hop count: the one a commit elsewhere wakes the worker for, and the next in a row.
    const hopP99 = Math.max(attest.hops.first.percentile(99), attest.hops.hop.percentile(99));
    const tpcbRatio = round((attest.at32.rate * TRANSACTIONS_PER_INSTANCE) / tpcb, 3);
    console.log(`Attest at ${DRIVERS} / bpmn-engine: ${ratio} (target ${TARGET_RATIO})`);
    console.log(
      `Attest transactions at ${DRIVERS} (${TRANSACTIONS_PER_INSTANCE} per instance) / pgbench TPC-B: ` +
        `${tpcbRatio} (target ${TPCB_TARGET})`,
    );

    return {
      bench: 'engine',
      bpmn_engine_instances_per_s: round(peer.rate, 1),
      bpmn_engine_in_flight: peer.inFlight,
      attest_instances_per_s_1: round(attest.at1.rate, 1),
      attest_instances_per_s_32: round(attest.at32.rate, 1),
      attest_task_p50_ms_1: round(attest.at1.p50, 2),
      attest_task_p99_ms_1: round(attest.at1.p99, 2),
      attest_task_p50_ms_32: round(attest.at32.p50, 2),
      attest_task_p99_ms_32: round(attest.at32.p99, 2),
      attest_service_first_hop_p50_ms: round(attest.hops.first.percentile(50), 2),
      attest_service_first_hop_p99_ms: round(attest.hops.first.percentile(99), 2),
      attest_service_hop_p50_ms: round(attest.hops.hop.percentile(50), 2),
      attest_service_hop_p99_ms: round(attest.hops.hop.percentile(99), 2),
      attest_service_chains: attest.hops.instances,
      pgbench_tpcb_tps_32: round(tpcb, 1),
      attest_checkpoints: attest.checkpoints,
      ratio,
      target: TARGET_RATIO,
      tpcb_ratio: tpcbRatio,
      tpcb_target: TPCB_TARGET,
      service_hop_target_ms: HOP_TARGET_MS,
      ok: ratio >= TARGET_RATIO && tpcbRatio >= TPCB_TARGET && hopP99 < HOP_TARGET_MS,
    };
  });
}

async function readModel(): Promise<string> {
  try {
    return await readFile(MODEL_URL, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // A missing file is a setup problem, not a bug: one line, no stack trace.
    const message = `The reference model ${MODEL_URL.pathname} is missing`;
    throw Object.assign(new Error(message), { stack: message });
  }
}

/**
 * bpmn-engine's best rate: the model parsed once, then run with 1, 8, 32 and 128 instances in
 * flight, each level for `seconds`. Every instance must end at `end`; one run with `reject` true
 * first shows that the condition is evaluated, not skipped.
 */
async function peerRate(xml: string, seconds: number): Promise<{ rate: number; inFlight: number }> {
  const version = await bpmnEngineVersion();
  console.log(`bpmn-engine ${version}, in memory, definitions parsed once, tasks signalled at once`);
  const sourceContext = await sourceContextOf(peerModel(xml));

  const check = new PeerRunner(sourceContext, new Set(['end', 'rejected']));
  await check.run({ reject: true });
  await check.run(APPROVED);
  if (check.ends.get('rejected') !== 1 || check.ends.get('end') !== 1) {
    throw new Error(`bpmn-engine took the wrong flows: ${JSON.stringify([...check.ends])}`);
  }

  const runner = new PeerRunner(sourceContext, new Set(['end', 'rejected']));
  await runner.rate(APPROVED, 8, PEER_WARM_UP_SECONDS);
  let best = { rate: 0, inFlight: 0 };
  for (const inFlight of PEER_IN_FLIGHT) {
    const rate = await runner.rate(APPROVED, inFlight, seconds);
    console.log(`  ${String(inFlight).padStart(3)} in flight: ${rate.toFixed(1)} instances/s`);
    if (rate > best.rate) best = { rate, inFlight };
  }
  const ended = runner.ends.get('end') ?? 0;
  if (ended !== runner.runs || runner.ends.has('rejected')) {
    throw new Error(
      `bpmn-engine ran ${runner.runs} instances but ${ended} ended at "end": ${JSON.stringify([...runner.ends])}`,
    );
  }
  console.log(`  best: ${best.rate.toFixed(1)} instances/s with ${best.inFlight} in flight`);
  return best;
}

async function bpmnEngineVersion(): Promise<string> {
  const manifest = new URL('../package.json', import.meta.resolve('bpmn-engine'));
  return String(JSON.parse(await readFile(manifest, 'utf8')).version);
}

interface AttestRate {
  rate: number;
  /** Percentiles of one task completion, in milliseconds. */
  p50: number;
  p99: number;
}

/**
 * Attest on the server: the model deployed once by the QA demo user, then instances driven through
 * the engine's API by 1 and by 32 concurrent drivers. Afterwards the database must hold exactly as
 * many completed instances as were driven, and verify clean.
 */
async function attestRates(
  url: string,
  xml: string,
  seconds: number,
): Promise<{ at1: AttestRate; at32: AttestRate; checkpoints: number; hops: ServiceHops }> {
  const db = await openDatabase({ url, poolSize: DRIVERS });
  const sink = benchCheckpoints();
  try {
    const engine = createEngine({
      database: db,
      checkpoints: sink.options,
      // Cheap hashing: it only matters for seeding the demo users and logging in. The reference
      // process is deployed as it is, outside the template lifecycle: development mode.
      settings: { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 }, development: true },
    });
    await seedDemoUsers(engine.identity, { demo: true });
    const quinn = DEMO_USERS.find((u) => u.username === 'quinn')!;
    const { sessionId } = await engine.identity.login({ username: quinn.username, password: quinn.password });
    const principal = await engine.identity.authenticate(sessionId);

    const { definitions } = await engine.processes.deploy(principal, xml);
    const definition = definitions.find((d) => d.key === 'reference');
    if (!definition) throw new Error(`Deploying the model gave no process "reference"`);
    console.log(
      `Attest on PostgreSQL, full audit trail; ${definition.key} v${definition.version} deployed ` +
        `by ${principal.username}, ${seconds} s per run`,
    );

    const driver = new Driver(engine, principal, definition.key);
    // Signed checkpoints of the audit trail are taken while the instances run, as in the runtime.
    const takeCheckpoint = () => engine.checkpoints!.take();
    await checkpoint(url);
    const one = await whileCheckpointing(takeCheckpoint, CHECKPOINT_INTERVAL_MS, () =>
      driver.rate(1, seconds),
    );
    const at1 = one.result;
    print(1, at1);
    await checkpoint(url);
    const many = await whileCheckpointing(takeCheckpoint, CHECKPOINT_INTERVAL_MS, () =>
      driver.rate(DRIVERS, seconds),
    );
    const at32 = many.result;
    print(DRIVERS, at32);
    const checkpoints = one.checkpoints + many.checkpoints;
    console.log(`  ${checkpoints} signed checkpoints taken, one every ${CHECKPOINT_INTERVAL_MS / 1000} s`);

    await checkCompleted(url, definition.key, driver.completed);

    console.log('Verifying the whole database');
    const started = performance.now();
    const report = await engine.verify();
    const verifySeconds = (performance.now() - started) / 1000;
    if (!report.ok) {
      const problems = [...report.breaks, ...report.mismatches].slice(0, 5);
      throw new Error(`Verification found problems: ${JSON.stringify(problems)}`);
    }
    console.log(`  ok: ${report.events} events of ${report.records} chains in ${verifySeconds.toFixed(2)} s`);

    console.log(
      `Service tasks: ${CHAIN_LENGTH} in a row, one job worker woken on commit (polling once a minute), ` +
        `1 driver, ${seconds} s`,
    );
    const hops = await serviceHops(engine, principal, url, seconds);
    console.log(
      `  ${hops.instances} chains; start to first handler p50 ${hops.first.percentile(50).toFixed(2)} ms, ` +
        `p99 ${hops.first.percentile(99).toFixed(2)} ms; handler to next handler ` +
        `p50 ${hops.hop.percentile(50).toFixed(2)} ms, p99 ${hops.hop.percentile(99).toFixed(2)} ms ` +
        `(target p99 < ${HOP_TARGET_MS} ms)`,
    );
    return { at1, at32, checkpoints, hops };
  } finally {
    await db.close();
    sink.remove();
  }
}

function print(drivers: number, figures: AttestRate): void {
  const label = drivers === 1 ? '1 driver: ' : `${drivers} drivers:`;
  console.log(
    `  ${label} ${figures.rate.toFixed(1)} instances/s; task completion ` +
      `p50 ${figures.p50.toFixed(2)} ms, p99 ${figures.p99.toFixed(2)} ms`,
  );
}

/** Drives instances of one process through the engine's API, as a user at a screen would. */
class Driver {
  /** Instances driven to completion, warm-up included. */
  completed = 0;

  constructor(
    private readonly engine: Engine,
    private readonly principal: Principal,
    private readonly key: string,
  ) {}

  /** Start, complete Review (not rejected), complete Approve; each completion timed into `latencies`. */
  async instance(latencies: Latencies | null): Promise<void> {
    const { engine, principal } = this;
    const started = await engine.processes.start(principal, this.key, {});
    const review = openTask(started, 'review');
    const complete = (taskId: string, variables: Record<string, unknown>) => {
      const call = () => engine.tasks.complete(principal, taskId, { variables });
      return latencies ? latencies.time(call) : call();
    };
    const reviewed = await complete(review, APPROVED);
    const approved = await complete(openTask(reviewed, 'approve'), {});
    if (approved.status !== 'completed') {
      throw new Error(`Instance ${approved.id} is ${approved.status} after Approve, not completed`);
    }
    this.completed += 1;
  }

  /**
   * Instances completed per second by `drivers` concurrent drivers, each looping instances, and the
   * latency of a task completion.
   */
  async rate(drivers: number, seconds: number): Promise<AttestRate> {
    // One instance per driver first, so that every connection is open before the clock starts.
    await Promise.all(Array.from({ length: drivers }, () => this.instance(null)));
    const latencies = new Latencies();
    let completed = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: drivers }, async () => {
        while (performance.now() < deadline) {
          await this.instance(latencies);
          completed += 1;
        }
      }),
    );
    const rate = completed / ((performance.now() - started) / 1000);
    return { rate, p50: latencies.percentile(50), p99: latencies.percentile(99) };
  }
}

function openTask(view: InstanceView, elementId: string): string {
  const task = view.openTasks.find((t) => t.elementId === elementId);
  if (!task) {
    const open = view.openTasks.map((t) => t.elementId).join(', ') || 'none';
    throw new Error(`Instance ${view.id} (${view.status}) has no open task ${elementId}; open: ${open}`);
  }
  return task.id;
}

/** Writes dirty pages out before a timed run, so that no run pays for the one before it. */
async function checkpoint(url: string): Promise<void> {
  try {
    await execute(url, 'CHECKPOINT');
  } catch (error) {
    console.log(`  (no CHECKPOINT before the run: ${(error as Error).message})`);
  }
}
