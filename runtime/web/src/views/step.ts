import {
  componentPath,
  templateOf,
  valueText,
  type FieldError,
  type FieldState,
  type Meaning,
  type StepSignature,
  type Submission,
  type TaskDetail,
  type TaskForm,
} from '@attest/task-form';
import { h, show } from '@attest/task-form/dom';
import { t, type MessageKey } from '@attest/task-form/i18n';
import { Problem, request } from '../api.ts';
import { setNotice } from '../notice.ts';
import type { RenderedTaskForm } from '../taskForm/renderer.ts';
import { dialogField, openDialog } from '../ui/dialog.ts';
import type { Me } from './shell.ts';
import { onAsync } from '../events.ts';

const MEANING_KEYS: Record<Meaning, MessageKey> = {
  Performed: 'meaning.performed',
  Verified: 'meaning.verified',
  Reviewed: 'meaning.reviewed',
  Approved: 'meaning.approved',
  Released: 'meaning.released',
  Rejected: 'meaning.rejected',
};
const SEVERITY_KEYS: Record<string, MessageKey> = {
  low: 'severity.low',
  medium: 'severity.medium',
  high: 'severity.high',
};
const meaningLabel = (meaning: Meaning) => t(MEANING_KEYS[meaning]);

type SignatureInput = { password: string; reason?: string };

/** The form on screen: formio.js lets it go when the step is drawn again or the page changes. */
let onScreen: RenderedTaskForm | null = null;
function leaveForm(): void {
  onScreen?.destroy();
  onScreen = null;
}
addEventListener('hashchange', leaveForm);

/**
 * The operator's step: the step and its record, the form rendered with formio.js from the renderer
 * contract (instructions, units and limits, locks, N/A, values changed after entry), exceptions,
 * second-person verification of critical values, and completion — with an electronic signature
 * when the model signs the step.
 */
export async function stepView(container: HTMLElement, me: Me, taskId: string): Promise<void> {
  leaveForm();
  const task = await request<TaskDetail>('GET', `/api/tasks/${encodeURIComponent(taskId)}`);
  const contract = task.formKey ? await request<TaskForm>('GET', `/api/tasks/${task.id}/form`) : null;
  await draw(container, me, task, contract);
}

const present = <T>(node: T | null | undefined | false): node is T => Boolean(node);

