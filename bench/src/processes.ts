import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));

/** Starts a process and resolves with the first match of `pattern` in its output. */
export async function startProcess(
  args: string[],
  env: Record<string, string>,
  pattern: RegExp,
): Promise<{ child: ChildProcessWithoutNullStreams; match: RegExpMatchArray; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, args, { cwd: REPOSITORY, env: { ...process.env, ...env } });
  let output = '';
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      // Only the start is kept: the request log of a runtime under load is not.
      if (output.length < 20_000) output += chunk.toString();
      const found = pattern.exec(output);
      if (found) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve(found);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => {
      if (output.length < 20_000) output += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`)));
  });
  child.stderr.resume();
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  return { child, match, stop };
}
