import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { Engine } from '@attest/engine';
import { startTestEngine, type TestContext } from '../../../engine/test/support/testEngine.ts';
import { createReadiness } from '../../src/readiness.ts';
import { startServer } from '../../src/server.ts';
import { assertProblem, startTestApi, type TestApi } from './support/api.ts';

const METRICS_TOKEN = randomBytes(32).toString('hex');

/** One metric's sample value from the Prometheus text, by name and labels as written. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Feature: operating the runtime (health, readiness, metrics, shutdown)', () => {
  let ctx: TestContext;
  let api: TestApi;
  before(async () => {
    ctx = await startTestEngine();
    api = await startTestApi({ ctx, metricsToken: METRICS_TOKEN });
  });
  after(async () => {
    await api.close();
    await ctx.close();
  });

  describe('Scenario: health and readiness', () => {
    it('answers liveness without asking the database, which readiness does', async () => {
      const away: Engine = { ...ctx.engine, database: { ...ctx.engine.database, ping: async () => false } };
      const down = await startTestApi({ ctx: { ...ctx, engine: away } });
      try {
        assert.equal((await down.request('GET', '/api/health')).status, 200);
        const ready = assertProblem(await down.request('GET', '/api/ready'), 503, 'unavailable');
        assert.match(ready.detail, /database: the database does not answer/);
      } finally {
        await down.close();
      }
    });

    it('is ready when the database answers and its schema is the one the code expects', async () => {
      const response = await api.request('GET', '/api/ready');
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, { status: 'ready', checks: ['database', 'migrations'] });
    });

    it('is not ready while the schema differs from the code, and names the migration', async () => {
      const stranger = '20991231000000_from_a_newer_runtime';
      await ctx.asOwner((db) =>
        db('knex_migrations').insert({ name: stranger, batch: 99, migration_time: new Date() }),
      );
      try {
        const problem = assertProblem(await api.request('GET', '/api/ready'), 503, 'unavailable');
        assert.match(
          problem.detail,
          new RegExp(`migrations: the schema is newer than this runtime: ${stranger}`),
        );
      } finally {
        await ctx.asOwner((db) => db('knex_migrations').where({ name: stranger }).delete());
      }
      assert.equal((await api.request('GET', '/api/ready')).status, 200);
    });

    it('is not ready once its shutdown has begun', async () => {
      const readiness = createReadiness(ctx.engine);
      assert.equal((await readiness.check()).ready, true);
      readiness.stopping();
      assert.deepEqual(await readiness.check(), {
        ready: false,
        problems: { shutdown: 'the runtime is shutting down' },
      });
    });
  });

  describe('Scenario: Prometheus metrics', () => {
    const scrape = (token?: string) =>
      api.request('GET', '/api/metrics', token ? { headers: { authorization: `Bearer ${token}` } } : {});

    it('are served only to the bearer of the metrics token', async () => {
      assertProblem(await scrape(), 401, 'unauthenticated');
      assertProblem(await scrape('x'.repeat(64)), 401, 'unauthenticated');
      const plain = await startTestApi({ ctx });
      try {
        const off = assertProblem(await plain.request('GET', '/api/metrics'), 404, 'not-found');
        assert.match(off.detail, /ATTEST_METRICS_TOKEN/);
      } finally {
        await plain.close();
      }
    });

    it('time requests by route template, never by the raw path', async () => {
      const token = await api.login('adrian');
      const id = '00000000-0000-4000-8000-000000000000';
      await api.request('GET', `/api/users/${id}`, { token });
      await api.request('GET', '/api/no/such/route');
      const { status, text, headers } = await scrape(METRICS_TOKEN);
      assert.equal(status, 200);
      assert.match(headers.get('content-type') ?? '', /^text\/plain/);
      assert.ok(
        sample(
          text,
          'attest_http_request_duration_seconds_count{method="GET",route="/api/users/{id}",status="404"}',
        )! >= 1,
        text,
      );
      assert.ok(
        sample(
          text,
          'attest_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}',
        )! >= 1,
      );
      assert.doesNotMatch(text, new RegExp(id));
      assert.doesNotMatch(text, /no\/such\/route/);
    });

    it('count logins by outcome: success, failure and locked', async () => {
      const before = (await scrape(METRICS_TOKEN)).text;
      const count = (text: string, outcome: string) =>
        sample(text, `attest_logins_total{outcome="${outcome}"}`) ?? 0;
      await api.login('olivia');
      const wrong = { username: 'quinn', password: 'not-her-password-at-all' };
      const attempts = ctx.engine.settings.lockoutThreshold + 1;
      const statuses: number[] = [];
      for (let i = 0; i < attempts; i++)
        statuses.push((await api.request('POST', '/api/auth/login', { body: wrong })).status);
      assert.equal(statuses.at(-1), 423, 'the account is locked');
      const after = (await scrape(METRICS_TOKEN)).text;
      const delta = (outcome: string) => count(after, outcome) - count(before, outcome);
      assert.equal(delta('success'), 1);
      assert.equal(delta('failure'), statuses.filter((s) => s === 401).length);
      assert.equal(delta('locked'), statuses.filter((s) => s === 423).length);
      assert.ok(delta('failure') >= 1);
    });

    it('report jobs, incidents, open event streams and the process’s own figures', async () => {
      const token = await api.login('oscar');
      const stream = await fetch(`${api.url}/api/task-events`, {
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      });
      const reader = stream.body!.getReader();
      await reader.read();
      const { text } = await scrape(METRICS_TOKEN);
      await reader.cancel();
      for (const series of [
        'attest_jobs_due',
        'attest_jobs_scheduled',
        'attest_jobs_failed',
        'attest_incidents_open',
      ])
        assert.equal(sample(text, series), 0, series);
      assert.equal(sample(text, 'attest_database_up'), 1);
      assert.equal(sample(text, 'attest_event_streams_open'), 1);
      assert.ok(sample(text, 'process_cpu_user_seconds_total')! > 0);
      assert.ok(sample(text, 'nodejs_eventloop_lag_p99_seconds')! >= 0);
      assert.ok(Number.isNaN(sample(text, 'attest_checkpoint_age_seconds')), 'no checkpoint yet');
    });
  });

  describe('Scenario: the server', () => {
    const start = (engine: Engine, options: { jobIntervalMs?: number; drainTimeoutMs?: number } = {}) =>
      startServer({
        engine,
        port: 0,
        host: '127.0.0.1',
        jwtSecret: randomBytes(32).toString('hex'),
        logger: pino({ level: 'silent' }),
        metricsToken: METRICS_TOKEN,
        ...options,
      });

    it('is ready with its job worker running', async () => {
      const server = await start(ctx.engine);
      try {
        const ready = await fetch(`${server.url}/api/ready`);
        assert.deepEqual(await ready.json(), { status: 'ready', checks: ['database', 'migrations', 'jobs'] });
      } finally {
        await server.close();
      }
    });

    it('shows the time of the last checkpoint and verification reported to it', async () => {
      const server = await start(ctx.engine);
      try {
        const at = new Date(ctx.clock.now().getTime() - 90_000);
        server.metrics.recordCheckpoint(at);
        server.metrics.recordVerify(at);
        const text = await (
          await fetch(`${server.url}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
        ).text();
        assert.equal(sample(text, 'attest_last_checkpoint_timestamp_seconds'), at.getTime() / 1000);
        assert.ok(Math.abs(sample(text, 'attest_checkpoint_age_seconds')! - 90) < 5);
        assert.ok(Math.abs(sample(text, 'attest_verify_age_seconds')! - 90) < 5);
      } finally {
        await server.close();
      }
    });

    it('stops taking jobs, lets the running one finish, then runs the shutdown hooks in order', async () => {
      const order: string[] = [];
      let release!: () => void;
      let entered!: () => void;
      const running = new Promise<void>((resolve) => (entered = resolve));
      let rounds = 0;
      const slow: Engine = {
        ...ctx.engine,
        jobs: {
          ...ctx.engine.jobs,
          runDue: async (_limit?: number, signal?: AbortSignal) => {
            rounds += 1;
            entered();
            await new Promise<void>((resolve) => (release = resolve));
            order.push(signal?.aborted ? 'job finished after the stop' : 'job finished');
            return 1;
          },
        },
      };
      const server = await start(slow, { jobIntervalMs: 10 });
      server.onShutdown('first', async () => {
        order.push('first hook');
      });
      server.onShutdown('failing', async () => {
        throw new Error('the sink is away');
      });
      server.onShutdown('last', async () => {
        order.push('last hook');
      });
      await running;
      const closed = server.close();
      await sleep(50);
      assert.deepEqual(order, [], 'the hooks wait for the running job');
      release();
      await closed;
      assert.deepEqual(order, ['job finished after the stop', 'first hook', 'last hook']);
      assert.equal(rounds, 1, 'no job round after the stop');
    });

    it('bounds the wait for a job that does not finish', async () => {
      let entered!: () => void;
      const running = new Promise<void>((resolve) => (entered = resolve));
      const stuck: Engine = {
        ...ctx.engine,
        jobs: {
          ...ctx.engine.jobs,
          runDue: () => {
            entered();
            return new Promise<number>(() => undefined);
          },
        },
      };
      const server = await start(stuck, { jobIntervalMs: 10, drainTimeoutMs: 200 });
      await running;
      const started = performance.now();
      await server.close();
      assert.ok(performance.now() - started < 2000);
    });
  });
});
