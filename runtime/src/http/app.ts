import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Engine } from '@attest/engine';
import runtimePackage from '../../package.json' with { type: 'json' };
import { createMetrics, type Metrics } from '../metrics.ts';
import { createReadiness, type Readiness } from '../readiness.ts';
import { authenticator } from './auth.ts';
import { openApiDocument } from './openapi.ts';
import { problemResponder, unknownRoute } from './problem.ts';
import { requestLogger } from './requestLogger.ts';
import { operationRouter } from './router.ts';
import { authOperations } from './routes/auth.ts';
import { designerOperations } from './routes/designer.ts';
import { eventOperations } from './routes/events.ts';
import { auditOperations } from './routes/audit.ts';
import { platformOperations } from './routes/platform.ts';
import { processOperations } from './routes/processes.ts';
import { recordOperations } from './routes/records.ts';
import { roleOperations } from './routes/roles.ts';
import { taskOperations } from './routes/tasks.ts';
import { templateOperations } from './routes/templates.ts';
import { formOperations } from './routes/forms.ts';
import { userOperations } from './routes/users.ts';
import { securityHeaders } from './securityHeaders.ts';
import { webApp } from './webApp.ts';
import { createTokens } from './tokens.ts';
import { createTaskFeed, type TaskFeed } from './taskFeed.ts';

export interface AppOptions {
  engine: Engine;
  /** HMAC key of the bearer tokens, at least 32 characters; shared by every process of one installation. */
  jwtSecret: string;
  logger: Logger;
  /**
   * Which proxies to believe about the client's address (hop count, addresses or `true`): behind a
   * load balancer the login throttle and the audit trail then see the real client.
   */
  trustProxy?: TrustProxy;
  /** The built web app to serve at `/` (default runtime/web/dist). */
  webDir?: string;
  /** The process's metrics (default: a registry of the app's own). */
  metrics?: Metrics;
  /** What `/api/ready` checks (default: the database and its schema). */
  readiness?: Readiness;
  /** Bearer token of `/api/metrics`; unset, the metrics are not served. */
  metricsToken?: string;
}

/** Ends the app's open event streams: a server waits for every connection before it closes. */
export function closeStreams(app: Express): void {
  (app.locals.feed as TaskFeed | undefined)?.close();
}

export type TrustProxy = boolean | number | string;

/** The HTTP API as an express app; it does not listen, so tests run it in-process. */
export function createApp({
  engine,
  jwtSecret,
  logger,
  trustProxy,
  webDir,
  metrics = createMetrics(engine),
  readiness = createReadiness(engine),
  metricsToken,
}: AppOptions): Express {
  const tokens = createTokens(jwtSecret, engine.clock);
  const feed = createTaskFeed(engine, { onAttach: () => metrics.streamOpened() });
  const operations = [
    ...platformOperations(engine, {
      version: runtimePackage.version,
      document: () => document,
      readiness,
      metrics,
      metricsToken,
    }),
    ...authOperations(engine, tokens),
    ...userOperations(engine),
    ...roleOperations(engine),
    ...recordOperations(engine),
    ...processOperations(engine),
    ...taskOperations(engine, feed),
    ...formOperations(engine),
    ...templateOperations(engine),
    ...designerOperations(engine),
    ...eventOperations(engine),
    ...auditOperations(engine),
  ];
  const document = openApiDocument(operations, runtimePackage.version);

  const app = express();
  // Open event streams end when the server closes (see closeStreams).
  app.locals.feed = feed;
  if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
  app.use(metrics.middleware);
  app.use(requestLogger(logger));
  app.use(securityHeaders);
  app.use('/api', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  app.use(
    operationRouter(operations, {
      authenticate: authenticator(engine, tokens),
    }),
  );
  app.use(webApp(webDir));
  app.use(unknownRoute);
  app.use(problemResponder);
  return app;
}
