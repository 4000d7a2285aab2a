import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  createEngine,
  hashPassword,
  openDatabase,
  resolveSettings,
  seedDemoUsers,
  verifyPassword,
} from '@attest/engine';
import { seedDemoTemplates } from '@attest/runtime';
import { serverVersion, withBenchDatabase } from './benchDatabase.ts';
import { positiveInteger, round } from './figures.ts';
import { Latencies } from './latency.ts';
import { startProcess } from './processes.ts';

/**
 * The HTTP benchmark: one Attest runtime on PostgreSQL under simulated operators, each working
 * its own deviations through the API as the web app does (start a record, list tasks, open the
 * step, save values, complete the signed step), then the same reads against a bare Express route
 * doing them as plain SQL on the same database, at the same concurrency.
 */

const ATTEST_BIN = fileURLToPath(new URL('../../runtime/bin/attest.js', import.meta.url));
/** Builds runtime/dist/attest.js, which ATTEST_BIN runs, as `npm run build` does. */
const BUILD_SERVER = fileURLToPath(new URL('../../runtime/scripts/buildServer.js', import.meta.url));
const BARE_ROUTE = fileURLToPath(new URL('./bareReads.ts', import.meta.url));
const TEMPLATES = new URL('../../templates/', import.meta.url);
/** Attest's read throughput over the bare route's. */
const TARGET = 0.5;
const ARGON2_SAMPLES = 20;
/** Turns each server takes at the reads. */
const READ_SLICES = 4;
const OPERATIONS = [
  'start record',
  'list tasks',
  'open step',
  'save values',
  'complete signed step',
] as const;
type OperationName = (typeof OPERATIONS)[number];

const operatorName = (n: number) => `bench${String(n).padStart(3, '0')}`;
const operatorPassword = (n: number) => `Kestrel-Bench-${n}-Quartz`;

/** The deviation report an operator fills in, as the web app sends it. */
const report = (operator: string, i: number) => ({
  title: `Torn liner on drum ${i} (${operator})`,
  description: 'The inner liner of a lactose drum was torn at receipt in dispensing.',
  area: 'dispensing',
  occurredAt: '2026-11-24T08:30:00.000Z',
  detection: 'Visual check before weighing',
  affectedBatches: [{ batch: 'B-2026-014' }],
  equipment: 'BAL-007',
  productMaterial: 'Lactose monohydrate, lot L-778',
  immediateActions: 'Drum quarantined; weighing stopped; QA informed.',
  proposedClassification: 'minor',
});

/** Errors by operation: the first few are printed in full. */
class Errors {
  readonly count = new Map<string, number>();
  readonly first: string[] = [];
  add(what: string, detail: string): void {
    this.count.set(what, (this.count.get(what) ?? 0) + 1);
    if (this.first.length < 5) this.first.push(`${what}: ${detail}`);
  }
  get total(): number {
    return [...this.count.values()].reduce((a, b) => a + b, 0);
  }
}

class Failed extends Error {}

/** A JSON client of one server for one person. */
function client(base: string, errors: Errors) {
  return async function call<T = Record<string, unknown>>(
    what: string,
    method: string,
    path: string,
    options: { token?: string; body?: unknown } = {},
  ): Promise<T> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(options.token && { authorization: `Bearer ${options.token}` }),
        ...(options.body !== undefined && { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    if (!response.ok) {
      const detail = `${method} ${path} → ${response.status} ${text.slice(0, 300)}`;
      errors.add(what, detail);
      throw new Failed(`${what}: ${detail}`);
    }
    return (text ? JSON.parse(text) : {}) as T;
  };
}

/** Runs `workers` loops until `seconds` have passed; each loop's errors are counted, not thrown. */
async function forDuration(
  seconds: number,
  workers: number,
  loop: (worker: number, iteration: number) => Promise<void>,
): Promise<number> {
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = 0; performance.now() < until; i++) {
        try {
          await loop(worker, i);
        } catch (error) {
          if (!(error instanceof Failed)) throw error;
        }
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

interface Operator {
  n: number;
  username: string;
  token: string;
  password: string;
}

/** The demo users, the shipped templates (the deviation made effective), and the operators. */
async function seed(url: string, operators: number): Promise<void> {
  const database = await openDatabase({ url });
  const engine = createEngine({ database });
  try {
    await seedDemoUsers(engine.identity, { demo: true });
    await seedDemoTemplates(engine, TEMPLATES, { log: () => undefined });
    for (let batch = 0; batch < operators; batch += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, operators - batch) }, (_, i) => {
          const n = batch + i + 1;
          return engine.identity.bootstrapUser({
            username: operatorName(n),
            printedName: `Bench Operator ${n}`,
            roles: ['operator'],
            password: operatorPassword(n),
            mustChangePassword: false,
          });
        }),
      );
    }
  } finally {
    await engine.close();
  }
}

