import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthenticationError, NotFoundError, type Engine } from '@attest/engine';
import type { Metrics } from '../../metrics.ts';
import type { Readiness } from '../../readiness.ts';
import { ref } from '../components.ts';
import { json, ok, operation } from '../operation.ts';
import { HttpProblem } from '../problem.ts';

export interface PlatformDeps {
  version: string;
  document: () => object;
  readiness: Readiness;
  metrics: Metrics;
  /** The bearer token Prometheus presents; without one the metrics are not served. */
  metricsToken: string | undefined;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Compares the presented token in constant time (both sides hashed to the same length first). */
function tokenMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  return presented !== undefined && timingSafeEqual(digest(presented), digest(token));
}

export function platformOperations(engine: Engine, deps: PlatformDeps) {
  const { version, document, readiness, metrics, metricsToken } = deps;
  return [
    operation({
      id: 'health',
      method: 'get',
      path: '/api/health',
      tag: 'platform',
      summary: 'Liveness: the process answers (the database is not asked; see /api/ready)',
      description:
        'For a liveness probe: a runtime that answers is not restarted when the database is away, since ' +
        'restarting it would not bring the database back.',
      access: 'public',
      responses: { 200: json('Up', ref('Health')) },
      handle: async () => ok({ status: 'ok', database: engine.database.kind, version }),
    }),
    operation({
      id: 'ready',
      method: 'get',
      path: '/api/ready',
      tag: 'platform',
      summary: 'Readiness: the database answers, its schema is current and the job worker runs',
      description:
        'For a load balancer’s readiness probe. 503 names each thing not ready (the database, pending ' +
        'migrations, the job worker, a shutdown under way); a runtime shutting down answers 503 at once.',
      access: 'public',
      responses: { 200: json('Ready to serve', ref('Readiness')) },
      problems: [503],
      handle: async () => {
        const { ready, problems } = await readiness.check();
        if (!ready) {
          const what = Object.entries(problems).map(([name, problem]) => `${name}: ${problem}`);
          throw new HttpProblem('unavailable', `Not ready: ${what.join('; ')}`, { 'Retry-After': '5' });
        }
        return ok({ status: 'ready', checks: readiness.names() });
      },
    }),
    operation({
      id: 'metrics',
      method: 'get',
      path: '/api/metrics',
      tag: 'platform',
      summary: 'Prometheus metrics, for the bearer token ATTEST_METRICS_TOKEN only',
      description:
        'The Prometheus text format: HTTP latency by route, logins by outcome, jobs, incidents, the age of ' +
        'the last verification and checkpoint, and the process’s own figures. Served only when ' +
        'ATTEST_METRICS_TOKEN is set, to whoever presents it as a bearer token (404 otherwise).',
      access: 'public',
      responses: {
        200: {
          description: 'The metrics',
          content: { 'text/plain': { type: 'string' } },
        },
      },
      problems: [401, 404],
      handle: async ({ req }) => {
        if (!metricsToken) throw new NotFoundError('Metrics are not served: ATTEST_METRICS_TOKEN is not set');
        if (!tokenMatches(req.get('authorization'), metricsToken))
          throw new AuthenticationError('The metrics need the bearer token ATTEST_METRICS_TOKEN');
        const { contentType, body } = await metrics.exposition();
        return { status: 200 as const, body, contentType };
      },
    }),
    operation({
      id: 'openApiDocument',
      method: 'get',
      path: '/api/openapi.json',
      tag: 'platform',
      summary: 'This document',
      access: 'public',
      responses: { 200: json('The OpenAPI 3.1 document', { type: 'object' }) },
      handle: async () => ok(document()),
    }),
  ];
}
