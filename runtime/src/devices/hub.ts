import type { DeviceReader, Engine, UsableDevice } from '@attest/engine';
import { DeviceRefusal, type DeviceConnection, type DeviceConnector, type Reading } from '@attest/plugin-api';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { openEventStream } from '../http/eventStream.ts';

/** How long one read or write may take before the server gives up on it (the plugin's own time-out is usually shorter). */
const GUARD_MS = 30_000;
/** How often a device whose plugin cannot stream is read for the live view. */
const POLL_MS = 1000;
/** How soon a live stream that failed is opened again. */
const RETRY_MS = 2000;

const withoutDevice = ({ deviceId: _, ...rest }: Reading): Omit<Reading, 'deviceId'> => rest;

/** What the server knows of a device's connection now, for the admin page. */
export interface DeviceLiveState {
  id: string;
  connected: boolean;
  lastReading: Omit<Reading, 'deviceId'> | null;
  lastError: { message: string; at: string } | null;
}

interface Open {
  /** The device's and plugin's versions the connection was opened with: a change opens a new one. */
  key: string;
  connection: Promise<DeviceConnection>;
}

interface Live {
  listeners: Set<(event: LiveEvent) => void>;
  stop: () => void;
}

export type LiveEvent = { reading: Reading } | { problem: string };

/**
 * The server's connections to devices, through their plugins: one per device, opened when a step
 * first reads it, opened again when the device's settings or its plugin change, closed after a
 * read that fails (and opened again by the next) — not after a device's refusal, which is an answer. Opening and closing are audited on the device
 * (C4); failed reads and refused readings are audited by the step that asked. Live readings for
 * the step view are shared by everyone watching the same channel.
 */
