import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createDeviceHub, type DeviceHub } from './devices/hub.ts';
import { startJobWorker, type Checkpoint, type Engine } from '@attest/engine';
import { closeStreams, createApp, type TrustProxy } from './http/app.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { createReadiness } from './readiness.ts';

export interface ServerOptions {
  engine: Engine;
  port: number;
  host: string;
  jwtSecret: string;
  logger: Logger;
  /** Express's `trust proxy`: which proxies' X-Forwarded-For to believe (unset: none). */
  trustProxy?: TrustProxy;
  /** How often the heads of changed audit trails are sealed into the ledger (default 5 minutes). */
  sealIntervalMs?: number;
  /** How often due jobs are looked for besides the wake-ups on commit: timers (default every second). */
  jobIntervalMs?: number;
  /** Bearer token of `/api/metrics`; unset, the metrics are not served. */
  metricsToken?: string;
  /**
   * How long a shutdown waits for requests in flight and the job running to finish before it
   * cuts the connections and goes on (default 10 seconds). A job cut short is rolled back whole.
   */
  drainTimeoutMs?: number;
  /** How often a signed checkpoint of the audit trail is taken, if anything changed (default 5 minutes). */
  checkpointIntervalMs?: number;
  /** How often lots past their expiry date are marked expired (default 15 minutes). */
  lotExpiryIntervalMs?: number;
  /** The connections to devices, through the device plugins loaded (default: none loaded). */
  devices?: DeviceHub;
}

/** Work done at shutdown once no request or job runs any more, before the engine closes. */
export type ShutdownHook = () => Promise<void>;

export interface RunningServer {
  url: string;
  /** The process's metrics, for parts that report to them (verification, checkpoints). */
  metrics: Metrics;
  /**
   * Registers work for the shutdown (e.g. a signed checkpoint of the audit trail): hooks run in
   * the order registered, after requests, event streams and jobs have stopped and before the
   * engine closes; each is bounded by `timeoutMs` (default 10 s), and a failing one is logged
   * without stopping the others.
   */
  onShutdown(name: string, hook: ShutdownHook, options?: { timeoutMs?: number }): void;
  /**
   * Shuts down gracefully: reports not ready, takes no more connections or jobs, ends event
   * streams, lets requests in flight and the running job finish (bounded), then runs the shutdown
   * hooks. The engine stays open.
   */
  close(): Promise<void>;
  /** Signs a checkpoint of the audit trail now, if anything changed since the last; null without a checkpoint sink. */
  checkpoint(): Promise<Checkpoint | null>;
}

