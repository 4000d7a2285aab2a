import type { Jobs } from './jobs.ts';

export interface JobWorkerOptions {
  /**
   * How often due jobs are looked for besides the wake-ups: a timer falls due without a commit,
   * and a wake-up may be lost with the listening connection.
   */
  intervalMs: number;
  /** After each round, with how many jobs ran in it. */
  onRound?: (ran: number) => void;
  /** A round that failed, or listening that could not start (the worker then only polls). */
  onError: (error: unknown, during: 'round' | 'listen') => void;
}

export interface JobWorker {
  /** Runs a round now, or right after the one in flight. */
  wake(): void;
  /** How long the round in flight has run, 0 when none runs. */
  runningForMs(): number;
  /** Takes no further job, stops listening and waits for the round in flight. */
  stop(): Promise<void>;
}

/**
 * Runs due jobs in rounds, never two at once: woken by every commit that leaves a job to be taken
 * (see Jobs.onDue), so that a service task or a call activity follows the step before it at once,
 * and every `intervalMs` besides. Resolves once it listens (or, failing that, polls only).
 */
export async function startJobWorker(
  jobs: Pick<Jobs, 'runDue' | 'onDue'>,
  options: JobWorkerOptions,
): Promise<JobWorker> {
  const stopping = new AbortController();
  let running: Promise<void> | null = null;
  let again = false;
  let startedAt = 0;
  const round = (): void => {
    if (stopping.signal.aborted) return;
    if (running) {
      again = true;
      return;
    }
    again = false;
    startedAt = performance.now();
    running = jobs
      .runDue(undefined, stopping.signal)
      .then(
        (ran) => options.onRound?.(ran),
        (error: unknown) => options.onError(error, 'round'),
      )
      .finally(() => {
        running = null;
        if (again) round();
      });
  };
  const timer = setInterval(round, options.intervalMs);
  timer.unref();
  const stopListening = await jobs.onDue(round).catch((error: unknown) => {
    options.onError(error, 'listen');
    return null;
  });
  return {
    wake: round,
    runningForMs: () => (running ? performance.now() - startedAt : 0),
    async stop() {
      stopping.abort();
      clearInterval(timer);
      await Promise.all([stopListening?.(), running]);
    },
  };
}
