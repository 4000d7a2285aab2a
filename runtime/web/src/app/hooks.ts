import { useEffect, useRef } from 'preact/hooks';
import { listen } from '../live.ts';

/**
 * Calls `onEvent` with each event of a server-sent stream of the API while the component is
 * mounted; the stream ends when it unmounts. The latest `onEvent` is used, so a component may pass
 * a new closure on every render without reconnecting.
 */
export function useLiveEvents(path: string, onEvent: (name: string) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    const controller = new AbortController();
    listen(path, (name) => handler.current(name), controller.signal);
    return () => controller.abort();
  }, [path]);
}

/**
 * Reloads with `load` each time `trigger` fires while mounted, never two at once: a change that
 * arrives during a reload is picked up by one more reload after it.
 */
export function useSerialReload(load: () => Promise<void>): () => void {
  const state = useRef({ running: false, again: false, mounted: true });
  const latest = useRef(load);
  latest.current = load;
  useEffect(
    () => () => {
      state.current.mounted = false;
    },
    [],
  );
  const run = (): void => {
    const s = state.current;
    if (!s.mounted) return;
    if (s.running) {
      s.again = true;
      return;
    }
    s.running = true;
    latest
      .current()
      .catch(reportError)
      .finally(() => {
        s.running = false;
        if (s.again && s.mounted) {
          s.again = false;
          run();
        }
      });
  };
  return run;
}
