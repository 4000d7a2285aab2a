import type { Response } from 'express';

/** A comment line keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 25_000;
/**
 * A stream ends after this long and the browser opens a new one with its current token, so a
 * session that ended (logout, inactivity lock, deactivation) stops receiving within minutes.
 */
const STREAM_MS = 5 * 60_000;

/**
 * Holds a response open as a server-sent event stream: its headers and a `ready` event, keep-alive
 * comments, and an end once it has aged; `onClose` runs once, when the client leaves or it ends.
 */
export function openEventStream(res: Response, onClose: () => void): void {
  res.status(200);
  res.set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  res.write(`retry: 3000\nevent: ready\ndata: {}\n\n`);
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  const ageOut = setTimeout(() => res.end(), STREAM_MS);
  keepalive.unref();
  ageOut.unref();
  res.once('close', () => {
    clearInterval(keepalive);
    clearTimeout(ageOut);
    onClose();
  });
}
