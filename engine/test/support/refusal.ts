import assert from 'node:assert/strict';
import { InputError, type AttestError } from '../../src/index.ts';

/** The error a promise is refused with, of the kind expected (an input error unless told). */
export async function refusal(
  promise: Promise<unknown>,
  kind: new (...a: never[]) => AttestError = InputError,
): Promise<AttestError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof kind, `expected ${kind.name}, got ${String(error)}`);
    return error as AttestError;
  }
  assert.fail('expected a refusal');
}
