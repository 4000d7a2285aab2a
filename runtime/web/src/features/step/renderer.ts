import { Formio, Templates, Utils } from '@formio/js/form';
import {
  componentPath,
  formDefinition,
  initialData,
  limitBreach,
  submissionOf,
  usesDates,
  type FieldError,
  type Submission,
  type TaskForm,
} from '@attest/task-form';
import {
  applyStyles,
  configureFormio,
  loadTimeZones,
  observeStyles,
  type FormioComponentInstance,
  type Webform,
} from '@attest/task-form/formio';
import { language, t } from '@attest/task-form/i18n';
import { formioZhCN } from '@attest/task-form/i18n/formio.zh-CN';
import { api } from '../../api/client.ts';

/** The formio.js build the step view runs: the form renderer without the builder. */
const BUILD = { Templates, Utils };

/**
 * The formio.js part of the step view, loaded only when a step with a form opens (its own chunk,
 * so the task list stays light). It runs under the app's Content-Security-Policy: nothing is
 * evaluated, nothing is fetched from a CDN, no inline style is parsed.
 */

export interface RenderedTaskForm {
  /** The data as the API takes it, with N/A answers by pointer. */
  submission(): Submission;
  /** Puts a value the server entered (a device reading) into its field, leaving the others as typed. */
  setValue(pointer: string, value: unknown): void;
  /** Shows each error under its field, where a field shows it (the step view lists them all). */
  showErrors(errors: FieldError[]): void;
  clearErrors(): void;
  destroy(): void;
}

/** Renders a task's form into the element with formio.js, prefilled with its current values. */
export async function renderTaskForm(element: HTMLElement, contract: TaskForm): Promise<RenderedTaskForm> {
  const options = {
    noAlerts: true,
    noDefaultSubmitButton: true,
    readOnly: contract.status !== 'open',
    templates: configureFormio(BUILD),
    // formio.js's own texts (its messages, grid and choice controls) in the person's language.
    language: language(),
    i18n: { 'zh-CN': formioZhCN },
  };
  const stopStyles = observeStyles(element);
  const components = formDefinition(contract, t);
  if (usesDates(components)) await loadTimeZones(BUILD);
  const form = (await Formio.createForm(
    element,
    { display: 'form', components },
    options,
  )) as unknown as Webform;
  await form.setSubmission({ data: initialData(contract) });
  // Shown and hidden as the values say at once (an N/A answer hides its field), not after the next change.
  form.checkConditions(form.data);
  applyStyles(element);

  // The server's messages sit under their fields in elements of their own: formio.js's validation,
  // which runs on every change, empties its own message containers, and the server has the last word.
  const shown = new Map<FormioComponentInstance, HTMLElement>();
  const unmark = (component: FormioComponentInstance) => {
    shown.get(component)?.remove();
    component.element?.classList.remove('attest-invalid');
    shown.delete(component);
  };
  const clearErrors = () => [...shown.keys()].forEach(unmark);
  const markBreaches = watchLimits(form, contract);
  const current = () => submissionOf(JSON.parse(JSON.stringify(form.data)) as Record<string, unknown>);
  const recalculate = watchCalculated(form, contract, current);
  // A field changed again is no longer what the server refused.
  form.on('change', (event) => {
    const changed = (event as { changed?: { instance?: FormioComponentInstance } } | undefined)?.changed;
    if (changed?.instance) {
      unmark(changed.instance);
      recalculate.after(changed.instance);
    }
    markBreaches();
  });
  return {
    // The values are sent as they are: a recalculation still waiting is not needed any more.
    submission: () => {
      recalculate.cancel();
      return current();
    },
    setValue(pointer, value) {
      const path = componentPath(pointer, contract.fields);
      const component = path === null ? undefined : form.getComponent(path);
      component?.setValue?.(value);
      if (component) unmark(component);
      markBreaches();
    },
    showErrors(errors) {
      clearErrors();
      const byComponent = new Map<FormioComponentInstance, string[]>();
      for (const error of errors) {
        const path = componentPath(error.pointer, contract.fields);
        const component = path === null ? undefined : form.getComponent(path);
        if (component?.element)
          byComponent.set(component, [...(byComponent.get(component) ?? []), error.message]);
      }
      for (const [component, messages] of byComponent) {
        const note = document.createElement('div');
        note.className = 'attest-field-error';
        note.textContent = messages.join(' ');
        component.element!.append(note);
        component.element!.classList.add('attest-invalid');
        shown.set(component, note);
      }
    },
    clearErrors,
    destroy() {
      recalculate.cancel();
      stopStyles();
      form.destroy(true);
    },
  };
}

