import { schemaStatus, type Engine } from '@attest/engine';

/** A check whether one thing the runtime needs is in order: null when it is, else what is wrong. */
export type Probe = () => Promise<string | null> | string | null;

/** A probe that takes longer than this counts as failed: a balancer's probe must not hang. */
const PROBE_TIMEOUT_MS = 3000;

async function bounded(probe: Probe): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([Promise.resolve().then(probe), timeout]);
  } catch (error) {
    return (error as Error).message || String(error);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether this runtime should be sent requests: the database answers, its schema is the one this
 * code expects, and whatever else registers a probe (the server's job worker) is running. Once
 * shutdown begins the runtime is not ready, so a balancer stops sending it requests.
 */
export function createReadiness(engine: Engine) {
  const probes = new Map<string, Probe>();
  let stopping = false;
  probes.set('database', async () =>
    (await engine.database.ping()) ? null : 'the database does not answer',
  );
  probes.set('migrations', async () => {
    const { pending, unknown } = await schemaStatus(engine.database.knex);
    if (pending.length > 0) return `migrations not applied: ${pending.join(', ')}`;
    if (unknown.length > 0) return `the schema is newer than this runtime: ${unknown.join(', ')}`;
    return null;
  });
  return {
    register(name: string, probe: Probe): void {
      probes.set(name, probe);
    },
    /** From now on the runtime reports itself not ready. */
    stopping(): void {
      stopping = true;
    },
    /** Every probe's verdict, by name, run at once. */
    async check(): Promise<{ ready: boolean; problems: Record<string, string> }> {
      const problems: Record<string, string> = {};
      if (stopping) problems.shutdown = 'the runtime is shutting down';
      const verdicts = await Promise.all(
        [...probes].map(async ([name, probe]) => [name, await bounded(probe)] as const),
      );
      for (const [name, problem] of verdicts) if (problem !== null) problems[name] = problem;
      return { ready: Object.keys(problems).length === 0, problems };
    },
    names(): string[] {
      return [...probes.keys()];
    },
  };
}

export type Readiness = ReturnType<typeof createReadiness>;