/** argon2id verification with the engine's default cost, as every electronic signature does it. */
async function argon2VerifyMs(): Promise<Latencies> {
  const settings = resolveSettings();
  const password = operatorPassword(1);
  const hash = await hashPassword(password, settings);
  const times = new Latencies();
  for (let i = 0; i < ARGON2_SAMPLES; i++) {
    const ok = await times.time(() => verifyPassword(hash, password));
    if (!ok) throw new Error('argon2 did not verify its own hash');
  }
  return times;
}

/** p50/p95/p99 in milliseconds, rounded. */
const percentiles = (l: Latencies) => ({
  p50: round(l.percentile(50), 1),
  p95: round(l.percentile(95), 1),
  p99: round(l.percentile(99), 1),
});

/** One operator's round: a new deviation reported and signed, as the web app does it. */
async function operatorRound(
  call: ReturnType<typeof client>,
  op: Operator,
  i: number,
  latencies: Map<OperationName, Latencies>,
): Promise<void> {
  const time = <T>(what: OperationName, run: () => Promise<T>) => latencies.get(what)!.time(run);
  const data = report(op.username, i);
  const record = await time('start record', () =>
    call<{ openTasks: { id: string; elementId: string }[] }>('start record', 'POST', '/api/records', {
      token: op.token,
      body: { template: 'deviation', title: data.title },
    }),
  );
  const taskId = record.openTasks.find((t) => t.elementId === 'report')?.id;
  if (!taskId) throw new Error('a new deviation has no report step open');
  await time('list tasks', () => call('list tasks', 'GET', '/api/tasks', { token: op.token }));
  await time('open step', async () => {
    await call('open step', 'GET', `/api/tasks/${taskId}`, { token: op.token });
    await call('open step', 'GET', `/api/tasks/${taskId}/form`, { token: op.token });
  });
  await time('save values', () =>
    call('save values', 'PUT', `/api/tasks/${taskId}/values`, { token: op.token, body: { data } }),
  );
  await time('complete signed step', () =>
    call('complete signed step', 'POST', `/api/tasks/${taskId}/complete`, {
      token: op.token,
      body: { data, signature: { password: op.password } },
    }),
  );
}

/**
 * The reads of a step by one server (3 requests a loop), measured over several slices of time so
 * that the two servers can take turns: load from elsewhere on the machine then falls on both alike.
 */
class ReadRun {
  readonly latency = new Latencies();
  private loops = 0;
  private seconds = 0;
  constructor(private readonly read: (worker: number) => Promise<void>) {}

  async run(seconds: number, workers: number): Promise<void> {
    this.seconds += await forDuration(seconds, workers, async (worker) => {
      await this.latency.time(() => this.read(worker));
      this.loops += 1;
    });
  }

  /** Requests per second over every slice. */
  get perSecond(): number {
    return (this.loops * 3) / this.seconds;
  }
}

/**
 * `npm run bench -w bench -- http`: operators' latencies per operation on a mixed workload, with
 * errors (which must be none), and Attest's read throughput against a bare route's.
 */
