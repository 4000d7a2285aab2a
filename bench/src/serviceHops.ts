import { startJobWorker, type Engine, type Principal } from '@attest/engine';
import { checkCompleted } from './benchDatabase.ts';
import { Latencies } from './latency.ts';

/** Service tasks in a row in the chain model. */
export const CHAIN_LENGTH = 5;
/** The p99 of a hop a service task may take at most. */
export const HOP_TARGET_MS = 50;
/** The worker's poll: far longer than any hop, so that only the wake-up on commit explains one. */
const POLL_MS = 60_000;
/** An instance that has not finished in this long was not woken: the benchmark fails. */
const STALL_MS = 10_000;
const WARM_UP_INSTANCES = 5;
const KEY = 'serviceChain';
const TYPE = 'bench.hop';

/** start → s1 → … → sN → end, each a service task done by the handler `bench.hop`. */
export function chainModel(length: number): string {
  const ids = Array.from({ length }, (_, i) => `s${i + 1}`);
  const nodes = ['start', ...ids, 'end'];
  const tasks = ids.map((id) => `    <serviceTask id="${id}" name="Hop ${id}" attest:type="${TYPE}" />`);
  const flows = nodes
    .slice(1)
    .map((to, i) => `    <sequenceFlow id="f${i + 1}" sourceRef="${nodes[i]}" targetRef="${to}" />`);
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:attest="http://attest.dev/schema/bpmn/1.0"
             id="chain-definitions" targetNamespace="https://attest.example/bench">
  <process id="${KEY}" name="Service tasks in a row" isExecutable="true">
    <startEvent id="start" />
${tasks.join('\n')}
    <endEvent id="end" />
${flows.join('\n')}
  </process>
</definitions>`;
}

export interface ServiceHops {
  instances: number;
  /** From just before `processes.start` (its commit makes the first job) to the first handler call. */
  first: Latencies;
  /** From one handler's call to the next one's: its completion committed, the next job taken. */
  hop: Latencies;
}

/**
 * Service-task hops on the server: the chain model deployed, one job worker as the runtime runs it
 * (woken on commit, polling only once a minute), and instances started one at a time for `seconds`
 * by one driver, each awaited until the worker's round that ran its last task has ended. Every
 * instance must end completed, or the benchmark fails.
 */
export async function serviceHops(
  engine: Engine,
  principal: Principal,
  url: string,
  seconds: number,
): Promise<ServiceHops> {
  await engine.processes.deploy(principal, chainModel(CHAIN_LENGTH));
  let calls: number[] = [];
  let lastCalled = false;
  let roundEnded: () => void = () => {};
  engine.processes.handlers.register(TYPE, () => {
    calls.push(performance.now());
    if (calls.length === CHAIN_LENGTH) lastCalled = true;
  });
  const failures: unknown[] = [];
  const worker = await startJobWorker(engine.jobs, {
    intervalMs: POLL_MS,
    onRound: () => {
      if (lastCalled) roundEnded();
    },
    onError: (error) => failures.push(error),
  });
  const result: ServiceHops = { instances: 0, first: new Latencies(), hop: new Latencies() };
  const instance = async (record: boolean): Promise<void> => {
    calls = [];
    lastCalled = false;
    const ended = new Promise<void>((resolve) => (roundEnded = resolve));
    const started = performance.now();
    await engine.processes.start(principal, KEY, {});
    await stalled(ended);
    if (failures.length > 0) throw failures[0];
    result.instances += 1;
    if (!record) return;
    result.first.record(calls[0]! - started);
    for (let i = 1; i < calls.length; i++) result.hop.record(calls[i]! - calls[i - 1]!);
  };
  try {
    for (let i = 0; i < WARM_UP_INSTANCES; i++) await instance(false);
    const deadline = performance.now() + seconds * 1000;
    while (performance.now() < deadline) await instance(true);
  } finally {
    await worker.stop();
  }
  await checkCompleted(url, KEY, result.instances);
  return result;
}

async function stalled(ended: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stall = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`A chain did not finish in ${STALL_MS / 1000} s: the job worker was not woken`)),
      STALL_MS,
    );
  });
  try {
    await Promise.race([ended, stall]);
  } finally {
    clearTimeout(timer);
  }
}
