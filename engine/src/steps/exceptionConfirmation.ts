import { InputError, type FieldError } from '../kernel/errors.ts';
import type { ExceptionDraft, FormRuntime } from '../forms/pipeline.ts';

/**
 * What the operator says about the values outside their limits when completing a step (F4), and
 * about a lot used other than the one first-expiry-first-out proposes (F3): the pointers of the
 * exceptions they have seen and confirm, and their comment on each — which the template may
 * require for a breach (`limits.comment`), and which is always the reason for a FEFO override.
 */
export interface Acknowledgement {
  /** Values outside their limits the operator confirms, by pointer. */
  confirmed?: string[];
  /** The operator's comment on a value outside its limits, by pointer. */
  comments?: Record<string, string>;
}

const COMMENT_MAX = 1000;

/**
 * The exceptions a completion raises, with the operator's comments, once every value outside its
 * limits is confirmed and commented where the template asks: a completion that raises a breach the
 * operator has not confirmed is refused, so no path (another client, a retry, the API) completes a
 * step over a breach nobody saw. Nothing is written when this refuses.
 */
export function acknowledged(
  runtime: FormRuntime,
  raised: ExceptionDraft[],
  input: Acknowledgement,
): ExceptionDraft[] {
  const confirmed = new Set(input.confirmed ?? []);
  const comments = new Map<string, string>();
  for (const [pointer, text] of Object.entries(input.comments ?? {})) {
    const comment = typeof text === 'string' ? text.trim() : '';
    if (comment) comments.set(pointer, comment);
  }
  const unconfirmed: FieldError[] = [];
  const comment: FieldError[] = [];
  const breaches = raised.filter((e) => e.type === 'limit_breach' || e.type === 'fefo_override');
  for (const e of breaches) {
    if (!confirmed.has(e.pointer))
      unconfirmed.push({ pointer: e.pointer, keyword: 'confirmation', message: e.message });
    const fefo = e.type === 'fefo_override';
    if ((fefo || runtime.commentAsked(e.pointer)) && !comments.has(e.pointer)) {
      comment.push({
        pointer: `/comments${e.pointer}`,
        keyword: 'required',
        message: fefo
          ? `${e.message}: give the reason for not using the lot that expires first`
          : `${e.message}: the template asks for your comment on it`,
      });
    }
  }
  for (const [pointer, text] of comments) {
    if (!breaches.some((e) => e.pointer === pointer)) {
      comment.push({
        pointer: `/comments${pointer}`,
        keyword: 'comment',
        message:
          'a comment is kept only for a value outside its limits or a lot used out of FEFO order, and this is neither',
      });
    } else if (text.length > COMMENT_MAX) {
      comment.push({
        pointer: `/comments${pointer}`,
        keyword: 'maxLength',
        message: `must have at most ${COMMENT_MAX} characters`,
      });
    }
  }
  if (unconfirmed.length > 0 || comment.length > 0) {
    throw new InputError(
      unconfirmed.length > 0
        ? `${unconfirmed.length === 1 ? 'A value is' : `${unconfirmed.length} values are`} ${raised.some((e) => e.type === 'fefo_override') ? 'out of limits or of FEFO order' : 'outside the limits'} and not confirmed: ${unconfirmed.map((e) => e.message).join('; ')}`
        : `The comments on values outside their limits are not complete: ${comment.map((e) => e.message).join('; ')}`,
      [
        ...unconfirmed.map((e) => ({ ...e, message: `${e.message}: confirm it before completing the step` })),
        ...comment,
      ],
    );
  }
  return raised.map((e) =>
    comments.has(e.pointer) && (e.type === 'limit_breach' || e.type === 'fefo_override')
      ? { ...e, details: { ...e.details, comment: comments.get(e.pointer) } }
      : e,
  );
}
