import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Engine } from '@attest/engine';
import { createApp, type TrustProxy } from './http/app.ts';

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
}

export interface RunningServer {
  url: string;
  /** Stops taking connections, lets requests in flight finish, stops sealing; the engine stays open. */
  close(): Promise<void>;
}

export async function startServer({
  engine,
  port,
  host,
  jwtSecret,
  logger,
  trustProxy,
  sealIntervalMs = 5 * 60_000,
}: ServerOptions): Promise<RunningServer> {
  const server = createServer(createApp({ engine, jwtSecret, logger, trustProxy }));
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

  // One seal at a time; close() waits for a running one, since the engine is closed right after.
  let sealing: Promise<void> | null = null;
  const seal = () => {
    sealing ??= engine.audit
      .seal()
      .then(
        (event) => {
          if (event) logger.info({ seq: event.seq }, 'audit ledger sealed');
        },
        (error: unknown) => logger.error({ err: error }, 'sealing the audit ledger failed'),
      )
      .finally(() => {
        sealing = null;
      });
  };
  const timer = setInterval(seal, sealIntervalMs);
  timer.unref();

  const { port: actualPort } = server.address() as AddressInfo;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${hostInUrl}:${actualPort}`,
    async close() {
      clearInterval(timer);
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
        // Kept-alive connections of requests in flight close once their response is sent.
        for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      });
      await sealing;
    },
  };
}