export function createDeviceHub(engine: Engine, connectors: Map<string, DeviceConnector>, logger: Logger) {
  const open = new Map<string, Open>();
  const states = new Map<string, DeviceLiveState>();
  const live = new Map<string, Live>();

  const stateOf = (id: string): DeviceLiveState => {
    let state = states.get(id);
    if (!state) {
      state = { id, connected: false, lastReading: null, lastError: null };
      states.set(id, state);
    }
    return state;
  };

  const audit = (
    id: string,
    type: 'device.connected' | 'device.disconnected',
    payload: Record<string, unknown>,
  ) =>
    engine.devices.event(id, null, type, payload).catch((err: unknown) => {
      logger.error({ err, device: id }, `device event ${type} not recorded`);
    });

  function connection(usable: UsableDevice): Promise<DeviceConnection> {
    const { device } = usable;
    const key = `${device.version}:${usable.plugin}@${usable.pluginVersion}`;
    const current = open.get(device.id);
    if (current?.key === key) return current.connection;
    if (current) void close(device.id, 'its settings or plugin changed');
    const connector = connectors.get(usable.plugin);
    if (!connector)
      return Promise.reject(new Error(`the plugin ${usable.plugin} is not loaded in this server`));
    const connection = guard(
      connector.open(usable.settings, AbortSignal.timeout(GUARD_MS)),
      'connecting',
    ).then(async (c) => {
      stateOf(device.id).connected = true;
      await audit(device.id, 'device.connected', {
        plugin: usable.plugin,
        pluginVersion: usable.pluginVersion,
        deviceVersion: device.version,
      });
      return c;
    });
    open.set(device.id, { key, connection });
    connection.catch((error: unknown) => {
      if (open.get(device.id)?.connection === connection) open.delete(device.id);
      failed(device.id, error);
    });
    return connection;
  }

  function failed(id: string, error: unknown): void {
    stateOf(id).lastError = {
      message: error instanceof Error ? error.message : String(error),
      at: new Date().toISOString(),
    };
  }

  async function close(id: string, reason: string): Promise<void> {
    const current = open.get(id);
    if (!current) return;
    open.delete(id);
    const state = stateOf(id);
    try {
      const c = await current.connection;
      await c.close();
    } catch {
      // It never opened, or closing it failed: either way it is gone.
    }
    if (state.connected) {
      state.connected = false;
      await audit(id, 'device.disconnected', { reason });
    }
  }

  /**
   * A read or write that fails closes the connection, and the next one opens it again; but a device
   * that answered it cannot give a value now (busy, a Modbus exception, a Bad status) keeps its
   * connection: the line is sound, and the next read goes over it.
   */
  async function using<T>(
    usable: UsableDevice,
    what: string,
    act: (c: DeviceConnection, signal: AbortSignal) => Promise<T>,
  ) {
    const c = await connection(usable);
    try {
      return await guard(act(c, AbortSignal.timeout(GUARD_MS)), what);
    } catch (error) {
      failed(usable.device.id, error);
      if (error instanceof DeviceRefusal) throw error;
      await close(
        usable.device.id,
        `${what} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      throw error;
    }
  }

  const reader: DeviceReader = {
    async read(usable, channel) {
      const reading = await using(usable, 'reading', (c, signal) => c.read(channel, signal));
      stateOf(usable.device.id).lastReading = withoutDevice(reading);
      return reading;
    },
    async write(usable, channel, value) {
      await using(usable, `${channel}`, (c, signal) => {
        if (!c.write) throw new Error(`the plugin ${usable.plugin} does not write to devices`);
        return c.write(channel, value, signal);
      });
    },
  };

  /**
   * Live readings of one channel for whoever watches (the step view): the plugin's stream where it
   * has one, else a read every second; stopped when the last watcher leaves.
   */
  function watch(usable: UsableDevice, channel: string, listener: (event: LiveEvent) => void): () => void {
    const key = `${usable.device.id}\n${channel}`;
    let entry = live.get(key);
    if (!entry) {
      const listeners = new Set<(event: LiveEvent) => void>();
      const emit = (event: LiveEvent) => {
        if ('reading' in event) stateOf(usable.device.id).lastReading = withoutDevice(event.reading);
        else failed(usable.device.id, new Error(event.problem));
        for (const l of listeners) l(event);
      };
      let unsubscribe = () => {};
      let retry: ReturnType<typeof setTimeout> | undefined;
      let ended = false;
      /** A stream that failed (the device went, or a read closed the connection) is opened again shortly. */
      const problem = (error: unknown) => {
        emit({ problem: error instanceof Error ? error.message : String(error) });
        unsubscribe();
        unsubscribe = () => {};
        clearTimeout(retry);
        if (!ended) retry = setTimeout(() => void begin(), RETRY_MS);
      };
      const begin = async () => {
        try {
          const c = await connection(usable);
          if (ended) return;
          if (c.subscribe) {
            unsubscribe = c.subscribe(channel, (reading) => emit({ reading }), problem);
            return;
          }
          let busy = false;
          const timer = setInterval(() => {
            if (busy) return;
            busy = true;
            reader
              .read(usable, channel)
              .then((reading) => emit({ reading }), problem)
              .finally(() => (busy = false));
          }, POLL_MS);
          unsubscribe = () => clearInterval(timer);
        } catch (error) {
          problem(error);
        }
      };
      const stop = () => {
        ended = true;
        clearTimeout(retry);
        unsubscribe();
      };
      entry = { listeners, stop };
      live.set(key, entry);
      void begin();
    }
    const { listeners } = entry;
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && live.get(key) === entry) {
        live.delete(key);
        entry!.stop();
      }
    };
  }

  const streams = new Set<Response>();

  /**
   * Holds a response open as an event stream of a channel's live readings, until the client leaves,
   * the stream ages (the browser opens a new one with its current token) or the server stops.
   */
  function attach(res: Response, usable: UsableDevice, channel: string): void {
    streams.add(res);
    let stop: (() => void) | null = null;
    openEventStream(res, () => {
      streams.delete(res);
      stop?.();
    });
    const send = (event: LiveEvent) => {
      if ('reading' in event)
        res.write(`event: reading\ndata: ${JSON.stringify(withoutDevice(event.reading))}\n\n`);
      else res.write(`event: problem\ndata: ${JSON.stringify({ message: event.problem })}\n\n`);
    };
    stop = watch(usable, channel, send);
  }

  return {
    reader,
    watch,
    attach,
    /** Ends every live stream, so the server can close. */
    endStreams(): void {
      for (const res of streams) res.end();
      streams.clear();
    },
    /** The connection state of each device the server has reached since it started. */
    state: (id: string): DeviceLiveState => ({ ...stateOf(id) }),
    /** Closes every connection (the server stops). */
    async close(): Promise<void> {
      for (const entry of live.values()) entry.stop();
      live.clear();
      await Promise.all([...open.keys()].map((id) => close(id, 'the server stopped')));
    },
  };
}

export type DeviceHub = ReturnType<typeof createDeviceHub>;

/** A promise that gives up after GUARD_MS with a message saying what did not finish. */
function guard<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${GUARD_MS / 1000} s`)), GUARD_MS);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
