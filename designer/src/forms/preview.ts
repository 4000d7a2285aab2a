import { Formio } from '@formio/js';
import {
  componentPath,
  formDefinition,
  submissionOf,
  templateOf,
  usesDates,
  type FieldState,
  type TaskForm,
  type Translate as StepTranslate,
} from '@attest/task-form';
import { h } from '@attest/task-form/dom';
import type { Webform } from '@attest/task-form/formio';
import { translate } from '@attest/task-form/i18n';
import { formioZhCN } from '@attest/task-form/i18n/formio.zh-CN';
import { detail } from './element.ts';
import { configureFormio, loadTimeZones, observeStyles } from './formioSetup.ts';
import { fieldStates, forPreview, valuesAt } from './previewFields.ts';
import type { Translate } from './texts.ts';
import type { FormBuilderOptions, FormDefinition, PreviewException, PreviewResult } from './types.ts';

/**
 * The form as the operator will see it — drawn by the step view's own definition code, so units,
 * limits, N/A and the critical mark read the same — with sample input QA types and the server's
 * verdict on it: errors under their fields, exceptions with their severity.
 */

export interface Preview {
  /** Draws the form again from this definition, keeping the sample values typed so far. */
  update(definition: FormDefinition): void;
  destroy(): void;
}

type Verdict = 'error' | PreviewException['severity'];

