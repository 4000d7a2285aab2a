import type { Response } from 'express';
import type { Engine } from '@attest/engine';
import { openEventStream } from './eventStream.ts';

/** How often the feed looks for new task events while someone listens. */
const POLL_MS = 1000;
/** Events that end open tasks without a task event of their own: their instance or scope ended. */
const WITHDRAWING = ['process.cancelled', 'process.terminated', 'scope.terminated', 'boundary.triggered'];

/**
 * Server-sent events telling open "My tasks" screens that tasks changed: a task was created,
 * claimed, completed or withdrawn anywhere, by any process sharing the database. The event carries
 * no task data; each screen asks for its own list again, so it sees only what its person may.
 */
export function createTaskFeed(engine: Engine, options: { onAttach?: () => () => void } = {}) {
  const listeners = new Set<Response>();
  let lastId: number | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;
  let polling: Promise<void> | null = null;

  const { knex } = engine.database;
  async function poll(): Promise<void> {
    if (lastId === null) {
      const [row] = (await knex('events').max({ id: 'id' })) as { id: number | string | null }[];
      lastId = Number(row?.id ?? 0);
      return;
    }
    const rows = (await knex('events')
      .where('id', '>', lastId)
      .where((w) => {
        w.whereLike('type', 'task.%').orWhereIn('type', WITHDRAWING);
      })
      .orderBy('id', 'desc')
      .limit(1)
      .select('id')) as { id: number | string }[];
    const [seen] = (await knex('events').max({ id: 'id' })) as { id: number | string | null }[];
    lastId = Number(seen?.id ?? lastId);
    if (rows.length > 0) broadcast(`event: tasks\ndata: {"changed":true}\n\n`);
  }

  function broadcast(chunk: string): void {
    for (const res of listeners) res.write(chunk);
  }

  function start(): void {
    if (timer) return;
    timer = setInterval(() => {
      polling ??= poll()
        .catch(() => undefined)
        .finally(() => {
          polling = null;
        });
    }, POLL_MS);
    timer.unref();
  }

  function stop(): void {
    clearInterval(timer);
    timer = undefined;
    lastId = null;
  }

  return {
    /** Holds a response open as an event stream until the client leaves, the stream ages or the feed closes. */
    attach(res: Response): void {
      listeners.add(res);
      const detached = options.onAttach?.();
      openEventStream(res, () => {
        listeners.delete(res);
        detached?.();
        if (listeners.size === 0) stop();
      });
      start();
      if (lastId === null && !polling) polling = poll().finally(() => (polling = null));
    },
    /** Ends every stream, so the server can close. */
    close(): void {
      for (const res of listeners) res.end();
      listeners.clear();
      stop();
    },
  };
}

export type TaskFeed = ReturnType<typeof createTaskFeed>;
