import { h } from '@attest/task-form/dom';
import { t } from '@attest/task-form/i18n';
import { onAsync } from '../events.ts';

export interface DialogSpec {
  id: string;
  title: string;
  /** What the dialog explains and asks for, inputs included. */
  content: (Node | null)[];
  confirm: string;
  /** Runs on confirm; a message keeps the dialog open and shows it, null closes it. */
  submit(): Promise<string | null>;
}

/**
 * An in-page modal (never `window.prompt`): resolves true once `submit` succeeded, false when the
 * person cancelled (the button, Escape, or leaving the page), in which case nothing was sent.
 */
export function openDialog(spec: DialogSpec): Promise<boolean> {
  const message = h('p', { class: 'message error', role: 'alert', hidden: true });
  const confirm = h('button', { type: 'submit', class: 'primary', 'data-action': 'confirm' }, spec.confirm);
  const cancel = h('button', { type: 'button', 'data-action': 'cancel' }, t('common.cancel'));
  const titleId = `${spec.id}-title`;
  const form = h(
    'form',
    { class: 'dialog-body', novalidate: true },
    h('h2', { id: titleId }, spec.title),
    ...spec.content,
    message,
    h('div', { class: 'actions' }, cancel, confirm),
  );
  const dialog = h('dialog', { id: spec.id, class: 'modal', 'aria-labelledby': titleId }, form);
  document.body.append(dialog);
  return new Promise((resolve) => {
    let busy = false;
    // A dialog belongs to the page that opened it: back or a link closes it, sending nothing.
    const leave = () => {
      if (!busy) close(false);
    };
    const close = (done: boolean) => {
      removeEventListener('hashchange', leave);
      dialog.close();
      dialog.remove();
      resolve(done);
    };
    addEventListener('hashchange', leave);
    cancel.addEventListener('click', () => {
      if (!busy) close(false);
    });
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      if (!busy) close(false);
    });
    onAsync(form, 'submit', async (event) => {
      event.preventDefault();
      if (busy) return;
      busy = true;
      confirm.disabled = true;
      cancel.disabled = true;
      message.hidden = true;
      try {
        const problem = await spec.submit();
        if (problem === null) return close(true);
        message.textContent = problem;
        message.hidden = false;
      } finally {
        busy = false;
        confirm.disabled = false;
        cancel.disabled = false;
      }
    });
    dialog.showModal();
    (form.querySelector('input, textarea') as HTMLElement | null)?.focus();
  });
}

/** A labelled input for a dialog. */
export function dialogField(
  id: string,
  label: string,
  input: HTMLInputElement | HTMLTextAreaElement,
  hint?: string,
): HTMLElement {
  input.id = id;
  input.name = id;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('small', {}, hint) : null,
  );
}
