import { createParser } from 'eventsource-parser';
import { currentSession } from './api.ts';

/**
 * Listens to a server-sent event stream of the API with this session's token (EventSource cannot
 * send one), calling `onEvent` with each event's name and data. It reconnects when the stream ends — the
 * server ends them every few minutes so a new token is shown — until `signal` aborts.
 */
export function listen(
  path: string,
  onEvent: (name: string, data: string) => void,
  signal: AbortSignal,
): void {
  const connect = async (): Promise<void> => {
    const session = currentSession();
    if (!session || signal.aborted) return;
    try {
      const response = await fetch(path, {
        headers: { authorization: `Bearer ${session.token}`, accept: 'text/event-stream' },
        signal,
      });
      if (!response.ok || !response.body) throw new Error(`status ${response.status}`);
      const parser = createParser({
        onEvent: (message) => {
          if (message.event) onEvent(message.event, message.data);
        },
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    } catch {
      if (signal.aborted) return;
    }
    if (!signal.aborted) setTimeout(() => void connect(), 3000);
  };
  void connect();
}
