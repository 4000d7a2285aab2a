import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Checkpoint, Engine } from '@attest/engine';
import { closeStreams, createApp, type TrustProxy } from './http/app.ts';

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
  /** How often due timers are looked for (default every second). */
  jobIntervalMs?: number;
  /** How often a signed checkpoint of the audit trail is taken, if anything changed (default 5 minutes). */
  checkpointIntervalMs?: number;
}

export interface RunningServer {
  url: string;
  /** Stops taking connections, lets requests in flight finish, stops sealing and the job worker, takes a last checkpoint; the engine stays open. */
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
  checkpointIntervalMs = 5 * 60_000,
}: ServerOptions): Promise<RunningServer> {
  const app = createApp({ engine, jwtSecret, logger, trustProxy });
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

  const sealing = periodically(
    sealIntervalMs,
    async () => {
      const event = await engine.audit.seal();
      if (event) logger.info({ seq: event.seq }, 'audit ledger sealed');
    },
    (error) => logger.error({ err: error }, 'sealing the audit ledger failed'),
  );
  const jobs = periodically(
    jobIntervalMs,
    async () => {
      const ran = await engine.jobs.runDue();
      if (ran > 0) logger.info({ ran }, 'jobs ran');
    },
    (error) => logger.error({ err: error }, 'running due jobs failed'),
  );

  async function checkpoint(): Promise<Checkpoint | null> {
    if (!engine.checkpoints) return null;
    const { checkpoint, written } = await engine.checkpoints.take();
    if (written)
      logger.info({ checkpoint: checkpoint.seq, counts: checkpoint.counts }, 'audit checkpoint signed');
    return checkpoint;
  }
  const onCheckpointError = (error: unknown) =>
    logger.error({ err: error }, 'signing an audit checkpoint failed');
  const checkpointing = periodically(
    checkpointIntervalMs,
    async () => void (await checkpoint()),
    onCheckpointError,
  );

  const { port: actualPort } = server.address() as AddressInfo;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${hostInUrl}:${actualPort}`,
    async close() {
      closeStreams(app);
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
        // Kept-alive connections of requests in flight close once their response is sent.
        for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      });
      await Promise.all([sealing.stop(), jobs.stop(), checkpointing.stop()]);
      await checkpoint().catch(onCheckpointError);
    },
    checkpoint,
  };
}

/**
 * Runs `work` every `ms`, never two at once; `stop()` ends the timer and waits for a round in
 * flight, since the engine is closed right after.
 */
function periodically(ms: number, work: () => Promise<void>, onError: (error: unknown) => void) {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    running ??= work()
      .catch(onError)
      .finally(() => {
        running = null;
      });
  }, ms);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
