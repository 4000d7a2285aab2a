import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { filterTar } from './dataDirDump.ts';
import {
  appendEvents,
  canonicalize,
  CHECKPOINT_NAME,
  checkpointName,
  LEDGER_SUBJECT,
  RUNTIME_ROLE,
  systemClock,
  type Checkpoint,
  type CheckpointKey,
  type Engine,
} from '@attest/engine';

/**
 * `attest backup` and `attest restore` (E8). A backup is the database dump (pg_dump's custom
 * format, or the embedded database's data folder as PGlite dumps it) and, beside it in
 * `<file>.checkpoints/`, the signed checkpoints up to the one taken just before the dump, so a
 * restored database is verified against the checkpoint of its own backup.
 */

const run = promisify(execFile);
const FORMAT = 'attest-backup/1';

export interface BackupManifest {
  format: typeof FORMAT;
  database: 'postgres' | 'embedded';
  createdAt: string;
  dump: { file: string; sha256: string; bytes: number };
  /** The checkpoint taken just before the dump; the files before it come along. */
  checkpoint: { seq: number; at: string; counts: Checkpoint['counts'] };
  keyId: string;
}

export class BackupError extends Error {}

export const sidecarOf = (file: string) => `${file}.checkpoints`;

const sha256File = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

async function tool(name: 'pg_dump' | 'pg_restore', args: string[]): Promise<void> {
  try {
    await run(name, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') {
      throw new BackupError(
        `${name} is not installed or not on the PATH; install the PostgreSQL client tools of the server's major version`,
      );
    }
    throw new BackupError(`${name} failed: ${(e.stderr || e.message).trim().split('\n')[0]}`);
  }
}

/** The files of an embedded data folder that are not the database: kept across a restore. */
function keptFiles(dataDir: string, paths: (string | undefined)[]): string[] {
  return paths.filter(
    (p): p is string => p !== undefined && !relative(dataDir, p).startsWith('..') && existsSync(p),
  );
}

/**
 * What lives in the embedded data folder beside the database, relative to it: never in a backup
 * (the signing key and the token secret are secrets; the sink is kept on its own) nor replaced by
 * a restore.
 */
function besideTheDatabase(target: BackupTarget): string[] {
  return [
    target.keyFile,
    target.sinkDir,
    join(target.dataDir, 'jwt-secret'),
    join(target.dataDir, 'attest.lock'),
  ]
    .filter((p) => p !== undefined)
    .map((p) => relative(target.dataDir, p))
    .filter((p) => p !== '' && !p.startsWith('..'));
}

export interface BackupTarget {
  databaseUrl: string | undefined;
  dataDir: string;
  /** The checkpoint key file and sink directory (none for an object store), kept out of an embedded restore's way. */
  keyFile: string;
  sinkDir: string | undefined;
}

/**
 * Signs a checkpoint, then dumps the database into `file` and the checkpoints into its sidecar.
 * `openEngine` opens the database; the engine is closed before an embedded database is dumped.
 */
