import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openDatabase, type DatabaseOptions } from '@attest/engine';
import { createTestDatabase } from '../../../engine/test/support/testEngine.ts';

const run = promisify(execFile);
export const BIN = new URL('../../bin/attest.js', import.meta.url).pathname;
const BUILD_SERVER = new URL('../../scripts/buildServer.js', import.meta.url).pathname;

let built: Promise<unknown> | undefined;

/**
 * Builds runtime/dist/attest.js once per test run, as `npm run build` does, so that the command
 * the tests run is the JavaScript production runs, not the TypeScript sources.
 */
export function buildRuntime(): Promise<unknown> {
  built ??= run(process.execPath, [BUILD_SERVER]);
  return built;
}

/** Runs `attest` as a person would, in a process of its own: exit code, standard output and error. */
export async function attest(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  await buildRuntime();
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      timeout: timeoutMs,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A database of its own for the commands: a server database, or an embedded data folder in `root`. */
export async function target(root: string, name: string) {
  if (process.env.DATABASE_URL) {
    const db = await createTestDatabase();
    return { options: db.options, env: { DATABASE_URL: db.options.url }, drop: db.drop };
  }
  const dir = join(root, name);
  return {
    options: { dataDir: dir } as DatabaseOptions,
    env: { DATABASE_URL: '', ATTEST_DATA_DIR: dir },
    drop: async () => {},
  };
}

/** What the database owner can do around the trigger: erase every event of a user's chain. Its id. */
export async function eraseChainOf(options: DatabaseOptions, username: string): Promise<string> {
  const owner = await openDatabase({ ...options, owner: true, migrate: false });
  try {
    const userId = (await owner.knex('users').where({ username }).first('id')).id as string;
    await owner.knex.raw('ALTER TABLE events DISABLE TRIGGER events_append_only');
    await owner.knex.raw('DELETE FROM events WHERE record_id = ?', [userId]);
    await owner.knex.raw('ALTER TABLE events ENABLE TRIGGER events_append_only');
    return userId;
  } finally {
    await owner.close();
  }
}
