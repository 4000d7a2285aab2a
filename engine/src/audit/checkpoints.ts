import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import type { Knex } from 'knex';
import { canonicalize, sha256Hex } from '../kernel/canonicalJson.ts';
import type { Clock } from '../kernel/clock.ts';
import { ConflictError } from '../kernel/errors.ts';
import { CheckpointExistsError, type CheckpointSink } from './checkpointSink.ts';
import { appendEvents } from './auditTrail.ts';
import { eventRepository } from './eventRepository.ts';
import { CHECKPOINT_SUBJECT, LEDGER_SUBJECT, SYSTEM_ACTOR } from './types.ts';

/**
 * Signed checkpoints of the audit trail, kept outside the database. A hash chain proves order and
 * content only against someone who cannot recompute it; the database owner can. A checkpoint is
 * signed with an Ed25519 key the database never holds and written to a sink it cannot reach, so a
 * chain recomputed, cut short or erased after a checkpoint no longer matches what was signed.
 *
 * A checkpoint lists the head (seq, hash) of every chain that changed since the previous one (all
 * of them in the first), a Merkle root over all heads, the counts, the time, its own number and
 * the hash of the previous checkpoint: checkpoints form a chain of their own, so one removed from
 * the middle is seen. Verification replays them in order.
 */

export const CHECKPOINT_FORMAT = 'attest-checkpoint/1';

/** A chain's head as a checkpoint lists it: record id, seq, hash. */
export type HeadEntry = [recordId: string, seq: number, hash: string];

export interface CheckpointBody {
  format: typeof CHECKPOINT_FORMAT;
  /** Its number in the sink, from 1 without gaps. */
  seq: number;
  /** `restored`: the database was restored from a backup whose checkpoint was `restoredFrom`. */
  kind: 'checkpoint' | 'restored';
  /** Server time, UTC. */
  at: string;
  /** SHA-256 of the previous checkpoint (null for the first). */
  previous: string | null;
  /** SHA-256 of the signing public key (SPKI DER). */
  keyId: string;
  counts: { chains: number; events: number; records: number };
  /** Merkle root over the heads of all chains, sorted by record id. */
  root: string;
  /** Heads changed since the previous checkpoint. */
  heads: HeadEntry[];
  restoredFrom?: number;
}

export interface Checkpoint extends CheckpointBody {
  /** Ed25519 signature (base64) over the canonical JSON (RFC 8785) of the body. */
  signature: string;
}

export interface CheckpointKey {
  keyId: string;
  publicKey: KeyObject;
  /** The public key as SPKI PEM, to publish. */
  publicPem: string;
  /** Absent where only verification is done (an auditor's copy of the public key). */
  privateKey: KeyObject | null;
}

/** A new Ed25519 private key as PKCS#8 PEM. */
export function generateCheckpointKeyPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** The key from a PEM text: a private key signs and verifies, a public key only verifies. */
export function checkpointKey(pem: string): CheckpointKey {
  const isPrivate = pem.includes('PRIVATE KEY');
  const privateKey = isPrivate ? createPrivateKey(pem) : null;
  const publicKey = privateKey ? createPublicKey(privateKey) : createPublicKey(pem);
  if (publicKey.asymmetricKeyType !== 'ed25519') {
    throw new TypeError(`the checkpoint key must be an Ed25519 key, not ${publicKey.asymmetricKeyType}`);
  }
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    keyId: createHash('sha256').update(der).digest('hex'),
    publicKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    privateKey,
  };
}

/** The Merkle root over chain heads sorted by record id; an odd node moves up unpaired. */
export function merkleRoot(heads: readonly HeadEntry[]): string {
  let level = [...heads]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([id, seq, hash]) => sha256Hex(`\u0000${id}:${seq}:${hash}`));
  if (level.length === 0) return sha256Hex('\u0000');
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? sha256Hex(`\u0001${level[i]}${level[i + 1]}`) : level[i]!);
    }
    level = next;
  }
  return level[0]!;
}

export const checkpointHash = (c: Checkpoint): string => sha256Hex(canonicalize(c));

function signBody(body: CheckpointBody, key: CheckpointKey): Checkpoint {
  if (!key.privateKey) throw new Error('checkpoints cannot be signed with a public key only');
  const signature = sign(null, Buffer.from(canonicalize(body)), key.privateKey).toString('base64');
  return { ...body, signature };
}

