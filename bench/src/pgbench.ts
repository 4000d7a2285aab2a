import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PgbenchOptions {
  /** Database to run against (a libpq connection URL). */
  url: string;
  /** The custom transaction script (`-f`). */
  script: string;
  clients: number;
  threads: number;
  seconds: number;
}

/**
 * Runs `pgbench -n -f <script> -c <clients> -j <threads> -T <seconds>` and returns its transactions
 * per second without the initial connection time. `PGBENCH` overrides the executable.
 */
export async function pgbench(options: PgbenchOptions): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'attest-pgbench-'));
  try {
    const file = join(dir, 'script.sql');
    await writeFile(file, options.script);
    const args = [
      '-n',
      '-f',
      file,
      '-c',
      String(options.clients),
      '-j',
      String(Math.min(options.threads, options.clients)),
      '-T',
      String(options.seconds),
      options.url,
    ];
    const { stdout } = await run(process.env.PGBENCH || 'pgbench', args, { maxBuffer: 16 << 20 });
    const match = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
    if (!match) throw new Error(`pgbench printed no tps:\n${stdout}`);
    return Number(match[1]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
