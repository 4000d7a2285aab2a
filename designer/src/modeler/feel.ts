import { parseExpression } from 'feelin';

/** Where a FEEL expression stops parsing, and what the person sees about it. */
export interface FeelSyntaxProblem {
  message: string;
  /** Character offsets of the offending text (an empty range where the parser gave up). */
  from: number;
  to: number;
}

/**
 * FEEL text as the engine keeps it: trimmed, without the leading `=` that some modelers write to
 * mark an expression.
 */
export function feelText(text: string): string {
  const trimmed = text.trim();
  return trimmed.startsWith('=') ? trimmed.slice(1).trim() : trimmed;
}

/**
 * The first syntax error of a FEEL expression, by parsing only, worded as the engine's import check
 * words it; null when it parses. Whether the expression means something is the server's to say.
 */
export function feelSyntaxProblem(expression: string): FeelSyntaxProblem | null {
  let found: FeelSyntaxProblem | null = null;
  parseExpression(expression, {}, undefined).iterate({
    enter(node) {
      if (found) return false;
      if (!node.type.isError) return undefined;
      const { from, to } = node;
      // An empty error node marks where the parser gave up: name the token it could not take.
      const next = /^(\s*)(\S+)/.exec(expression.slice(from));
      const token = from < to ? expression.slice(from, to) : next?.[2];
      const at = from < to ? from : from + (next?.[1]?.length ?? 0);
      const message = token
        ? `unexpected "${token}" at character ${at + 1}`
        : 'the expression ends too early';
      found = { message, from, to };
      return false;
    },
  });
  return found;
}

/** The inline message for a FEEL field: blank is fine (the field is optional), a syntax error is not. */
export function feelFieldError(value: string | undefined): string | null {
  const expression = feelText(value ?? '');
  if (expression === '') return null;
  const problem = feelSyntaxProblem(expression);
  return problem && `Not valid FEEL: ${problem.message}`;
}