async function draw(
  container: HTMLElement,
  me: Me,
  task: TaskDetail,
  contract: TaskForm | null,
  notice?: string,
): Promise<void> {
  const open = task.status === 'open';
  const step = task.name ?? task.elementId;
  const problems = h('div', { id: 'step-errors', class: 'message error', role: 'alert', hidden: true });
  const status = h('p', { id: 'step-status', class: 'message success', role: 'status' }, notice ?? '');
  status.hidden = !notice;
  const formHost = h(
    'div',
    { id: 'step-form', class: 'step-form' },
    h('p', { class: 'loading' }, t('common.loading')),
  );
  const reason = h('textarea', { rows: '2', maxlength: '1000' });
  const reasonError = h('small', { class: 'field-error', hidden: true });
  const reasonRow = dialogField('step-reason', t('step.changeReason'), reason, t('step.changeReasonHint'));
  reasonRow.append(reasonError);
  reasonRow.hidden = !contract || contract.values.length === 0;
  const save = h('button', { type: 'button', id: 'step-save' }, t('step.save'));
  const complete = h(
    'button',
    { type: 'button', class: 'primary', id: 'step-complete' },
    task.signature ? t('step.completeSign') : t('step.complete'),
  );
  const redraw = (next: TaskForm, message?: string) => {
    leaveForm();
    return draw(container, me, task, next, message);
  };

  show(
    container,
    ...[
      h('p', { class: 'crumbs' }, h('a', { href: '#/tasks' }, t('step.back'))),
      h('h1', { id: 'step-name' }, step),
      task.record &&
        h('p', { class: 'step-record', id: 'step-record' }, `${task.record.number} · ${task.record.title}`),
      open && signatureNote(task.signature),
      !open && h('p', { class: 'note' }, t(task.status === 'completed' ? 'step.done' : 'step.withdrawn')),
      status,
      problems,
      contract && exceptionsList(contract),
      contract && changedList(contract),
      contract &&
        open &&
        verificationPanel(task, contract, (verified) => void redraw(verified, t('step.verified'))),
      contract ? formHost : h('p', { class: 'note', id: 'step-no-form' }, t('step.noForm')),
      open && contract && reasonRow,
      open && h('div', { class: 'step-actions' }, contract && save, complete),
    ].filter(present),
  );

  let rendered: RenderedTaskForm | null = null;
  if (contract) {
    const { renderTaskForm } = await import('../taskForm/renderer.ts');
    formHost.replaceChildren();
    rendered = onScreen = await renderTaskForm(formHost, contract);
  }
  if (!open) return;

  const fields = contract?.fields ?? [];
  const clearProblems = () => {
    problems.hidden = true;
    status.hidden = true;
    reasonError.hidden = true;
    reason.removeAttribute('aria-invalid');
    rendered?.clearErrors();
  };
  /** Shows a refusal: each error at its field, and all of them listed at the top. */
  const showProblem = (error: unknown) => {
    if (!(error instanceof Problem)) {
      problems.replaceChildren(t('common.error', { detail: (error as Error).message }));
      problems.hidden = false;
      return;
    }
    rendered?.showErrors(error.errors);
    const atReason = error.errors.filter((e) => e.pointer === '/reason');
    if (atReason.length > 0) {
      reasonRow.hidden = false;
      reason.setAttribute('aria-invalid', 'true');
      reasonError.textContent = atReason.map((e) => e.message).join('; ');
      reasonError.hidden = false;
    }
    const listed = error.errors.map((e) =>
      h('li', { 'data-pointer': e.pointer }, errorText(e, fields, componentPath(e.pointer, fields))),
    );
    problems.replaceChildren(
      h('strong', {}, listed.length > 0 ? t('step.notDone') : error.detail),
      ...(listed.length > 0 ? [h('ul', {}, ...listed)] : []),
    );
    problems.hidden = false;
    problems.scrollIntoView({ block: 'nearest' });
  };
  const body = (): Partial<Submission> & { reason?: string } => {
    if (!rendered) return {};
    const { data, na } = rendered.submission();
    const why = reason.value.trim();
    return { data, ...(Object.keys(na).length > 0 && { na }), ...(why && { reason: why }) };
  };
  const busy = (on: boolean) => {
    save.disabled = on;
    complete.disabled = on;
  };

  onAsync(save, 'click', async () => {
    clearProblems();
    busy(true);
    try {
      const saved = await request<TaskForm>('PUT', `/api/tasks/${task.id}/values`, body());
      await redraw(saved, t('step.saved'));
    } catch (error) {
      showProblem(error);
    } finally {
      busy(false);
    }
  });

  onAsync(complete, 'click', async () => {
    clearProblems();
    const submission = body();
    let refused: unknown = null;
    const send = async (signature?: SignatureInput): Promise<unknown> => {
      try {
        await request('POST', `/api/tasks/${task.id}/complete`, {
          ...submission,
          ...(signature && { signature }),
        });
        return null;
      } catch (error) {
        return error;
      }
    };
    busy(true);
    try {
      const done = task.signature
        ? await signDialog(task.signature, me, async (signature) => {
            const error = await send(signature);
            if (error === null) return null;
            // A wrong password or a missing reason is answered in the dialog; the rest at the fields.
            if (signatureProblem(error)) return (error as Problem).detail;
            refused = error;
            return null;
          })
        : await openDialog({
            id: 'confirm-dialog',
            title: t('step.confirmTitle'),
            content: [h('p', {}, t('step.confirmText', { step }))],
            confirm: t('step.complete'),
            submit: async () => {
              refused = await send();
              return null;
            },
          });
      if (!done) return;
      if (refused) return showProblem(refused);
      setNotice(
        task.signature
          ? t('step.completedSigned', { step, meaning: meaningLabel(task.signature.meaning) })
          : t('step.completed', { step }),
      );
      location.hash = '#/tasks';
    } finally {
      busy(false);
    }
  });
}

/** A refusal the signature dialog answers itself: the password, the lock, the reason for a rejection. */
function signatureProblem(error: unknown): boolean {
  if (!(error instanceof Problem)) return false;
  if (error.status === 401 || error.status === 423) return true;
  return error.errors.length > 0 && error.errors.every((e) => e.pointer.startsWith('/signature'));
}

/** An error as the list at the top reads it: named after its field when the message does not say. */
function errorText(error: FieldError, fields: FieldState[], path: string | null): string {
  if (error.pointer === '/reason') return `${t('step.changeReason')}: ${error.message}`;
  if (path === null) return error.message;
  const pointer = error.pointer.replace(/^\/(na|sources)(?=\/)/, '');
  const field = fields.find((f) => f.pointer === templateOf(pointer));
  if (!field || error.message.startsWith(field.label)) return error.message;
  return `${field.label}: ${error.message}`;
}

function signatureNote(signature: StepSignature | null): HTMLElement | null {
  if (!signature) return null;
  const meaning = meaningLabel(signature.meaning);
  return h(
    'p',
    { class: 'signature-note', id: 'step-signature' },
    signature.rejectable
      ? t('step.signedRejectable', { meaning, rejected: meaningLabel('Rejected') })
      : t('step.signed', { meaning }),
  );
}

function exceptionsList(contract: TaskForm): HTMLElement | null {
  if (contract.exceptions.length === 0) return null;
  return h(
    'section',
    { class: 'panel exceptions', id: 'step-exceptions' },
    h('h2', {}, t('step.exceptions')),
    h(
      'ul',
      {},
      ...contract.exceptions.map((e) =>
        h(
          'li',
          { class: `exception ${e.severity}`, 'data-pointer': e.pointer ?? undefined },
          h(
            'span',
            { class: `badge severity-${e.severity}` },
            t(SEVERITY_KEYS[e.severity] ?? 'severity.high'),
          ),
          e.blocking ? h('span', { class: 'badge danger' }, t('step.blocking')) : null,
          h('span', {}, e.message),
        ),
      ),
    ),
  );
}

