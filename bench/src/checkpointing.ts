import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkpointKey,
  directorySink,
  generateCheckpointKeyPem,
  type CheckpointOptions,
} from '@attest/engine';

/**
 * Signed checkpoints as the runtime takes them, for a benchmark: a fresh Ed25519 key and a sink in
 * a temporary folder, removed by `remove()`.
 */
export function benchCheckpoints(): { options: CheckpointOptions; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'attest-bench-checkpoints-'));
  return {
    options: { key: checkpointKey(generateCheckpointKeyPem()), sink: directorySink(join(dir, 'sink')) },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Takes a checkpoint every `intervalMs` while `work` runs, one at a time, and a last one after it:
 * a far shorter interval than the runtime's five minutes, so the cost shows in the figures.
 */
export async function whileCheckpointing<T>(
  take: () => Promise<{ written: boolean }>,
  intervalMs: number,
  work: () => Promise<T>,
): Promise<{ result: T; checkpoints: number }> {
  let checkpoints = 0;
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(async () => {
      if ((await take()).written) checkpoints += 1;
    });
  }, intervalMs);
  try {
    const result = await work();
    return { result, checkpoints };
  } finally {
    clearInterval(timer);
    await running;
    if ((await take()).written) checkpoints += 1;
  }
}
