import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { createEngine, DEMO_USERS, openDatabase, seedDemoUsers, type Engine } from '@attest/engine';
import { seedDemoTemplates, startServer, WEB_DIST } from '@attest/runtime';
import { withBenchDatabase } from './benchDatabase.ts';
import { positiveInteger, round } from './figures.ts';
import { Latencies } from './latency.ts';

/**
 * The web app benchmark: what the operator's browser downloads and how soon a step's form is on
 * screen. The production build of the web app, served by Attest itself on this machine, in Debian's
 * headless Chromium with an empty cache for every cold run.
 */

const CHROMIUM = '/usr/bin/chromium';
const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const TEMPLATES = new URL('../../templates/', import.meta.url);
/** kB of JavaScript, gzipped, on the wire, the operator page may take on first load. */
const FIRST_LOAD_TARGET_KB = 600;
/** Milliseconds from the click on a task to its form on screen, with formio.js not yet loaded. */
const RENDER_TARGET_MS = 1000;
const USER = 'olivia';

/** One response as the browser received it. */
interface Transfer {
  url: string;
  /** CDP's resource type: Script, Stylesheet, Document, Fetch… */
  type: string;
  /** Bytes on the wire, response headers included (CDP loadingFinished encodedDataLength). */
  transferred: number;
  /** Bytes after content decoding. */
  decoded: number;
}

/** Every response of a page, from CDP's Network domain; `take()` hands over those finished since the last. */
class Traffic {
  private readonly types = new Map<string, { url: string; type: string; decoded: number }>();
  private readonly pending = new Set<string>();
  private finished: Transfer[] = [];
  private readonly failed: string[] = [];
  private readonly streams = new Set<string>();

  constructor(cdp: CDPSession) {
    cdp.on('Network.requestWillBeSent', (e) => this.pending.add(e.requestId));
    cdp.on('Network.responseReceived', (e) => {
      // A live event stream never finishes: neither waited for nor counted.
      if (e.response.mimeType === 'text/event-stream') {
        this.pending.delete(e.requestId);
        this.streams.add(e.requestId);
        return;
      }
      this.types.set(e.requestId, { url: e.response.url, type: e.type, decoded: 0 });
    });
    cdp.on('Network.dataReceived', (e) => {
      const known = this.types.get(e.requestId);
      if (known) known.decoded += e.dataLength;
    });
    cdp.on('Network.loadingFinished', (e) => {
      this.pending.delete(e.requestId);
      const known = this.types.get(e.requestId);
      if (known) this.finished.push({ ...known, transferred: e.encodedDataLength });
    });
    cdp.on('Network.loadingFailed', (e) => {
      this.pending.delete(e.requestId);
      // The page ends its event streams when it leaves the list.
      if (this.streams.has(e.requestId)) return;
      this.failed.push(`${this.types.get(e.requestId)?.url ?? e.requestId}: ${e.errorText}`);
    });
  }

