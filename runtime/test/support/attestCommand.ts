import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

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