const fieldOf = (contract: TaskForm, pointer: string) =>
  contract.fields.find((f) => f.pointer === templateOf(pointer));

/** A value with its unit, as lists outside the form show it. */
function valueWithUnit(value: unknown, field: FieldState | undefined): string {
  const text = valueText(value, field);
  return field?.unit && text !== '—' ? `${text} ${field.unit}` : text;
}

/** Values changed after their first entry (D5): what they were, and why they changed. */
function changedList(contract: TaskForm): HTMLElement | null {
  const changed = contract.values.filter((v) => v.changedAfterEntry);
  if (changed.length === 0) return null;
  return h(
    'section',
    { class: 'panel changed', id: 'step-changed' },
    h('h2', {}, t('step.changedValues')),
    h(
      'ul',
      {},
      ...changed.map((v) => {
        const field = fieldOf(contract, v.pointer);
        const was = `${field?.label ?? v.pointer}: ${valueWithUnit(v.originalValue, field)} → ${valueWithUnit(v.value, field)}`;
        return h('li', { 'data-pointer': v.pointer }, v.changeReason ? `${was} (${v.changeReason})` : was);
      }),
    ),
  );
}

/**
 * Critical values typed by hand wait for a second person (E5): they verify at this device with
 * their own user name and password; their signature means Verified.
 */
function verificationPanel(
  task: TaskDetail,
  contract: TaskForm,
  verified: (contract: TaskForm) => void,
): HTMLElement | null {
  const waiting = contract.values.filter((v) => v.needsVerification);
  if (waiting.length === 0) return null;
  const items = () =>
    h(
      'ul',
      { class: 'to-verify' },
      ...waiting.map((v) => {
        const field = fieldOf(contract, v.pointer);
        return h(
          'li',
          { 'data-pointer': v.pointer },
          `${field?.label ?? v.pointer}: ${valueWithUnit(v.value, field)}`,
        );
      }),
    );
  const button = h('button', { type: 'button', id: 'step-verify' }, t('step.verify'));
  onAsync(button, 'click', async () => {
    const username = h('input', {
      type: 'text',
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
    });
    const password = h('input', { type: 'password', autocomplete: 'off' });
    let answer: TaskForm | null = null;
    const done = await openDialog({
      id: 'verify-dialog',
      title: t('verify.title'),
      content: [
        h('p', {}, t('verify.who', { meaning: meaningLabel('Verified') })),
        items(),
        dialogField('verify-username', t('verify.username'), username),
        dialogField('verify-password', t('verify.password'), password),
      ],
      confirm: t('verify.submit'),
      submit: async () => {
        try {
          answer = await request<TaskForm>('POST', `/api/tasks/${task.id}/verification`, {
            username: username.value.trim(),
            password: password.value,
          });
          return null;
        } catch (error) {
          password.value = '';
          return error instanceof Problem ? error.detail : (error as Error).message;
        }
      },
    });
    if (done && answer) verified(answer);
  });
  return h(
    'section',
    { class: 'panel verification', id: 'step-verification' },
    h('h2', {}, t('step.verifyTitle')),
    h('p', {}, t('step.verifyNeeded')),
    items(),
    button,
  );
}

/** The electronic signature of a completion (B1, B2): meaning and signer shown, password typed again. */
function signDialog(
  signature: StepSignature,
  me: Me,
  submit: (input: SignatureInput) => Promise<string | null>,
): Promise<boolean> {
  const password = h('input', { type: 'password', autocomplete: 'current-password' });
  const reason = signature.rejectable ? h('textarea', { rows: '2', maxlength: '1000' }) : null;
  return openDialog({
    id: 'sign-dialog',
    title: t('sign.title'),
    content: [
      h(
        'p',
        { class: 'meaning', id: 'sign-meaning' },
        t('sign.meaning', { meaning: meaningLabel(signature.meaning) }),
      ),
      signature.rejectable
        ? h('p', { class: 'note' }, t('sign.rejectable', { rejected: meaningLabel('Rejected') }))
        : null,
      h(
        'p',
        { id: 'sign-signer' },
        t('sign.signer', { name: me.user.printedName, username: me.user.username }),
      ),
      dialogField('sign-password', t('sign.password'), password),
      reason ? dialogField('sign-reason', t('sign.reason'), reason, t('sign.reasonHint')) : null,
      h('p', { class: 'note' }, t('sign.binding')),
    ],
    confirm: t('sign.submit'),
    submit: async () => {
      const why = reason?.value.trim();
      const problem = await submit({ password: password.value, ...(why && { reason: why }) });
      if (problem !== null) {
        password.value = '';
        password.focus();
      }
      return problem;
    },
  });
}
