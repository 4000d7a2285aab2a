import type { ComponentChildren } from 'preact';
import { problemText } from '../../ui/problem.ts';
import { signatureProblem, type SignatureInput } from '../../ui/SignatureDialog.tsx';

/**
 * Sends a signed act from a signature dialog: a refusal of the signature itself (the password, the
 * lock, the signature's fields) keeps the dialog open in `say`'s words; any other refusal closes it
 * and is kept for the page to show where it belongs.
 */
export function signedAct(
  act: (signature: SignatureInput) => Promise<void>,
  say: (error: unknown) => string = problemText,
) {
  let refused: unknown = null;
  return {
    send: async (signature: SignatureInput): Promise<string | null> => {
      try {
        await act(signature);
        return null;
      } catch (error) {
        if (signatureProblem(error)) return say(error);
        refused = error;
        return null;
      }
    },
    refused: (): unknown => refused,
  };
}

/** A value of a manifest, a diff or an audit event as text. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object')) return value.join(', ') || '—';
  return JSON.stringify(value);
}

/** The page's heading with its actions beside it. */
export function PageHead(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="admin-head">
      <h1>{props.title}</h1>
      <div class="admin-actions">{props.children}</div>
    </div>
  );
}
