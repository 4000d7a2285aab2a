import { FEEL_LIMITS, feelLimitProblem, feelSyntaxError, feelText } from '@attest/engine/browser';

export { feelText };

/**
 * The inline message for a FEEL field, worded as the engine's import check words it: blank is fine
 * (the field is optional), a syntax error or an expression beyond the FEEL limits is not. Whether the expression means something is the
 * server's to say.
 */
export function feelFieldError(value: string | undefined): string | null {
  const expression = feelText(value ?? '');
  if (expression === '') return null;
  // Length first: a text too long to accept is not worth parsing as the person types.
  const tooLong = expression.length > FEEL_LIMITS.characters;
  const problem = tooLong ? null : feelSyntaxError(expression);
  if (problem) return `Not valid FEEL: ${problem.message}`;
  const limit = feelLimitProblem(expression);
  return limit && `Exceeds the FEEL limits: ${limit}`;
}
