import { canonicalize, sha256Hex } from '../canonicalJson.ts';

/**
 * Digests that events carry of state they do not spell out, so `attest verify` can prove the row a
 * GMP decision reads is the one its event attests: written by the writer in the transaction that
 * writes the row, recomputed by verification from the row as stored.
 */

/** SHA-256 of a JSON value as the database stores it (jsonb drops `undefined` like JSON does). */
export function jsonDigest(value: unknown): string {
  let text: string;
  try {
    text = canonicalize(value);
  } catch {
    text = canonicalize(JSON.parse(JSON.stringify(value)) as unknown);
  }
  return sha256Hex(text);
}

/** What a process instance is at the end of a move: the state its next move and every reader starts from. */
export interface InstanceState {
  definitionId: string;
  status: string;
  tokens: unknown;
  scopes: unknown;
  variables: unknown;
}

export function instanceStateDigest(state: InstanceState): string {
  return jsonDigest({
    definitionId: state.definitionId,
    status: state.status,
    tokens: state.tokens,
    scopes: state.scopes,
    variables: state.variables,
  });
}

/** A digest of a password hash: proves which hash is stored without putting the hash in the trail. */
export function passwordDigest(passwordHash: string): string {
  return sha256Hex(`attest-password:${passwordHash}`);
}
