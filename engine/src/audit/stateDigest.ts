import { canonicalize, sha256Hex } from '../kernel/canonicalJson.ts';

/**
 * Digests that events carry of state they do not spell out, so `attest verify` can prove the row a
 * GMP decision reads is the one its event attests: written by the writer in the transaction that
 * writes the row, recomputed by verification from the row as stored.
 */

/**
 * SHA-256 of a value as the database stores it: what JSON.stringify makes of it (`toJSON` applied,
 * `undefined` and functions dropped from objects and null in arrays), in canonical form (RFC 8785).
 */
export function jsonDigest(value: unknown): string {
  return sha256Hex(canonicalize(asStored(value) ?? null));
}

/** The JSON value JSON.stringify would write, without the text in between; `undefined`: left out. */
function asStored(value: unknown): unknown {
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    value = (value as { toJSON(): unknown }).toJSON();
  }
  if (typeof value === 'function' || typeof value === 'symbol' || value === undefined) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => asStored(v) ?? null);
  // No prototype: a key such as `__proto__` stays a plain key.
  const out = Object.create(null) as Record<string, unknown>;
  for (const [key, v] of Object.entries(value)) {
    const stored = asStored(v);
    if (stored !== undefined) out[key] = stored;
  }
  return out;
}

/** What a process instance is at the end of a move: the state its next move and every reader starts from. */
export interface InstanceState {
  definitionId: string;
  status: string;
  tokens: unknown;
  scopes: unknown;
  variables: unknown;
}

/**
 * What the last event of a move states of the instance it leaves: definition and status as they
 * are, tokens, scopes and variables by their digests, so verification names the part that differs.
 */
export interface InstanceStateDigest {
  definitionId: string;
  status: string;
  tokens: string;
  scopes: string;
  variables: string;
}

export function instanceStateDigest(state: InstanceState): InstanceStateDigest {
  return {
    definitionId: state.definitionId,
    status: state.status,
    tokens: jsonDigest(state.tokens),
    scopes: jsonDigest(state.scopes),
    variables: jsonDigest(state.variables),
  };
}

/** A digest of a password hash: proves which hash is stored without putting the hash in the trail. */
export function passwordDigest(passwordHash: string): string {
  return sha256Hex(`attest-password:${passwordHash}`);
}
