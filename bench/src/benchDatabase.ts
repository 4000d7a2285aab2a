import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server benchmarks run against: `DATABASE_URL`, else a local server with trust auth. */
export function serverUrl(): string {
  return process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** The same server URL pointing at another database. */
export function databaseUrl(server: string, database: string): string {
  const url = new URL(server);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs one statement on its own connection and closes it. */
export async function execute(url: string, sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

export async function serverVersion(url: string): Promise<string> {
  const { rows } = await execute(url, 'SHOW server_version');
  return String(rows[0]?.server_version ?? 'unknown');
}

/**
 * Creates a throw-away database `attest_bench_<random>` on the server, hands its URL to `fn`, and
 * drops it afterwards, whether `fn` succeeded or not (and on Ctrl-C).
 */
export async function withBenchDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const server = serverUrl();
  const name = `attest_bench_${randomBytes(6).toString('hex')}`;
  await execute(server, `CREATE DATABASE ${name}`);
  const drop = () => execute(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  const onSignal = () => {
    console.error(`Interrupted: dropping database ${name}`);
    void drop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  try {
    return await fn(databaseUrl(server, name));
  } finally {
    process.off('SIGINT', onSignal);
    await drop();
  }
}

/** The database must hold exactly the instances driven, all completed. */
export async function checkCompleted(url: string, key: string, driven: number): Promise<void> {
  const { rows } = await execute(
    url,
    'SELECT status, count(*)::int AS n FROM process_instances WHERE key = $1 GROUP BY status',
    [key],
  );
  const byStatus = Object.fromEntries(rows.map((r) => [String(r.status), Number(r.n)]));
  if (byStatus.completed !== driven || rows.length !== 1) {
    throw new Error(
      `Drove ${driven} instances to completion; the database holds ${JSON.stringify(byStatus)}`,
    );
  }
  console.log(`  the database holds ${driven} completed instances, as driven`);
}