  /** Waits until nothing is in flight, so that every byte of what was just shown is counted. */
  async settled(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.pending.size > 0) {
      if (Date.now() > until) throw new Error(`${this.pending.size} requests still in flight`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  take(): Transfer[] {
    if (this.failed.length > 0) throw new Error(`Requests failed: ${this.failed.join('; ')}`);
    const taken = this.finished;
    this.finished = [];
    return taken;
  }
}

const kB = (bytes: number) => round(bytes / 1000, 1);
const sum = (transfers: Transfer[], field: 'transferred' | 'decoded') =>
  transfers.reduce((total, t) => total + t[field], 0);
const scripts = (transfers: Transfer[]) => transfers.filter((t) => t.type === 'Script');

function printTransfers(label: string, transfers: Transfer[]): void {
  console.log(`  ${label}: ${kB(sum(transfers, 'transferred'))} kB transferred`);
  for (const t of transfers) {
    const name = new URL(t.url).pathname;
    console.log(
      `    ${t.type.padEnd(10)} ${name.padEnd(40)} ${kB(t.transferred)} kB (${kB(t.decoded)} kB decoded)`,
    );
  }
}

interface ProbeWindow {
  webBench?: { clickedAt: number | null; readyAt: number | null };
}

/**
 * Runs in the page before the click on a task: notes when the click arrives and then, frame by
 * frame, when the step's form is drawn and can be typed into. That is when formio.js has rendered
 * and attached the fields: the step view's loading line and formio's loader are gone and the form's
 * first field is laid out and enabled. Source text rather than a function: tsx would wrap the
 * function's inner functions in a helper the page does not have.
 */
const PROBE = `(() => {
  const probe = { clickedAt: null, readyAt: null };
  globalThis.webBench = probe;
  const ready = () => {
    const host = document.querySelector('#step-form');
    if (!host || host.querySelector('.loading, .formio-loader')) return false;
    const field = host.querySelector(
      '.formio-form input:not([type=hidden]), .formio-form textarea, .formio-form select',
    );
    return field !== null && field.getClientRects().length > 0 && !field.disabled;
  };
  const check = () => {
    if (ready()) probe.readyAt = performance.now();
    else requestAnimationFrame(check);
  };
  document.addEventListener(
    'click',
    () => {
      probe.clickedAt = performance.now();
      requestAnimationFrame(check);
    },
    { capture: true, once: true },
  );
})()`;

/** Clicks the task in My tasks and returns the milliseconds until its form is on screen. */
async function openTask(page: Page, taskId: string): Promise<number> {
  await page.waitForSelector(`li.task[data-task="${taskId}"] a.task-main`);
  await page.evaluate(PROBE);
  await page.click(`li.task[data-task="${taskId}"] a.task-main`);
  await page.waitForFunction(() => (globalThis as unknown as ProbeWindow).webBench?.readyAt != null, null, {
    timeout: 30_000,
  });
  const probe = await page.evaluate(() => (globalThis as unknown as ProbeWindow).webBench!);
  // The right form: the deviation report of this task.
  await page.waitForSelector('#step-form [name="data[title]"]', { timeout: 1000 });
  if (!page.url().endsWith(`#/task/${taskId}`))
    throw new Error(`Landed on ${page.url()}, not task ${taskId}`);
  return probe.readyAt! - probe.clickedAt!;
}

async function backToTasks(page: Page): Promise<void> {
  await page.click('p.crumbs a[href="#/tasks"]');
  await page.waitForSelector('li.task');
}

/** Fails the run on anything the page should never do. */
function watch(page: Page, problems: string[]): void {
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
}

interface ColdRun {
  firstLoad: Transfer[];
  stepLazy: Transfer[];
  firstLoadMs: number;
  renderMs: number;
}

/**
 * A fresh context (empty cache): the sign-in page, olivia signs in and lands on My tasks (the first
 * load), then she opens her task (the step page, which loads formio.js). With `warm`, she then goes
 * back and forth between My tasks and her other tasks, each time timing the form.
 */
async function coldRun(
  browser: Browser,
  url: string,
  password: string,
  first: string,
  warm: string[] = [],
  warmTimes?: Latencies,
): Promise<ColdRun> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    watch(page, problems);
    const cdp = await context.newCDPSession(page);
    const traffic = new Traffic(cdp);
    await cdp.send('Network.enable');

    const started = performance.now();
    await page.goto(url);
    await page.fill('#username', USER);
    await page.fill('#password', password);
    await page.click('button[type=submit]');
    await page.waitForSelector('li.task');
    const firstLoadMs = performance.now() - started;
    await traffic.settled();
    const firstLoad = traffic.take();

    const renderMs = await openTask(page, first);
    await traffic.settled();
    const stepLazy = traffic.take();

    for (const taskId of warm) {
      await backToTasks(page);
      warmTimes!.record(await openTask(page, taskId));
    }
    await traffic.settled();
    const later = scripts(traffic.take());
    if (later.length > 0)
      throw new Error(`Warm runs loaded scripts again: ${later.map((t) => t.url).join(', ')}`);
    if (problems.length > 0) throw new Error(`The page went wrong:\n${problems.join('\n')}`);
    return { firstLoad, stepLazy, firstLoadMs, renderMs };
  } finally {
    await context.close();
  }
}

/** `npm run build -w @attest/runtime`: the production build the runtime serves. */
async function buildWebApp(): Promise<void> {
  const started = performance.now();
  await promisify(execFile)('npm', ['run', 'build', '-w', '@attest/runtime'], { cwd: REPOSITORY });
  const assets = join(WEB_DIST, 'assets');
  const names = (await readdir(assets)).sort();
  console.log(`Web app built in ${((performance.now() - started) / 1000).toFixed(1)} s:`);
  for (const name of names) {
    const bytes = await readFile(join(assets, name));
    console.log(
      `  ${name.padEnd(40)} ${kB(bytes.length)} kB, ${kB(gzipSync(bytes, { level: 9 }).length)} kB gzipped`,
    );
  }
}

/** The demo users and the shipped templates, then one deviation per task olivia will open. */
async function seed(engine: Engine, url: string, password: string, count: number): Promise<string[]> {
  await seedDemoUsers(engine.identity, { demo: true });
  await seedDemoTemplates(engine, TEMPLATES, { log: () => undefined });
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  };
  const { token } = (await call('POST', '/api/auth/login', undefined, { username: USER, password })) as {
    token: string;
  };
  const tasks: string[] = [];
  for (let i = 1; i <= count; i++) {
    const record = await call('POST', '/api/records', token, {
      template: 'deviation',
      title: `Torn liner on lactose drum ${i}`,
    });
    const view = (await call('GET', `/api/records/${String(record.id)}`, token)) as {
      openTasks: { id: string; elementId: string }[];
    };
    const report = view.openTasks.find((t) => t.elementId === 'report');
    if (!report) throw new Error(`Deviation ${String(record.number)} has no report step open`);
    tasks.push(report.id);
  }
  await call('POST', '/api/auth/logout', token);
  return tasks;
}

