import { h } from '@attest/task-form/dom';
import { t, type MessageKey } from '@attest/task-form/i18n';
import { Problem } from '../../api.ts';
import { dialogField, openDialog, type DialogSpec } from '../../ui/dialog.ts';
import type { Me } from '../shell.ts';

type FieldError = Problem['errors'][number];

/** A labelled input with room for what the server says about it. */
export interface FieldRow {
  row: HTMLElement;
  input: HTMLElement;
  error: HTMLElement;
}

export function fieldRow(
  id: string,
  label: string,
  input: HTMLInputElement | HTMLTextAreaElement,
  hint?: string,
): FieldRow {
  const row = dialogField(id, label, input, hint);
  const error = h('small', { class: 'field-error', id: `${id}-error`, hidden: true });
  row.append(error);
  return { row, input, error };
}

/** Marks a field wrong with a message, or clears it (null). */
export function markField(field: FieldRow, message: string | null): void {
  field.error.textContent = message ?? '';
  field.error.hidden = message === null;
  if (message === null) {
    field.input.removeAttribute('aria-invalid');
    field.input.removeAttribute('aria-describedby');
  } else {
    field.input.setAttribute('aria-invalid', 'true');
    field.input.setAttribute('aria-describedby', field.error.id);
  }
}

/** Shows each error at the field its pointer names; returns the errors no field takes. */
export function showAtFields(errors: FieldError[], fields: Record<string, FieldRow>): FieldError[] {
  const messages = new Map<FieldRow, string[]>();
  const rest: FieldError[] = [];
  for (const field of Object.values(fields)) markField(field, null);
  for (const error of errors) {
    const pointer = Object.keys(fields).find((p) => error.pointer === p || error.pointer.startsWith(`${p}/`));
    if (pointer === undefined) rest.push(error);
    else messages.set(fields[pointer]!, [...(messages.get(fields[pointer]!) ?? []), error.message]);
  }
  for (const [field, said] of messages) markField(field, said.join('; '));
  messages.keys().next().value?.input.focus();
  return rest;
}

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

export interface SignatureSpec {
  id: string;
  title: string;
  /** What the signature is given for, in a sentence. */
  act: string;
  /** Proposed: the act takes effect once a second administrator approves it (dual control, A3). */
  meaning: 'Approved' | 'Rejected' | 'Proposed';
  me: Me;
  /** More of the dialog before the password, e.g. the roles being granted. */
  content?: (Node | null)[];
  /** A reason: required (a rejection, B3), optional, or none asked. */
  reason: 'required' | 'optional' | 'none';
  confirm: string;
  /** Sends the signature; a message keeps the dialog open and shows it, null closes it. */
  send(signature: { password: string; reason?: string }): Promise<string | null>;
}

/** An in-page modal of these pages; like every dialog, it closes when the page changes (see openDialog). */
export const adminDialog = (spec: DialogSpec): Promise<boolean> => openDialog(spec);

/**
 * The electronic signature of an administrative act (B1, B2): its meaning and the signer shown,
 * the password typed again, a reason where one is needed.
 */
export function signatureDialog(spec: SignatureSpec): Promise<boolean> {
  const password = h('input', { type: 'password', autocomplete: 'current-password' });
  const reason = spec.reason === 'none' ? null : h('textarea', { rows: '2', maxlength: '1000' });
  const passwordRow = fieldRow(`${spec.id}-password`, t('admin.sign.password'), password);
  const reasonRow = reason
    ? fieldRow(
        `${spec.id}-reason`,
        spec.reason === 'required' ? t('admin.sign.reasonRequired') : t('admin.sign.reasonOptional'),
        reason,
        t('admin.sign.reasonHint'),
      )
    : null;
  return adminDialog({
    id: spec.id,
    title: spec.title,
    content: [
      h('p', {}, spec.act),
      h(
        'p',
        { class: 'meaning', id: `${spec.id}-meaning` },
        t('admin.sign.meaning', { meaning: meaningLabel(spec.meaning) }),
      ),
      h(
        'p',
        { id: `${spec.id}-signer` },
        t('admin.sign.signer', { name: spec.me.user.printedName, username: spec.me.user.username }),
      ),
      ...(spec.content ?? []),
      passwordRow.row,
      reasonRow?.row ?? null,
      h('p', { class: 'note' }, t('admin.sign.binding')),
    ],
    confirm: spec.confirm,
    submit: async () => {
      markField(passwordRow, null);
      if (reasonRow) markField(reasonRow, null);
      const why = reason?.value.trim() ?? '';
      if (!password.value) {
        markField(passwordRow, t('admin.required'));
        password.focus();
        return t('admin.sign.passwordMissing');
      }
      if (reasonRow && spec.reason === 'required' && !why) {
        markField(reasonRow, t('admin.required'));
        reason?.focus();
        return t('admin.reasonMissing');
      }
      const problem = await spec.send({ password: password.value, ...(why && { reason: why }) });
      if (problem !== null) {
        password.value = '';
        password.focus();
      }
      return problem;
    },
  });
}