export async function backup(
  target: BackupTarget,
  file: string,
  openEngine: () => Promise<Engine>,
): Promise<BackupManifest> {
  const sidecar = sidecarOf(file);
  if (existsSync(file) || existsSync(sidecar)) {
    throw new BackupError(`${file} exists already; a backup never overwrites another`);
  }
  await mkdir(dirname(file), { recursive: true });
  const engine = await openEngine();
  let checkpoint: Checkpoint;
  let files: { seq: number; text: string }[];
  let publicPem: string;
  let keyId: string;
  try {
    if (!engine.checkpoints) throw new BackupError('no checkpoint sink is configured');
    checkpoint = (await engine.checkpoints.take()).checkpoint;
    files = await engine.checkpoints.files(checkpoint.seq);
    ({ publicPem, keyId } = engine.checkpoints.key);
  } finally {
    if (!target.databaseUrl) await engine.close();
  }
  const partial = `${file}.partial`;
  try {
    if (target.databaseUrl) {
      try {
        await tool('pg_dump', ['--format=custom', `--file=${partial}`, `--dbname=${target.databaseUrl}`]);
      } finally {
        await engine.close();
      }
    } else {
      const { PGlite } = await import('@electric-sql/pglite');
      const pglite = new PGlite(target.dataDir);
      try {
        // Dumping before the instance is ready never settles.
        await pglite.waitReady;
        const dump = Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer());
        const beside = besideTheDatabase(target);
        const dropped = (path: string) => beside.some((b) => path === b || path.startsWith(`${b}/`));
        await writeFile(partial, gzipSync(filterTar(dump, dropped)));
      } finally {
        await pglite.close();
      }
    }
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  const manifest: BackupManifest = {
    format: FORMAT,
    database: target.databaseUrl ? 'postgres' : 'embedded',
    createdAt: new Date().toISOString(),
    dump: { file: basename(file), sha256: await sha256File(file), bytes: (await stat(file)).size },
    checkpoint: { seq: checkpoint.seq, at: checkpoint.at, counts: checkpoint.counts },
    keyId,
  };
  await mkdir(sidecar);
  for (const f of files) await writeFile(join(sidecar, checkpointName(f.seq)), f.text);
  await writeFile(join(sidecar, 'checkpoint-key.pem'), publicPem);
  await writeFile(join(sidecar, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The backup's manifest and checkpoints, checked against its dump. */
async function readBackup(file: string) {
  const sidecar = sidecarOf(file);
  if (!existsSync(file)) throw new BackupError(`there is no backup at ${file}`);
  if (!existsSync(join(sidecar, 'manifest.json'))) {
    throw new BackupError(
      `${sidecar}/manifest.json is missing: it says which checkpoint the backup belongs to`,
    );
  }
  const manifest = JSON.parse(await readFile(join(sidecar, 'manifest.json'), 'utf8')) as BackupManifest;
  if (manifest.format !== FORMAT) throw new BackupError(`${file} is not an ${FORMAT} backup`);
  if ((await sha256File(file)) !== manifest.dump.sha256) {
    throw new BackupError(
      `${file} does not match the SHA-256 its manifest recorded: the dump was changed or cut short`,
    );
  }
  const checkpoints = new Map<number, string>();
  for (const name of await readdir(sidecar)) {
    const seq = CHECKPOINT_NAME.exec(name)?.[1];
    if (seq) checkpoints.set(Number(seq), await readFile(join(sidecar, name), 'utf8'));
  }
  return { manifest, checkpoints };
}

const sameCheckpoint = (a: string, b: string) => canonicalize(JSON.parse(a)) === canonicalize(JSON.parse(b));

async function databaseIsEmpty(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`,
    );
    // The runtime role is cluster-wide; a new server may not have it yet, and the dump grants to it.
    await client.query(
      `DO $$ BEGIN CREATE ROLE ${RUNTIME_ROLE} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
    );
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

/**
 * Restores a backup into the configured database, refusing one that holds data unless `force`;
 * then puts the backup's checkpoints into the sink (if it lacks them), marks there that the
 * database was restored to the backup's checkpoint, and records the restore in the ledger. The
 * caller verifies the result.
 */
export async function restore(
  target: BackupTarget,
  file: string,
  force: boolean,
  openEngine: () => Promise<Engine>,
  sink: {
    list(): Promise<number[]>;
    read(seq: number): Promise<string>;
    write(seq: number, text: string): Promise<void>;
  },
  key: CheckpointKey | null,
): Promise<BackupManifest> {
  const { manifest, checkpoints } = await readBackup(file);
  const kind = target.databaseUrl ? 'postgres' : 'embedded';
  if (manifest.database !== kind) {
    throw new BackupError(`${file} is a backup of an ${manifest.database} database; this one is ${kind}`);
  }
  // A backup carries no secret: the key that signed its checkpoints must be here already.
  const signer = `${manifest.keyId.slice(0, 16)}…`;
  if (!key) {
    throw new BackupError(
      `there is no checkpoint key at ${target.keyFile}; a restore needs the key that signed the backup's checkpoints (${signer})`,
    );
  }
  if (key.keyId !== manifest.keyId) {
    throw new BackupError(
      `the checkpoint key at ${target.keyFile} (${key.keyId.slice(0, 16)}…) is not the one that signed the backup's checkpoints (${signer})`,
    );
  }
  // The sink must tell the same story as the backup up to its checkpoint, or this is another installation's.
  const inSink = new Set(await sink.list());
  for (const [seq, text] of checkpoints) {
    if (inSink.has(seq) && !sameCheckpoint(text, await sink.read(seq))) {
      throw new BackupError(
        `checkpoint #${seq} of the backup differs from the one in the sink: the backup belongs to another installation or sink`,
      );
    }
  }

  if (target.databaseUrl) {
    const tables = await databaseIsEmpty(target.databaseUrl);
    if (tables > 0 && !force) {
      throw new BackupError(
        `the database ${new URL(target.databaseUrl).pathname.slice(1)} is not empty (${tables} tables); restore into an empty database, or pass --force to replace it`,
      );
    }
    await tool('pg_restore', [
      '--single-transaction',
      '--exit-on-error',
      '--no-owner',
      ...(tables > 0 ? ['--clean', '--if-exists'] : []),
      `--dbname=${target.databaseUrl}`,
      file,
    ]);
  } else {
    await restoreEmbedded(target, file, force);
  }

  for (const [seq, text] of [...checkpoints].sort(([a], [b]) => a - b)) {
    if (!inSink.has(seq)) await sink.write(seq, text);
  }
  const engine = await openEngine();
  try {
    if (!engine.checkpoints) throw new BackupError('no checkpoint sink is configured');
    await engine.checkpoints.restored(manifest.checkpoint.seq);
    await appendEvents(
      engine.database.knex,
      systemClock,
      LEDGER_SUBJECT,
      { userId: null, printedName: `attest restore (${userInfo().username})` },
      [
        {
          type: 'database.restored',
          payload: {
            backup: manifest.dump.file,
            sha256: manifest.dump.sha256,
            createdAt: manifest.createdAt,
            checkpoint: manifest.checkpoint.seq,
          },
        },
      ],
    );
  } finally {
    await engine.close();
  }
  return manifest;
}

/**
 * Loads PGlite's dump into the data folder. A folder that holds a database is replaced only with
 * `force`; the checkpoint key, the checkpoint sink and the token secret in it stay as they are.
 */
async function restoreEmbedded(target: BackupTarget, file: string, force: boolean): Promise<void> {
  const { dataDir } = target;
  const jwtSecret = join(dataDir, 'jwt-secret');
  const kept = keptFiles(dataDir, [target.keyFile, target.sinkDir, jwtSecret]);
  const keptNames = new Set([...kept.map((p) => relative(dataDir, p).split('/')[0]), 'attest.lock']);
  const entries = existsSync(dataDir) ? await readdir(dataDir) : [];
  if (!entries.includes('PG_VERSION') && entries.some((n) => !keptNames.has(n))) {
    throw new BackupError(
      `${dataDir} holds files that are not an Attest database; restore into an empty folder`,
    );
  }
  if (entries.includes('PG_VERSION')) {
    if (!force) {
      throw new BackupError(
        `${dataDir} holds a database; restore into an empty folder, or pass --force to replace it`,
      );
    }
    if (existsSync(join(dataDir, 'attest.lock'))) {
      const pid = Number(await readFile(join(dataDir, 'attest.lock'), 'utf8'));
      if (pid && pid !== process.pid && alive(pid)) {
        throw new BackupError(
          `the embedded database in ${dataDir} is in use by process ${pid}; stop it first`,
        );
      }
    }
  }
  const aside = `${resolve(dataDir)}.restoring-${process.pid}`;
  await mkdir(aside, { recursive: true });
  for (const path of kept) await rename(path, join(aside, relative(dataDir, path).replaceAll('/', '__')));
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const dump = new Blob([await readFile(file)]);
  const pglite = new PGlite(dataDir, { loadDataDir: dump });
  await pglite.waitReady;
  await pglite.close();
  for (const path of [join(dataDir, 'attest.lock'), join(dataDir, 'postmaster.pid')])
    await rm(path, { force: true });
  for (const path of kept) {
    await rm(path, { recursive: true, force: true });
    await rename(join(aside, relative(dataDir, path).replaceAll('/', '__')), path);
  }
  await rm(aside, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}