async function withAttest<T>(fn: (url: string, engine: Engine) => Promise<T>): Promise<T> {
  const run = async (databaseUrl?: string) => {
    const database = await openDatabase(databaseUrl ? { url: databaseUrl } : { dataDir: 'memory://' });
    const engine = createEngine({ database });
    try {
      const server = await startServer({
        engine,
        port: 0,
        host: '127.0.0.1',
        jwtSecret: randomBytes(32).toString('hex'),
        logger: pino({ level: 'silent' }),
      });
      try {
        return await fn(server.url, engine);
      } finally {
        await server.close();
      }
    } finally {
      await engine.close();
    }
  };
  if (!process.env.DATABASE_URL) {
    console.log('Database: embedded, in memory');
    return run();
  }
  return withBenchDatabase((url) => {
    console.log(`Database: PostgreSQL, ${new URL(url).pathname.slice(1)}`);
    return run(url);
  });
}

/**
 * `npm run bench -w bench -- web`: the operator page's JavaScript on the wire on first load and on
 * the step page, and the time from a click on a task to its form drawn, cold (formio.js not yet
 * loaded) and warm.
 */
export async function runWebBenchmark(): Promise<Record<string, unknown>> {
  const coldRuns = positiveInteger('WEB_BENCH_COLD_RUNS', 5);
  const warmRuns = positiveInteger('WEB_BENCH_WARM_RUNS', 10);
  const password = DEMO_USERS.find((u) => u.username === USER)!.password;
  console.log(`${availableParallelism()} CPUs, load average ${loadavg()[0]!.toFixed(2)}`);
  await buildWebApp();

  return withAttest(async (url, engine) => {
    const tasks = await seed(engine, url, password, 1 + warmRuns);
    console.log(`${USER} has ${tasks.length} deviation reports to do`);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      console.log(`Chromium ${browser.version()}, headless; ${coldRuns} cold runs, each in a fresh context`);
      const runs: ColdRun[] = [];
      const warm = new Latencies();
      for (let i = 0; i < coldRuns; i++) {
        // The last cold run goes on to the warm runs, in the same page.
        const last = i === coldRuns - 1;
        const run = await coldRun(browser, url, password, tasks[0]!, last ? tasks.slice(1) : [], warm);
        console.log(
          `Cold run ${i + 1}: first load ${Math.round(run.firstLoadMs)} ms (sign-in included), ` +
            `form ${Math.round(run.renderMs)} ms after the click`,
        );
        runs.push(run);
      }
      const { firstLoad, stepLazy } = runs[0]!;
      printTransfers('First load (sign-in page, sign-in, My tasks)', firstLoad);
      printTransfers('Opening a task (step page) adds', stepLazy);
      const jsBytes = runs.map((r) => sum(scripts(r.firstLoad), 'transferred'));
      const lazyBytes = runs.map((r) => sum(scripts(r.stepLazy), 'transferred'));
      // Every run starts from an empty cache, so every run downloads the same.
      const firstLoadJs = Math.max(...jsBytes);
      const stepLazyJs = Math.max(...lazyBytes);
      const cold = new Latencies();
      const loads = new Latencies();
      for (const run of runs) {
        cold.record(run.renderMs);
        loads.record(run.firstLoadMs);
      }
      const coldMax = cold.percentile(100);
      console.log(
        `Form render: cold median ${Math.round(cold.percentile(50))} ms, max ${Math.round(coldMax)} ms; ` +
          `warm (${warm.count}) median ${Math.round(warm.percentile(50))} ms, p95 ${Math.round(warm.percentile(95))} ms`,
      );
      const ratio = round(kB(firstLoadJs) / FIRST_LOAD_TARGET_KB, 3);
      const renderRatio = round(coldMax / RENDER_TARGET_MS, 3);
      return {
        bench: 'web',
        firstLoadJsKB: kB(firstLoadJs),
        firstLoadJsDecodedKB: kB(sum(scripts(firstLoad), 'decoded')),
        firstLoadAllKB: kB(sum(firstLoad, 'transferred')),
        stepLazyJsKB: kB(stepLazyJs),
        stepPageJsKB: kB(firstLoadJs + stepLazyJs),
        stepPageJsDecodedKB: kB(sum(scripts([...firstLoad, ...stepLazy]), 'decoded')),
        firstLoadMedianMs: Math.round(loads.percentile(50)),
        formRenderColdMedianMs: Math.round(cold.percentile(50)),
        formRenderColdMaxMs: Math.round(coldMax),
        formRenderWarmMedianMs: Math.round(warm.percentile(50)),
        formRenderWarmP95Ms: Math.round(warm.percentile(95)),
        coldRuns,
        warmRuns: warm.count,
        ratio,
        target: 1,
        renderRatio,
        renderTarget: 1,
        ok: ratio <= 1 && renderRatio < 1,
      };
    } finally {
      await browser.close();
    }
  });
}
