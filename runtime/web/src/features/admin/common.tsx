import { t, type MessageKey } from '@attest/task-form/i18n';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { Problem } from '../../api.ts';

export type FieldError = Problem['errors'][number];

/** A refusal in words: the detail, and every error with where it is. */
export function problemText(error: unknown): string {
  if (!(error instanceof Problem)) return t('admin.error', { detail: (error as Error).message });
  if (error.errors.length === 0) return error.detail;
  const listed = error.errors.map((e) => (e.pointer ? `${e.pointer}: ${e.message}` : e.message));
  return `${error.detail} ${listed.join('; ')}`;
}

/** A refusal the signature dialog answers itself: the password, the lock, the signature's own fields. */
export function signatureProblem(error: unknown): boolean {
  if (!(error instanceof Problem)) return false;
  if (error.status === 401 || error.status === 423) return true;
  return (
    error.errors.length > 0 &&
    error.errors.every((e) => e.pointer.startsWith('/signature') || e.pointer === '/password')
  );
}

export const MEANINGS: Record<string, MessageKey> = {
  Approved: 'admin.meaning.approved',
  Rejected: 'admin.meaning.rejected',
  Proposed: 'admin.meaning.proposed',
};
export const meaningLabel = (meaning: string) => (MEANINGS[meaning] ? t(MEANINGS[meaning]) : meaning);

/** Runs a request for a dialog: null when it succeeded, the refusal in words when not. */
export async function attempt(action: () => Promise<unknown>): Promise<string | null> {
  try {
    await action();
    return null;
  } catch (error) {
    return problemText(error);
  }
}

export interface Signature {
  password: string;
  reason?: string;
}

/**
 * Sends a signed act from a signature dialog: a refusal of the signature itself (the password, the
 * lock, the signature's fields) keeps the dialog open in `say`'s words; any other refusal closes it
 * and is kept for the page to show where it belongs.
 */
export function signedAct(
  act: (signature: Signature) => Promise<void>,
  say: (error: unknown) => string = problemText,
) {
  let refused: unknown = null;
  return {
    send: async (signature: Signature): Promise<string | null> => {
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

/** What a page's message says: what was done, or what went wrong. */
export interface NoticeState {
  kind: 'success' | 'error';
  content: ComponentChildren;
}

/** A message at the top of a page, hidden until there is something to say; it scrolls into view. */
export function Notice(props: { id: string; notice: NoticeState | null; as?: 'p' | 'div' }) {
  const ref = useRef<HTMLElement>(null);
  const { notice } = props;
  useEffect(() => {
    if (notice) ref.current?.scrollIntoView({ block: 'nearest' });
  }, [notice]);
  const Tag = props.as ?? 'p';
  return (
    <Tag
      ref={ref as never}
      id={props.id}
      class={notice ? `message ${notice.kind}` : 'message'}
      role={notice ? (notice.kind === 'error' ? 'alert' : 'status') : undefined}
      hidden={!notice}
    >
      {notice?.content}
    </Tag>
  );
}

/** The attributes of an input a field's label and error message belong to. */
export function fieldProps(id: string, error: string | null | undefined) {
  return {
    id,
    name: id,
    'aria-invalid': error ? ('true' as const) : undefined,
    'aria-describedby': error ? `${id}-error` : undefined,
  };
}

/** A labelled input with a hint and room for what the server says about it. */
export function Field(props: {
  id: string;
  label: string;
  hint?: string;
  error?: string | null;
  children: ComponentChildren;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint ? <small>{props.hint}</small> : null}
      <FieldMessage id={`${props.id}-error`} error={props.error} />
    </div>
  );
}

/** What is wrong with a field, in the place screen readers are pointed to. */
export function FieldMessage(props: { id: string; error?: string | null }) {
  return (
    <small class="field-error" id={props.id} hidden={!props.error}>
      {props.error ?? ''}
    </small>
  );
}

/**
 * Sorts errors to the fields their pointers name (a pointer within a field counts for it): the
 * messages by field, and the errors no field takes.
 */
export function errorsAtFields<F extends string>(
  errors: FieldError[],
  fields: Record<F, string>,
): { at: Partial<Record<F, string>>; rest: FieldError[]; first: string | null } {
  const at: Partial<Record<F, string>> = {};
  const rest: FieldError[] = [];
  let first: string | null = null;
  for (const error of errors) {
    const field = (Object.keys(fields) as F[]).find(
      (f) => error.pointer === fields[f] || error.pointer.startsWith(`${fields[f]}/`),
    );
    if (field === undefined) rest.push(error);
    else {
      at[field] = at[field] ? `${at[field]}; ${error.message}` : error.message;
      first ??= field;
    }
  }
  return { at, rest, first };
}