export function mountPreview(
  container: HTMLElement,
  definition: FormDefinition,
  options: Pick<FormBuilderOptions, 'preview' | 'language'>,
  t: Translate,
): Preview {
  // The step view's notes and severities, in the step view's own words.
  const stepText: StepTranslate = (key, params) => translate(options.language, key, params);
  const host = h('div', { class: 'step-form attest-preview-form' });
  const validate = h('button', { type: 'button', class: 'primary' }, t('preview.validate'));
  const reset = h('button', { type: 'button' }, t('preview.reset'));
  const result = h('div', { class: 'attest-preview-result', role: 'status', 'aria-live': 'polite' });
  const section = h(
    'section',
    { class: 'attest-form-preview', 'aria-label': t('preview.title') },
    h('h2', {}, t('preview.title')),
    h('p', { class: 'note' }, t('preview.help')),
    host,
    h('div', { class: 'attest-preview-actions' }, validate, reset),
    result,
  );
  container.replaceChildren(section);
  const stopStyles = observeStyles(section);

  let current = definition;
  let fields: FieldState[] = [];
  let form: Webform | null = null;
  let sample: Record<string, unknown> = {};
  let drawing = Promise.resolve();
  let destroyed = false;
  const marks: HTMLElement[] = [];

  const clearMarks = () => {
    for (const mark of marks.splice(0)) {
      mark.closest('.attest-invalid')?.classList.remove('attest-invalid');
      mark.remove();
    }
    result.replaceChildren();
  };

  const draw = async () => {
    if (destroyed) return;
    if (form) {
      sample = JSON.parse(JSON.stringify(form.data)) as Record<string, unknown>;
      form.destroy(true);
      form = null;
    }
    clearMarks();
    fields = fieldStates(current);
    const contract: TaskForm = {
      taskId: 'preview',
      status: 'open',
      signature: null,
      form: {
        id: 'preview',
        key: 'preview',
        version: 0,
        title: null,
        components: forPreview(current.components),
      },
      data: {},
      values: [],
      fields,
      exceptions: [],
    };
    try {
      const components = formDefinition(contract, stepText);
      if (usesDates(components)) await loadTimeZones();
      host.replaceChildren();
      form = (await Formio.createForm(
        host,
        { display: 'form', components },
        {
          noAlerts: true,
          noDefaultSubmitButton: true,
          templates: configureFormio(),
          language: options.language,
          i18n: { 'zh-CN': formioZhCN },
        },
      )) as unknown as Webform;
      await form.setSubmission({ data: sample });
      form.checkConditions(form.data);
    } catch (error) {
      host.replaceChildren(
        h('p', { class: 'message error' }, t('preview.notRendered', { detail: detail(error) })),
      );
    }
  };

  const redraw = () => {
    drawing = drawing.then(draw, draw);
  };

  const labelOf = (pointer: string | null) =>
    pointer === null ? null : (fields.find((f) => f.pointer === templateOf(pointer))?.label ?? null);

  /** A note under the field a pointer names, where the form shows that field. */
  const mark = (pointer: string | null, text: string, verdict: Verdict) => {
    if (!form || pointer === null) return;
    const path = componentPath(pointer, fields);
    const element = path === null ? undefined : form.getComponent(path)?.element;
    if (!element) return;
    const note = h(
      'div',
      {
        class:
          verdict === 'error' ? 'attest-field-error' : `attest-field-exception attest-severity-${verdict}`,
      },
      text,
    );
    element.append(note);
    if (verdict === 'error') element.classList.add('attest-invalid');
    marks.push(note);
  };

  const line = (pointer: string | null, message: string, verdict: Verdict, blocking = false) => {
    const label = labelOf(pointer);
    return h(
      'li',
      { class: `attest-verdict attest-severity-${verdict}` },
      verdict === 'error'
        ? null
        : h('span', { class: `badge attest-severity-${verdict}` }, stepText(`severity.${verdict}`)),
      blocking ? h('span', { class: 'badge danger' }, t('preview.blocking')) : null,
      label ? h('strong', {}, `${label}: `) : null,
      message,
    );
  };

  const showResult = (answer: PreviewResult) => {
    const parts: Node[] = [];
    if (answer.ok && answer.errors.length === 0)
      parts.push(h('p', { class: 'message success' }, t('preview.ok')));
    if (answer.errors.length > 0)
      parts.push(
        h('p', { class: 'message error' }, t('preview.refused')),
        h(
          'ul',
          { class: 'attest-verdicts' },
          ...answer.errors.map((e) => line(e.pointer, e.message, 'error')),
        ),
      );
    if (answer.exceptions.length > 0)
      parts.push(
        h('p', {}, t('preview.exceptions')),
        h(
          'ul',
          { class: 'attest-verdicts' },
          ...answer.exceptions.map((x) => line(x.pointer, x.message, x.severity, x.blocking === true)),
        ),
      );
    result.replaceChildren(...parts);
    for (const e of answer.errors) mark(e.pointer, e.message, 'error');
    for (const x of answer.exceptions)
      mark(x.pointer, `${stepText(`severity.${x.severity}`)}: ${x.message}`, x.severity);
    // The server computes calculated values: show what it made of them.
    if (answer.data && form)
      for (const f of fields.filter((field) => field.calculated))
        for (const { pointer, value } of valuesAt(f.pointer, answer.data)) {
          const path = componentPath(pointer, fields);
          if (path !== null) form.getComponent(path)?.setValue?.(value);
        }
  };

  // Every failure is shown in the result: nothing is left to the promise.
  const validateSample = async () => {
    if (!form) return;
    clearMarks();
    validate.disabled = true;
    result.replaceChildren(h('p', { class: 'loading' }, t('preview.validating')));
    try {
      const input = submissionOf(JSON.parse(JSON.stringify(form.data)) as Record<string, unknown>);
      showResult(await options.preview(current, input.data, input.na));
    } catch (error) {
      result.replaceChildren(
        h('p', { class: 'message error' }, t('preview.failed', { detail: detail(error) })),
      );
    } finally {
      validate.disabled = false;
    }
  };
  validate.addEventListener('click', () => void validateSample());

  reset.addEventListener('click', () => {
    sample = {};
    if (form) {
      form.destroy(true);
      form = null;
    }
    redraw();
  });

  redraw();
  return {
    update(definition) {
      current = definition;
      redraw();
    },
    destroy() {
      destroyed = true;
      stopStyles();
      form?.destroy(true);
      form = null;
      section.remove();
    },
  };
}