export async function runHttpBenchmark(): Promise<Record<string, unknown>> {
  const seconds = positiveInteger('HTTP_BENCH_SECONDS', 30);
  const readSeconds = positiveInteger('HTTP_BENCH_READ_SECONDS', 10);
  const operators = positiveInteger('HTTP_BENCH_OPERATORS', 50);

  return withBenchDatabase(async (url) => {
    console.log(
      `${availableParallelism()} CPUs, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}, PostgreSQL ${await serverVersion(url)}; database ${new URL(url).pathname.slice(1)}`,
    );
    const seedStarted = performance.now();
    await seed(url, operators);
    console.log(
      `Seeded the demo users, the shipped templates and ${operators} operators in ` +
        `${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
    );

    const argon2 = await argon2VerifyMs();
    console.log(
      `argon2id verify (engine defaults, one per signature and login): ` +
        `median ${argon2.percentile(50).toFixed(1)} ms over ${ARGON2_SAMPLES}`,
    );

    await promisify(execFile)(process.execPath, [BUILD_SERVER]);
    const attest = await startProcess(
      [
        ...(process.env.HTTP_BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []),
        ATTEST_BIN,
        'start',
        '--port',
        '0',
      ],
      {
        DATABASE_URL: url,
        HOST: '127.0.0.1',
        ATTEST_JWT_SECRET: randomBytes(32).toString('hex'),
        LOG_LEVEL: process.env.HTTP_BENCH_LOG_LEVEL || 'info',
      },
      /Attest is running at (http:\/\/\S+)/,
    );
    try {
      const base = attest.match[1]!;
      const errors = new Errors();
      const call = client(base, errors);
      console.log(`Attest runtime (its own process) at ${base}; logs at LOG_LEVEL info, discarded`);

      // Ten at a time: the login rate limit counts attempts in flight from one address.
      const team: Operator[] = [];
      for (let batch = 0; batch < operators; batch += 10) {
        const logins = Array.from({ length: Math.min(10, operators - batch) }, async (_, i) => {
          const n = batch + i + 1;
          const { token } = await call<{ token: string }>('login', 'POST', '/api/auth/login', {
            body: { username: operatorName(n), password: operatorPassword(n) },
          });
          return { n, username: operatorName(n), token, password: operatorPassword(n) };
        });
        team.push(...(await Promise.all(logins)));
      }

      // One round each before the clock starts: every connection open, every form compiled.
      const warm = new Map(OPERATIONS.map((o) => [o, new Latencies()]));
      await Promise.all(team.map((op) => operatorRound(call, op, 0, warm)));
      if (errors.total > 0) throw new Error(`The warm-up failed:\n${errors.first.join('\n')}`);

      console.log(`Mixed workload: ${operators} operators for ${seconds} s, each on its own deviations`);
      const latencies = new Map(OPERATIONS.map((o) => [o, new Latencies()]));
      const elapsed = await forDuration(seconds, operators, (worker, i) =>
        operatorRound(call, team[worker]!, i + 1, latencies),
      );
      const rounds = latencies.get('complete signed step')!.count;
      console.log(`  ${rounds} deviations reported and signed in ${elapsed.toFixed(1)} s`);
      for (const what of OPERATIONS) {
        const l = latencies.get(what)!;
        const p = percentiles(l);
        console.log(
          `  ${what.padEnd(22)} ${String(l.count).padStart(6)} × p50 ${p.p50} ms, p95 ${p.p95} ms, p99 ${p.p99} ms` +
            (errors.count.get(what) ? `, ${errors.count.get(what)} errors` : ''),
        );
      }
      console.log(
        `  of which argon2id, per signed completion: ${argon2.percentile(50).toFixed(1)} ms ` +
          `(${((argon2.percentile(50) / latencies.get('complete signed step')!.percentile(50)) * 100).toFixed(0)} % of its p50)`,
      );
      const mixedErrors = errors.total;
      for (const line of errors.first) console.log(`  error: ${line}`);

      // Reads: every operator has one report open and reads it, as the step view does.
      const open = await Promise.all(
        team.map(async (op) => {
          const record = await call<{ openTasks: { id: string; elementId: string }[] }>(
            'start record',
            'POST',
            '/api/records',
            { token: op.token, body: { template: 'deviation', title: `Read by ${op.username}` } },
          );
          return record.openTasks.find((t) => t.elementId === 'report')!.id;
        }),
      );
      const readsOf = (base: string, paths: (task: string, op: Operator) => string[], auth: boolean) => {
        const get = client(base, errors);
        return async (worker: number) => {
          const op = team[worker]!;
          for (const path of paths(open[worker]!, op))
            await get('read', 'GET', path, auth ? { token: op.token } : {});
        };
      };
      const bare = await startProcess(['--import', 'tsx', BARE_ROUTE, url], {}, /listening (\d+)/);
      const bareBase = `http://127.0.0.1:${bare.match[1]}`;
      console.log(
        `Reads (list tasks, open the step: 3 requests) by ${operators} clients, ${readSeconds} s on each ` +
          `server, in ${READ_SLICES} alternating slices`,
      );
      const attestReads = new ReadRun(
        readsOf(base, (task) => ['/api/tasks', `/api/tasks/${task}`, `/api/tasks/${task}/form`], true),
      );
      const bareReads = new ReadRun(
        readsOf(
          bareBase,
          (task, op) => [
            `/tasks?roles=operator&username=${op.username}`,
            `/tasks/${task}`,
            `/tasks/${task}/form`,
          ],
          false,
        ),
      );
      try {
        for (let slice = 0; slice < READ_SLICES; slice++) {
          await attestReads.run(readSeconds / READ_SLICES, operators);
          await bareReads.run(readSeconds / READ_SLICES, operators);
        }
      } finally {
        await bare.stop();
      }
      for (const [name, run] of [
        ['Attest:    ', attestReads],
        ['bare route:', bareReads],
      ] as const) {
        console.log(
          `  ${name} ${run.perSecond.toFixed(0)} requests/s, p50 ${run.latency.percentile(50).toFixed(1)} ms per 3`,
        );
      }
      const readErrors = errors.total - mixedErrors;
      if (readErrors > 0)
        console.log(`  ${readErrors} reads failed; the first errors: ${errors.first.join('; ')}`);

      const database = await openDatabase({ url, migrate: false });
      const engine = createEngine({ database });
      let verified: Awaited<ReturnType<typeof engine.verify>>;
      try {
        verified = await engine.verify();
      } finally {
        await engine.close();
      }
      console.log(
        `verify: ${verified.events} events in ${verified.records} chains, ${verified.ok ? 'intact' : 'BROKEN'} ` +
          `(${verified.seconds.toFixed(2)} s)`,
      );

      const ratio = round(attestReads.perSecond / bareReads.perSecond, 3);
      const figures: Record<string, unknown> = {
        bench: 'http',
        operators,
        seconds,
        rounds_per_s: round(rounds / elapsed, 1),
      };
      for (const what of OPERATIONS) {
        const key = what.replaceAll(' ', '_');
        const p = percentiles(latencies.get(what)!);
        figures[`${key}_p50_ms`] = p.p50;
        figures[`${key}_p95_ms`] = p.p95;
        figures[`${key}_p99_ms`] = p.p99;
      }
      return {
        ...figures,
        argon2_verify_ms: round(argon2.percentile(50), 1),
        errors: mixedErrors,
        read_errors: readErrors,
        attest_reads_per_s: round(attestReads.perSecond, 1),
        bare_reads_per_s: round(bareReads.perSecond, 1),
        verify_ok: verified.ok,
        ratio,
        target: TARGET,
        ok: ratio >= TARGET && mixedErrors === 0 && readErrors === 0 && verified.ok,
      };
    } finally {
      await attest.stop();
    }
  });
}
