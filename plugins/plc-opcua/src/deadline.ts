/** An operation that took longer than the settings allow: the server did not answer. */
export class OpcUaTimeoutError extends Error {
  constructor(endpointUrl: string, what: string, ms: number) {
    super(`OPC UA server ${endpointUrl} did not answer ${what} within ${ms} ms`);
    this.name = 'OpcUaTimeoutError';
  }
}

/**
 * Runs `work` until it settles, `ms` pass (an OpcUaTimeoutError) or `signal` aborts; the timer is
 * always cleared, so nothing keeps the process alive.
 */
export async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  onTimeout: () => Error,
  signal?: AbortSignal,
): Promise<T> {
  signal?.throwIfAborted();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    onAbort = () =>
      reject(signal?.reason instanceof Error ? signal.reason : new Error('OPC UA request aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    work.catch(() => undefined);
  }
}