export async function startServer({
  engine,
  port,
  host,
  jwtSecret,
  logger,
  trustProxy,
  sealIntervalMs = 5 * 60_000,
  jobIntervalMs = 1000,
  metricsToken,
  drainTimeoutMs = 10_000,
  checkpointIntervalMs = 5 * 60_000,
  lotExpiryIntervalMs = 15 * 60_000,
  devices = createDeviceHub(engine, new Map(), logger),
}: ServerOptions): Promise<RunningServer> {
  const metrics = createMetrics(engine);
  const readiness = createReadiness(engine);
  const app = createApp({ engine, jwtSecret, logger, trustProxy, metrics, readiness, metricsToken, devices });
  const server = createServer(app);
  const inFlight = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const stopping = new AbortController();
  const sealing = periodically(
    sealIntervalMs,
    async () => {
      const event = await engine.audit.seal();
      metrics.recordSeal(engine.clock.now());
      if (event) logger.info({ seq: event.seq }, 'audit ledger sealed');
    },
    (error) => logger.error({ err: error }, 'sealing the audit ledger failed'),
  );
  // The gate refuses a lot past its expiry date at once; the sweep makes its status say so too.
  const expiring = periodically(
    lotExpiryIntervalMs,
    async () => {
      const expired = await engine.materials.lots.expireDue(engine.clock.now());
      if (expired.length > 0) logger.info({ lots: expired }, 'lots past their expiry date marked expired');
    },
    (error) => logger.error({ err: error }, 'marking expired lots failed'),
  );
  // Woken by every commit that leaves a job to be taken; the interval finds timers that fell due.
  const jobs = await startJobWorker(engine.jobs, {
    intervalMs: jobIntervalMs,
    onRound: (ran) => {
      metrics.jobsRan(ran);
      if (ran > 0) logger.info({ ran }, 'jobs ran');
    },
    onError: (error, during) => {
      if (during === 'listen') {
        logger.warn({ err: error }, 'listening for due jobs failed: they are only looked for every interval');
        return;
      }
      metrics.jobRoundFailed();
      logger.error({ err: error }, 'running due jobs failed');
    },
  });
  // A round that runs far longer than any should is a worker that hangs.
  const stuckMs = Math.max(60_000, 30 * jobIntervalMs);
  readiness.register('jobs', () => {
    if (stopping.signal.aborted) return 'the job worker has stopped';
    const runningMs = jobs.runningForMs();
    return runningMs > stuckMs
      ? `the job worker has been in one round for ${Math.round(runningMs / 1000)} s`
      : null;
  });

  const hooks: { name: string; hook: ShutdownHook; timeoutMs: number }[] = [];
  let closing: Promise<void> | null = null;

  async function drainConnections(): Promise<void> {
    const closed = new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
    });
    server.closeIdleConnections();
    // Kept-alive connections of requests in flight close once their response is sent.
    for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    if ((await within(closed, drainTimeoutMs)) === 'timeout') {
      logger.warn({ requests: inFlight.size }, 'requests still in flight at shutdown: connections cut');
      server.closeAllConnections();
      await closed;
    }
  }

  async function drainJobs(): Promise<void> {
    const stopped = Promise.all([sealing.stop(), jobs.stop(), checkpointing.stop(), expiring.stop()]);
    if ((await within(stopped, drainTimeoutMs)) === 'timeout')
      logger.warn('a job still runs at shutdown: it is rolled back when the database connection closes');
  }

  async function shutdown(): Promise<void> {
    readiness.stopping();
    stopping.abort();
    closeStreams(app);
    await Promise.all([drainConnections(), drainJobs()]);
    await devices
      .close()
      .catch((error: unknown) => logger.error({ err: error }, 'closing device connections failed'));
    for (const { name, hook, timeoutMs } of hooks) {
      try {
        if ((await within(hook(), timeoutMs)) === 'timeout')
          logger.error({ hook: name, timeoutMs }, 'shutdown hook did not finish in time');
      } catch (error) {
        logger.error({ err: error, hook: name }, 'shutdown hook failed');
      }
    }
  }

  async function checkpoint(): Promise<Checkpoint | null> {
    if (!engine.checkpoints) return null;
    const { checkpoint, written } = await engine.checkpoints.take();
    if (written)
      logger.info({ checkpoint: checkpoint.seq, counts: checkpoint.counts }, 'audit checkpoint signed');
    metrics.recordCheckpoint(new Date(checkpoint.at));
    return checkpoint;
  }
  const onCheckpointError = (error: unknown) =>
    logger.error({ err: error }, 'signing an audit checkpoint failed');
  const checkpointing = periodically(
    checkpointIntervalMs,
    async () => void (await checkpoint()),
    onCheckpointError,
  );
  // The last checkpoint covers everything written before the shutdown.
  hooks.push({ name: 'checkpoint', hook: async () => void (await checkpoint()), timeoutMs: 30_000 });

  const { port: actualPort } = server.address() as AddressInfo;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${hostInUrl}:${actualPort}`,
    metrics,
    onShutdown(name, hook, options = {}) {
      hooks.push({ name, hook, timeoutMs: options.timeoutMs ?? 10_000 });
    },
    close() {
      return (closing ??= shutdown());
    },
    checkpoint,
  };
}

/** Whether `work` settles within `ms`; its failure is passed on. */
async function within(work: Promise<unknown>, ms: number): Promise<'done' | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([work.then(() => 'done' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `work` every `ms`, never two at once; `stop()` ends the timer and waits for a round in
 * flight, since the engine is closed right after.
 */
function periodically(ms: number, work: () => Promise<void>, onError: (error: unknown) => void) {
  let running: Promise<void> | null = null;
  let startedAt = 0;
  const timer = setInterval(() => {
    if (running) return;
    startedAt = performance.now();
    running = work()
      .catch(onError)
      .finally(() => {
        running = null;
      });
  }, ms);
  timer.unref();
  return {
    /** How long the round in flight has run, 0 when none runs. */
    runningForMs(): number {
      return running ? performance.now() - startedAt : 0;
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