/**
 * Marks a number outside its field's action limits at the field while it is typed, with the
 * limits, so the operator sees the exception before completing (the server still decides). Only
 * fields outside grids: a grid's rows come and go. Answers the function that marks them again.
 */
function watchLimits(form: Webform, contract: TaskForm): () => void {
  const watched = contract.fields.filter((f) => f.limits?.action && !f.pointer.includes('*') && !f.locked);
  const notes = new Map<string, HTMLElement>();
  const mark = (): void => {
    for (const field of watched) {
      const path = componentPath(field.pointer, contract.fields);
      const element = path === null ? undefined : form.getComponent(path)?.element;
      if (!element) continue;
      const value = valueAt(form.data, field.pointer);
      const breach = limitBreach(field, value, t);
      let note = notes.get(field.pointer);
      element.classList.toggle('attest-outside', breach !== null);
      if (breach === null) {
        note?.remove();
        notes.delete(field.pointer);
        continue;
      }
      if (!note || !element.contains(note)) {
        note = document.createElement('div');
        note.className = 'attest-limit-breach';
        note.setAttribute('role', 'status');
        element.append(note);
        notes.set(field.pointer, note);
      }
      note.textContent = breach;
    }
  };
  mark();
  return mark;
}

/** The value at a field's pointer (outside grids) in the form's data. */
const valueAt = (data: Record<string, unknown>, pointer: string): unknown =>
  pointer
    .slice(1)
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], data);

/** How long after the last change the calculated values are worked out again. */
const RECALCULATE_AFTER_MS = 500;

/**
 * Works out the calculated values again as the operator types (whether the scanned material is the
 * recipe's, a yield, a balance): shortly after the last change of a field of an open step, the
 * server runs the values through its pipeline, stores nothing, and the form shows what completing
 * would record. A value the server cannot work out yet stays as it was.
 */
function watchCalculated(form: Webform, contract: TaskForm, current: () => Submission) {
  const calculated =
    contract.status === 'open' ? contract.fields.filter((f) => f.calculated && !f.pointer.includes('*')) : [];
  const component = (pointer: string) => {
    const path = componentPath(pointer, contract.fields);
    return path === null ? undefined : form.getComponent(path);
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Each change asks anew; an answer to an older question, or after the values were sent, is dropped.
  let asked = 0;
  const cancel = () => {
    clearTimeout(timer);
    asked += 1;
  };
  const ask = async (question: number) => {
    const { data, na } = current();
    const verdict = await api.post('/api/tasks/{id}/check', {
      path: { id: contract.taskId },
      body: { data, ...(Object.keys(na).length > 0 && { na }) },
    });
    if (question !== asked) return;
    for (const field of calculated) {
      const value = valueAt(verdict.data, field.pointer);
      if (value !== undefined) component(field.pointer)?.setValue?.(value);
    }
  };
  return {
    /** A field the operator changed: the calculated values follow (their own changes do not count). */
    after(changed: FormioComponentInstance) {
      if (calculated.length === 0 || calculated.some((f) => component(f.pointer) === changed)) return;
      cancel();
      const question = asked;
      // A refused or failed check changes nothing: completing shows the server's word.
      timer = setTimeout(() => void ask(question).catch(() => undefined), RECALCULATE_AFTER_MS);
    },
    cancel,
  };
}
