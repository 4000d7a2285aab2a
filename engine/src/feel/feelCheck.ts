import { parseExpression, SyntaxError as FeelSyntaxError } from 'feelin';

/**
 * FEEL text as the engine keeps it: trimmed, without the leading `=` that some modelers write to
 * mark an expression (a FEEL expression itself never starts with `=`).
 */
export function feelText(text: string): string {
  const trimmed = text.trim();
  return trimmed.startsWith('=') ? trimmed.slice(1).trim() : trimmed;
}

/** The first syntax error of a FEEL expression, found by parsing only; null when it parses. */
export function feelSyntaxError(expression: string): FeelSyntaxError | null {
  let found: FeelSyntaxError | null = null;
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
      found = new FeelSyntaxError(message, { input: expression.slice(from, to), position: { from, to } });
      return false;
    },
  });
  return found;
}
