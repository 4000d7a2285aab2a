import { link, mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where signed checkpoints are kept, outside the database: written once, never rewritten, read in
 * order by verification. An append-only directory is the default; `s3Sink` keeps them in an
 * S3-compatible object store under object lock (WORM).
 */
export interface CheckpointSink {
  /** Where it writes, for logs and the verify report. */
  readonly description: string;
  /** The sequence numbers of the checkpoints it holds, ascending. */
  list(): Promise<number[]>;
  read(seq: number): Promise<string>;
  /** Writes checkpoint `seq` once; a checkpoint that exists already is a `CheckpointExistsError`. */
  write(seq: number, text: string): Promise<void>;
  /** Publishes the public key beside the checkpoints (kept once per key id). */
  publishKey(keyId: string, pem: string): Promise<void>;
}

export class CheckpointExistsError extends Error {
  constructor(readonly seq: number) {
    super(`checkpoint ${seq} exists already`);
  }
}

/** A checkpoint's name in a sink: `checkpoint-000000000042.json`. */
export const CHECKPOINT_NAME = /^checkpoint-(\d{12})\.json$/;
export const checkpointName = (seq: number) => `checkpoint-${String(seq).padStart(12, '0')}.json`;

/**
 * A directory of one read-only file per checkpoint. A file appears whole or not at all: it is
 * written and flushed under a temporary name, then hard-linked to its final name, which fails if
 * the name is taken, so two writers never overwrite each other and a crash leaves no half file.
 */
export function directorySink(dir: string): CheckpointSink {
  const ready = () => mkdir(dir, { recursive: true, mode: 0o750 });

  async function writeOnce(name: string, text: string): Promise<boolean> {
    await ready();
    const temp = join(dir, `.${name}.${process.pid}.${Date.now()}.tmp`);
    const handle = await open(temp, 'wx', 0o444);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temp, join(dir, name));
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'EEXIST') return false;
      throw error;
    } finally {
      await unlink(temp);
    }
  }

  return {
    description: `directory ${dir}`,
    async list() {
      const names = await readdir(dir).catch((error: { code?: string }) => {
        if (error.code === 'ENOENT') return [] as string[];
        throw error;
      });
      return names
        .map((n) => CHECKPOINT_NAME.exec(n)?.[1])
        .filter((n): n is string => n !== undefined)
        .map(Number)
        .sort((a, b) => a - b);
    },
    read: (seq) => readFile(join(dir, checkpointName(seq)), 'utf8'),
    async write(seq, text) {
      if (!(await writeOnce(checkpointName(seq), text))) throw new CheckpointExistsError(seq);
    },
    async publishKey(keyId, pem) {
      const name = `checkpoint-key-${keyId.slice(0, 16)}.pem`;
      await writeOnce(name, pem);
    },
  };
}
