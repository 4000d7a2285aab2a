import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Engine } from '@attest/engine';
import runtimePackage from '../../package.json' with { type: 'json' };
import { createMetrics, type Metrics } from '../metrics.ts';
import { createReadiness, type Readiness } from '../readiness.ts';
import { authenticator } from './auth.ts';
import { openApiDocument } from './openapi.ts';
import type { Operation } from './operation.ts';
import { problemResponder, unknownRoute } from './problem.ts';
import { requestLogger } from './requestLogger.ts';
import { operationRouter } from './router.ts';
import { authOperations } from './routes/auth.ts';
import { designerOperations } from './routes/designer.ts';
import { eventOperations } from './routes/events.ts';
import { auditOperations } from './routes/audit.ts';
import { platformOperations, type PlatformDeps } from './routes/platform.ts';
import { processOperations } from './routes/processes.ts';
import { recordOperations } from './routes/records.ts';
import { changeOperations } from './routes/changes.ts';
import { pluginOperations } from './routes/plugins.ts';
import { deviceOperations } from './routes/devices.ts';
import { equipmentOperations } from './routes/equipment.ts';
import { materialOperations } from './routes/materials.ts';
import { labelOperations } from './routes/labels.ts';
import { exceptionOperations } from './routes/exceptions.ts';
import { roleOperations } from './routes/roles.ts';
import { taskOperations } from './routes/tasks.ts';
import { templateOperations } from './routes/templates.ts';
import { formOperations } from './routes/forms.ts';
import { userOperations } from './routes/users.ts';
import { securityHeaders } from './securityHeaders.ts';
import { webApp } from './webApp.ts';
import { createTokens, type Tokens } from './tokens.ts';
import { createTaskFeed, type TaskFeed } from './taskFeed.ts';
import { createDeviceHub, type DeviceHub } from '../devices/hub.ts';

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
  /**
   * The server's connections to devices, through which steps read them (default: one with no device
   * plugin loaded, so every read is refused with the reason).
   */
  devices?: DeviceHub;
}

/** Every operation of the API, in the order the router mounts them and the document lists them. */
function apiOperations(
  engine: Engine,
  tokens: Tokens,
  feed: TaskFeed,
  platform: PlatformDeps,
  hub: DeviceHub,
): Operation[] {
  return [
    ...platformOperations(engine, platform),
    ...authOperations(engine, tokens),
    ...userOperations(engine),
    ...roleOperations(engine),
    ...recordOperations(engine),
    ...exceptionOperations(engine),
    ...changeOperations(engine),
    ...pluginOperations(engine),
    ...deviceOperations(engine, hub),
    ...equipmentOperations(engine),
    ...materialOperations(engine),
    ...labelOperations(engine),
    ...processOperations(engine),
    ...taskOperations(engine, feed),
    ...formOperations(engine),
    ...templateOperations(engine),
    ...designerOperations(engine),
    ...eventOperations(engine),
    ...auditOperations(engine),
  ];
}

/**
 * The OpenAPI document the app serves, built from the declarations alone: no engine, database or
 * server, so the browser's wire types can be generated from it at build time.
 */
export function apiDocument(): ReturnType<typeof openApiDocument> {
  // Declaring an operation reads nothing of what it is given; only its handler would, and no
  // handler runs here. So every collaborator is a stand-in that has nothing.
  const absent = new Proxy({}, { get: () => undefined });
  const operations = apiOperations(
    absent as Engine,
    absent as Tokens,
    absent as TaskFeed,
    {
      version: runtimePackage.version,
      document: () => ({}),
      readiness: absent as Readiness,
      metrics: absent as Metrics,
      metricsToken: undefined,
    },
    absent as DeviceHub,
  );
  return openApiDocument(operations, runtimePackage.version);
}

/** Ends the app's open event streams: a server waits for every connection before it closes. */
export function closeStreams(app: Express): void {
  (app.locals.feed as TaskFeed | undefined)?.close();
  (app.locals.devices as DeviceHub | undefined)?.endStreams();
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
  devices = createDeviceHub(engine, new Map(), logger),
}: AppOptions): Express {
  const tokens = createTokens(jwtSecret, engine.clock);
  engine.devices.useReader(devices.reader);
  const feed = createTaskFeed(engine, { onAttach: () => metrics.streamOpened() });
  const operations = apiOperations(
    engine,
    tokens,
    feed,
    {
      version: runtimePackage.version,
      document: () => document,
      readiness,
      metrics,
      metricsToken,
    },
    devices,
  );
  const document = openApiDocument(operations, runtimePackage.version);

  const app = express();
  // Open event streams end when the server closes (see closeStreams).
  app.locals.feed = feed;
  app.locals.devices = devices;
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