/**
 * Sends a signed act from a signature dialog: a refusal of the signature itself (the password, the
 * lock, the signature's fields) keeps the dialog open in `say`'s words; any other refusal closes it
 * and is kept for the page to show where it belongs.
 */
export function signedAct(
  act: (signature: { password: string; reason?: string }) => Promise<void>,
  say: (error: unknown) => string = problemText,
) {
  let refused: unknown = null;
  return {
    send: async (signature: { password: string; reason?: string }): Promise<string | null> => {
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

/** An act that is not signed but needs a reason (B3): deactivating, resetting, retiring. */
export function reasonDialog(spec: {
  id: string;
  title: string;
  text: string;
  confirm: string;
  send(reason: string): Promise<string | null>;
}): Promise<boolean> {
  const reason = h('textarea', { rows: '3', maxlength: '1000' });
  const reasonRow = fieldRow(`${spec.id}-reason`, t('admin.reason'), reason, t('admin.reasonHint'));
  return adminDialog({
    id: spec.id,
    title: spec.title,
    content: [h('p', {}, spec.text), reasonRow.row],
    confirm: spec.confirm,
    submit: async () => {
      const why = reason.value.trim();
      markField(reasonRow, why ? null : t('admin.required'));
      if (!why) return t('admin.reasonMissing');
      return spec.send(why);
    },
  });
}

/** Asks before an act that needs neither reason nor signature. */
export function confirmDialog(spec: {
  id: string;
  title: string;
  text: string;
  confirm: string;
  send(): Promise<string | null>;
}): Promise<boolean> {
  return adminDialog({
    id: spec.id,
    title: spec.title,
    content: [h('p', {}, spec.text)],
    confirm: spec.confirm,
    submit: () => spec.send(),
  });
}

/** Runs a request for a dialog: null when it succeeded, the refusal in words when not. */
export async function attempt(action: () => Promise<unknown>): Promise<string | null> {
  try {
    await action();
    return null;
  } catch (error) {
    return problemText(error);
  }
}

/** A message at the top of a page: what was done, or what went wrong. */
export function notice(host: HTMLElement, kind: 'success' | 'error', ...content: (Node | string)[]): void {
  host.className = `message ${kind}`;
  host.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  host.replaceChildren(...content);
  host.hidden = false;
  host.scrollIntoView({ block: 'nearest' });
}

/** A value of a manifest, a diff or an audit event as text. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object')) return value.join(', ') || '—';
  return JSON.stringify(value);
}

/** The page's heading with its actions beside it. */
export function pageHead(title: string, ...actions: (Node | null)[]): HTMLElement {
  return h(
    'div',
    { class: 'admin-head' },
    h('h1', {}, title),
    h('div', { class: 'admin-actions' }, ...actions),
  );
}

/** A table whose cells say their column on a narrow screen (a tablet upright). */
export function table(
  attributes: Record<string, string>,
  headings: string[],
  rows: HTMLTableRowElement[],
): HTMLTableElement {
  for (const row of rows) {
    [...row.cells].forEach((cell, i) => {
      if (headings[i]) cell.dataset.label = headings[i];
    });
  }
  return h(
    'table',
    { ...attributes, class: `records admin-table ${attributes.class ?? ''}`.trim() },
    h('thead', {}, h('tr', {}, ...headings.map((text) => h('th', { scope: 'col' }, text)))),
    h('tbody', {}, ...rows),
  );
}
