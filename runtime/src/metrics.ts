import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine } from '@attest/engine';

const SCRAPE_QUERY_TIMEOUT_MS = 3000;

/** How a login ended, from its HTTP status. */
const LOGIN_OUTCOMES: Record<number, string> = {
  200: 'success',
  401: 'failure',
  423: 'locked',
  429: 'rate_limited',
};

/**
 * The runtime's Prometheus metrics, one registry per app (several apps may share a process in
 * tests). Counters and latencies are this process's; queue depth, failed jobs and open incidents
 * are read from the database on each scrape and so are the same on every process of a cluster.
 */
export function createMetrics(engine: Engine) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { knex } = engine.database;

  const httpDuration = new Histogram({
    name: 'attest_http_request_duration_seconds',
    help: 'Time from a request to its response, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const logins = new Counter({
    name: 'attest_logins_total',
    help: 'Logins by outcome: success, failure (wrong name or password), locked, rate_limited, other',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const streams = new Gauge({
    name: 'attest_event_streams_open',
    help: 'Server-sent event streams open on this process',
    registers: [registry],
  });
  const jobsRan = new Counter({
    name: 'attest_jobs_ran_total',
    help: 'Jobs (timers, service tasks, …) this process ran to completion',
    registers: [registry],
  });
  const jobRoundsFailed = new Counter({
    name: 'attest_job_rounds_failed_total',
    help: 'Rounds of the job worker that failed as a whole (e.g. the database did not answer)',
    registers: [registry],
  });
  const seconds = (date: Date | null) => (date ? date.getTime() / 1000 : Number.NaN);
  const lastTimes = {
    verify: null as Date | null,
    checkpoint: null as Date | null,
    seal: null as Date | null,
  };
  for (const [what, help] of [
    ['verify', 'the last successful verification of the audit trail'],
    ['checkpoint', 'the last signed checkpoint of the audit trail'],
    ['seal', 'the last seal of the audit ledger by this process'],
  ] as const) {
    new Gauge({
      name: `attest_last_${what}_timestamp_seconds`,
      help: `Unix time of ${help} (NaN: none since the process started)`,
      registers: [registry],
      collect() {
        this.set(seconds(lastTimes[what]));
      },
    });
    new Gauge({
      name: `attest_${what}_age_seconds`,
      help: `Seconds since ${help} (NaN: none since the process started)`,
      registers: [registry],
      collect() {
        const at = lastTimes[what];
        this.set(at ? (engine.clock.now().getTime() - at.getTime()) / 1000 : Number.NaN);
      },
    });
  }

  // One query per scrape for the figures every process shares; a database that does not answer
  // (within a few seconds, well inside Prometheus's scrape timeout) shows as attest_database_up 0
  // rather than a failed scrape.
  let shared: Promise<Record<string, number> | null> | null = null;
  const readShared = () =>
    (shared ??= knex
      .raw(
        `SELECT
           (SELECT count(*) FROM jobs WHERE status = 'scheduled' AND due_at <= now()) AS jobs_due,
           (SELECT count(*) FROM jobs WHERE status = 'scheduled') AS jobs_scheduled,
           (SELECT count(*) FROM jobs WHERE status = 'failed') AS jobs_failed,
           (SELECT count(*) FROM incidents WHERE resolved_at IS NULL) AS incidents_open`,
      )
      .timeout(SCRAPE_QUERY_TIMEOUT_MS)
      .then((result: { rows: Record<string, number | string>[] }) =>
        Object.fromEntries(Object.entries(result.rows[0]!).map(([k, v]) => [k, Number(v)])),
      )
      .catch(() => null)
      .finally(() => setTimeout(() => (shared = null), 0)));
  for (const [name, column, help] of [
    ['attest_jobs_due', 'jobs_due', 'Jobs due now and not yet taken: the queue depth'],
    ['attest_jobs_scheduled', 'jobs_scheduled', 'Jobs waiting, due now or later (timers)'],
    ['attest_jobs_failed', 'jobs_failed', 'Jobs that gave up after their retries'],
    ['attest_incidents_open', 'incidents_open', 'Incidents not yet resolved'],
  ] as const) {
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const figures = await readShared();
        this.set(figures ? figures[column]! : Number.NaN);
      },
    });
  }
  new Gauge({
    name: 'attest_database_up',
    help: 'Whether the database answered the last scrape (1) or not (0)',
    registers: [registry],
    async collect() {
      this.set((await readShared()) ? 1 : 0);
    },
  });

  /**
   * Times every request by its route template (never the raw path: an attacker's paths would make
   * new series without end) and counts logins by outcome. Event streams are counted, not timed.
   */
  const middleware: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      if (String(res.getHeader('content-type') ?? '').startsWith('text/event-stream')) return;
      const op = res.locals.operation as { id: string; path: string } | undefined;
      const route = op?.path ?? (req.path.startsWith('/api') ? 'unmatched' : 'web app');
      const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
      httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, elapsed);
      if (op?.id === 'login') logins.inc({ outcome: LOGIN_OUTCOMES[res.statusCode] ?? 'other' });
    });
    next();
  };

  return {
    registry,
    middleware,
    /** A server-sent event stream opened; the returned function is called when it ends. */
    streamOpened(): () => void {
      streams.inc();
      let open = true;
      return () => {
        if (open) streams.dec();
        open = false;
      };
    },
    jobsRan(count: number): void {
      if (count > 0) jobsRan.inc(count);
    },
    jobRoundFailed(): void {
      jobRoundsFailed.inc();
    },
    /** A verification of the audit trail found nothing wrong at `at`. */
    recordVerify(at: Date): void {
      lastTimes.verify = at;
    },
    /** A signed checkpoint of the audit trail was written at `at`. */
    recordCheckpoint(at: Date): void {
      lastTimes.checkpoint = at;
    },
    /** This process sealed the audit ledger at `at`. */
    recordSeal(at: Date): void {
      lastTimes.seal = at;
    },
    /** The text exposition format Prometheus scrapes. */
    async exposition(): Promise<{ contentType: string; body: string }> {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