function signatureHolds(c: Checkpoint, key: CheckpointKey): boolean {
  const { signature, ...body } = c;
  try {
    return verify(null, Buffer.from(canonicalize(body)), key.publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

function parse(text: string): Checkpoint {
  const c = JSON.parse(text) as Checkpoint;
  if (
    c?.format !== CHECKPOINT_FORMAT ||
    !Number.isInteger(c.seq) ||
    typeof c.signature !== 'string' ||
    typeof c.root !== 'string' ||
    !Array.isArray(c.heads)
  ) {
    throw new Error(`it is not an ${CHECKPOINT_FORMAT} document`);
  }
  return c;
}

export interface CheckpointProblem {
  /** `checkpoint` (the sink), `chain` (a record's chain), `records` (the records table). */
  where: 'checkpoint' | 'chain' | 'records';
  /** Checkpoint number, record id, or `records`. */
  id: string;
  seq: number | null;
  problem: string;
}

interface HeadState {
  seq: number;
  hash: string;
  /** The checkpoint that recorded it. */
  checkpoint: number;
}

/** The sink read in order: what the checkpoints, taken together, say the database holds. */
interface Replay {
  /** Number and hash of the last checkpoint read, the one the next must follow. */
  lastSeq: number;
  lastHash: string | null;
  /** The checkpoints that describe the database now (a restore cuts off the ones after its backup). */
  lineage: Checkpoint[];
  heads: Map<string, HeadState>;
  superseded: { from: number; to: number; restoredAt: string }[];
  problems: CheckpointProblem[];
  read: number;
}

const emptyReplay = (): Replay => ({
  lastSeq: 0,
  lastHash: null,
  lineage: [],
  heads: new Map(),
  superseded: [],
  problems: [],
  read: 0,
});

function applyHeads(heads: Map<string, HeadState>, c: Checkpoint): void {
  for (const [recordId, seq, hash] of c.heads) heads.set(recordId, { seq, hash, checkpoint: c.seq });
}

/** Reads the checkpoints after `replay.lastSeq` from the sink into `replay`. */
async function readSink(sink: CheckpointSink, key: CheckpointKey, replay: Replay): Promise<Replay> {
  const problem = (seq: number, text: string) =>
    replay.problems.push({ where: 'checkpoint', id: `#${seq}`, seq, problem: text });
  for (const seq of (await sink.list()).filter((s) => s > replay.lastSeq)) {
    replay.read += 1;
    if (seq !== replay.lastSeq + 1) {
      const from = replay.lastSeq + 1;
      problem(
        from,
        `${from === seq - 1 ? `checkpoint #${from} is` : `checkpoints #${from} to #${seq - 1} are`} missing from the sink`,
      );
    }
    let c: Checkpoint;
    try {
      c = parse(await sink.read(seq));
    } catch (error) {
      problem(seq, `cannot be read: ${(error as Error).message}`);
      replay.lastSeq = seq;
      replay.lastHash = null;
      continue;
    }
    let valid = false;
    const follows = seq === replay.lastSeq + 1 && (replay.lastHash !== null || seq === 1);
    replay.lastSeq = seq;
    const hash = checkpointHash(c);
    if (c.seq !== seq) problem(seq, `its file holds checkpoint #${c.seq}`);
    else if (c.keyId !== key.keyId) problem(seq, `is signed with another key (${c.keyId.slice(0, 16)}…)`);
    else if (!signatureHolds(c, key)) problem(seq, 'its signature does not verify: it was altered or forged');
    else if (follows && c.previous !== replay.lastHash) {
      problem(seq, `does not follow checkpoint #${seq - 1}: the previous hash differs`);
    } else {
      if (c.kind === 'restored') {
        const at = replay.lineage.findIndex((l) => l.seq === c.restoredFrom);
        if (at < 0) problem(seq, `restores checkpoint #${c.restoredFrom}, which is not in the sink`);
        else {
          if (c.restoredFrom! < seq - 1) {
            replay.superseded.push({ from: c.restoredFrom! + 1, to: seq - 1, restoredAt: c.at });
          }
          replay.lineage = replay.lineage.slice(0, at + 1);
          replay.heads = new Map();
          for (const l of replay.lineage) applyHeads(replay.heads, l);
        }
      }
      replay.lineage.push(c);
      applyHeads(replay.heads, c);
      valid = true;
    }
    // After one that does not hold, the next is not compared with it: one problem, not two.
    replay.lastHash = valid ? hash : null;
  }
  return replay;
}

/** The heads in the sink's own terms. */
const headEntries = (heads: Map<string, HeadState>): HeadEntry[] =>
  [...heads].map(([id, h]) => [id, h.seq, h.hash]);

/** The head of every chain in the database: a skip scan over the (record_id, seq) key, one probe per chain. */
async function databaseHeads(db: Knex | Knex.Transaction): Promise<HeadEntry[]> {
  const { rows } = await db.raw<{ rows: { record_id: string; seq: number; hash: string }[] }>(
    `
    WITH RECURSIVE chains(record_id) AS (
      (SELECT record_id FROM events ORDER BY record_id LIMIT 1)
      UNION ALL
      SELECT (SELECT e.record_id FROM events e WHERE e.record_id > c.record_id ORDER BY e.record_id LIMIT 1)
        FROM chains c WHERE c.record_id IS NOT NULL
    )
    SELECT h.record_id, h.seq, h.hash FROM chains c
      CROSS JOIN LATERAL (SELECT record_id, seq, hash FROM events e
                           WHERE e.record_id = c.record_id ORDER BY seq DESC LIMIT 1) h
     WHERE h.record_id <> ?`,
    [CHECKPOINT_SUBJECT.id],
  );
  return rows.map((r) => [r.record_id, r.seq, r.hash.trim()]);
}

async function recordCount(db: Knex | Knex.Transaction): Promise<number> {
  const { rows } = await db.raw<{ rows: { n: number }[] }>('SELECT count(*)::int AS n FROM records');
  return rows[0]!.n;
}

const CHUNK = 2000;

/**
 * Compares checkpointed heads with the database: the chain must still hold an event at the
 * checkpointed seq with the checkpointed hash. Checking the head is enough, since the chain
 * verification proves every event before it links to it.
 */
async function compareHeads(
  db: Knex | Knex.Transaction,
  heads: [string, HeadState][],
): Promise<CheckpointProblem[]> {
  const problems: CheckpointProblem[] = [];
  for (let i = 0; i < heads.length; i += CHUNK) {
    const chunk = heads.slice(i, i + CHUNK);
    const { rows } = await db.raw<{ rows: { record_id: string; hash: string | null; top: number | null }[] }>(
      `SELECT c.record_id, e.hash, t.top
         FROM unnest(?::uuid[], ?::int[]) AS c(record_id, seq)
         LEFT JOIN events e ON e.record_id = c.record_id AND e.seq = c.seq
         LEFT JOIN LATERAL (SELECT max(x.seq) AS top FROM events x WHERE x.record_id = c.record_id) t ON true`,
      [chunk.map(([id]) => id), chunk.map(([, h]) => h.seq)],
    );
    const found = new Map(rows.map((r) => [r.record_id, r]));
    for (const [id, h] of chunk) {
      const row = found.get(id);
      const what = id === LEDGER_SUBJECT.id ? 'the ledger of seals' : `chain ${id}`;
      const recorded = `checkpoint #${h.checkpoint} recorded seq ${h.seq}`;
      if (!row || row.top === null) {
        problems.push({ where: 'chain', id, seq: h.seq, problem: `erased: ${what} is gone; ${recorded}` });
      } else if (row.top < h.seq) {
        problems.push({
          where: 'chain',
          id,
          seq: row.top + 1,
          problem: `tail deleted after seq ${row.top}: ${recorded}`,
        });
      } else if (row.hash?.trim() !== h.hash) {
        problems.push({
          where: 'chain',
          id,
          seq: h.seq,
          problem: `rewritten: event ${h.seq} of ${what} differs from ${recorded}, so events up to it were changed and rehashed`,
        });
      }
    }
  }
  return problems;
}

export interface CheckpointReport {
  sink: string;
  keyId: string;
  /** Checkpoint files read. */
  read: number;
  /** The checkpoint the database was checked against (the newest that describes it). */
  latest: {
    seq: number;
    kind: Checkpoint['kind'];
    at: string;
    ageSeconds: number;
    counts: Checkpoint['counts'];
  } | null;
  /** Checkpoints a restore undid: the data they describe was written after the backup and is gone. */
  superseded: { from: number; to: number; restoredAt: string }[];
  /** What was written after the latest checkpoint: protected by the hash chains only, until the next one. */
  uncovered: { chains: number; events: number };
  problems: CheckpointProblem[];
}

export class CheckpointRefusedError extends ConflictError {
  constructor(readonly problems: CheckpointProblem[]) {
    super(
      `no checkpoint taken: the audit trail no longer matches the last checkpoint (${problems[0]!.id}: ${problems[0]!.problem}); run attest verify`,
    );
  }
}

export interface CheckpointOptions {
  key: CheckpointKey;
  sink: CheckpointSink;
}

/** Two runtimes on one database never take the same checkpoint number. */
const LOCK_KEY = 0x41545354_43484b50n;

export interface CheckpointService {
  key: CheckpointKey;
  sink: CheckpointSink;
  /** Signs the chain heads into the sink, unless nothing changed since the last checkpoint (or `force`). */
  take(options?: { force?: boolean }): Promise<{ checkpoint: Checkpoint; written: boolean }>;
  /** Marks in the sink that the database was restored from a backup taken at checkpoint `from`. */
  restored(from: number): Promise<Checkpoint>;
  /** Checks the sink (signatures, the chain of checkpoints) and the database against it. */
  check(db?: Knex): Promise<CheckpointReport>;
  /** The checkpoints as the sink holds them, from the first to `upTo`, for a backup to carry. */
  files(upTo: number): Promise<{ seq: number; text: string }[]>;
}

export function createCheckpointService({
  knex,
  clock,
  key,
  sink,
}: CheckpointOptions & { knex: Knex; clock: Clock }): CheckpointService {
  let cached: Replay = emptyReplay();

  /** The sink as read so far plus what was added since, by this process or another. */
  async function current(): Promise<Replay> {
    const listed = await sink.list();
    const last = listed[listed.length - 1] ?? 0;
    // A sink that shrank, or problems seen before, are read again from the start.
    if (last < cached.lastSeq || cached.problems.length > 0) cached = emptyReplay();
    cached = await readSink(sink, key, cached);
    return cached;
  }

  /** Signs and writes the next checkpoint, then records in the database that it was written. */
  async function write(
    db: Knex | Knex.Transaction,
    body: Omit<CheckpointBody, 'format' | 'seq' | 'previous' | 'keyId' | 'at'>,
    replay: Replay,
  ) {
    const checkpoint = signBody(
      {
        format: CHECKPOINT_FORMAT,
        seq: replay.lastSeq + 1,
        at: clock.now().toISOString(),
        previous: replay.lastHash,
        keyId: key.keyId,
        ...body,
      },
      key,
    );
    await sink.publishKey(key.keyId, key.publicPem);
    await sink.write(checkpoint.seq, `${canonicalize(checkpoint)}\n`);
    await appendEvents(db, clock, CHECKPOINT_SUBJECT, SYSTEM_ACTOR, [
      {
        type: 'checkpoint.written',
        payload: { seq: checkpoint.seq, hash: checkpointHash(checkpoint), sink: sink.description },
      },
    ]);
    return checkpoint;
  }

  /**
   * Signs the heads of the chains as they are now and writes them to the sink, unless nothing
   * changed since the last checkpoint (then that one is returned, unless `force`). Refused when a
   * chain no longer holds what an earlier checkpoint signed: a checkpoint never certifies tampering.
   */
  async function take(
    options: { force?: boolean } = {},
  ): Promise<{ checkpoint: Checkpoint; written: boolean }> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await knex.transaction(async (trx) => {
          await trx.raw('SELECT pg_advisory_xact_lock(?::bigint)', [LOCK_KEY.toString()]);
          const replay = await current();
          const heads = await databaseHeads(trx);
          const changed = heads.filter(([id, seq, hash]) => {
            const known = replay.heads.get(id);
            return !known || known.seq !== seq || known.hash !== hash;
          });
          // Every chain whose checkpointed head moved or vanished must still hold that head.
          const now = new Map(heads.map(([id, seq, hash]) => [id, `${seq}:${hash}`]));
          const moved = [...replay.heads].filter(([id, h]) => now.get(id) !== `${h.seq}:${h.hash}`);
          const problems = await compareHeads(trx, moved);
          if (problems.length > 0) throw new CheckpointRefusedError(problems);
          const latest = replay.lineage[replay.lineage.length - 1];
          if (changed.length === 0 && latest && !options.force) return { checkpoint: latest, written: false };
          const checkpoint = await write(
            trx,
            {
              kind: 'checkpoint',
              counts: {
                chains: heads.length,
                events: heads.reduce((n, [, seq]) => n + seq, 0),
                records: await recordCount(trx),
              },
              root: merkleRoot(heads),
              heads: changed,
            },
            replay,
          );
          return { checkpoint, written: true };
        });
      } catch (error) {
        // A sink shared beyond this database's lock: read what the other writer added, try again.
        if (error instanceof CheckpointExistsError && attempt < 3) continue;
        throw error;
      }
    }
  }

  /**
   * Marks in the sink that the database was restored from a backup taken at checkpoint `from`:
   * the checkpoints after it describe data that is gone, and verification checks against `from`.
   */
  async function restored(from: number): Promise<Checkpoint> {
    const replay = await current();
    const base = replay.lineage.find((c) => c.seq === from);
    if (!base) throw new Error(`checkpoint #${from} is not in ${sink.description}`);
    const state = replay.lineage.slice(0, replay.lineage.indexOf(base) + 1);
    const heads = new Map<string, HeadState>();
    for (const c of state) applyHeads(heads, c);
    return write(
      knex,
      {
        kind: 'restored',
        restoredFrom: from,
        counts: base.counts,
        root: merkleRoot(headEntries(heads)),
        heads: [],
      },
      replay,
    );
  }

  /** Checks the sink (signatures, the chain of checkpoints) and the database against it. */
  async function check(db: Knex = knex): Promise<CheckpointReport> {
    const replay = await readSink(sink, key, emptyReplay());
    const problems = [...replay.problems];
    const latest = replay.lineage[replay.lineage.length - 1] ?? null;
    if (latest && merkleRoot(headEntries(replay.heads)) !== latest.root) {
      problems.push({
        where: 'checkpoint',
        id: `#${latest.seq}`,
        seq: latest.seq,
        problem: 'the heads of the checkpoints before it do not add up to its Merkle root',
      });
    }
    // The database remembers the last checkpoint written: a sink cut short shows.
    const anchored = (await eventRepository.lastOfType(db, CHECKPOINT_SUBJECT.id, 'checkpoint.written'))
      ?.payload as { seq: number; hash: string } | undefined;
    if (anchored && anchored.seq > replay.lastSeq) {
      const from = replay.lastSeq + 1;
      problems.push({
        where: 'checkpoint',
        id: `#${from}`,
        seq: from,
        problem: `${from === anchored.seq ? `checkpoint #${from} is` : `checkpoints #${from} to #${anchored.seq} are`} missing from the sink (the database recorded checkpoint #${anchored.seq} as written)`,
      });
    } else if (
      anchored &&
      replay.lastSeq === anchored.seq &&
      replay.lastHash !== null &&
      replay.lastHash !== anchored.hash
    ) {
      problems.push({
        where: 'checkpoint',
        id: `#${anchored.seq}`,
        seq: anchored.seq,
        problem: 'differs from the checkpoint the database recorded writing',
      });
    }
    problems.push(...(await compareHeads(db, [...replay.heads])));
    const uncovered = { chains: 0, events: 0 };
    for (const [id, seq] of await databaseHeads(db)) {
      const known = replay.heads.get(id)?.seq ?? 0;
      if (seq > known) {
        uncovered.chains += 1;
        uncovered.events += seq - known;
      }
    }
    if (latest) {
      const records = await recordCount(db);
      if (records < latest.counts.records) {
        problems.push({
          where: 'records',
          id: 'records',
          seq: null,
          problem: `${latest.counts.records - records} of the ${latest.counts.records} records counted by checkpoint #${latest.seq} are gone`,
        });
      }
    }
    return {
      sink: sink.description,
      keyId: key.keyId,
      read: replay.read,
      latest: latest && {
        seq: latest.seq,
        kind: latest.kind,
        at: latest.at,
        ageSeconds: Math.max(0, Math.round((clock.now().getTime() - Date.parse(latest.at)) / 1000)),
        counts: latest.counts,
      },
      superseded: replay.superseded,
      uncovered,
      problems,
    };
  }

  /** The checkpoints as the sink holds them, from the first to `upTo`, for a backup to carry. */
  async function files(upTo: number): Promise<{ seq: number; text: string }[]> {
    const seqs = (await sink.list()).filter((s) => s <= upTo);
    return Promise.all(seqs.map(async (seq) => ({ seq, text: await sink.read(seq) })));
  }

  return { key, sink, take, restored, check, files };
}
