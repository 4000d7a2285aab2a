import { Evaluator as CoreEvaluator } from '@formio/core';
import { Formio, Templates, Utils } from '@formio/js/form';
import flatpickr from 'flatpickr';
import { Mandarin } from 'flatpickr/dist/l10n/zh.js';
import zonesUrl from 'moment-timezone/data/packed/latest.json?url';
import { formioZhCN } from '../i18n/formio.zh-CN.ts';
import { language, t } from '../i18n/index.ts';
import type { FieldError, Submission, TaskForm } from './contract.ts';
import { componentPath, formDefinition, initialData, submissionOf, usesDates } from './definition.ts';

/**
 * The formio.js part of the step view, loaded only when a step with a form opens (its own chunk,
 * so the task list stays light). It runs under the app's Content-Security-Policy: nothing is
 * evaluated, nothing is fetched from a CDN, no inline style is parsed.
 */

/** The parts of a formio.js form and component this module uses. */
interface FormioComponentInstance {
  /** The component's wrapper in the page, once drawn. */
  element?: HTMLElement;
}
interface Webform {
  data: Record<string, unknown>;
  setSubmission(submission: { data: Record<string, unknown> }): Promise<unknown>;
  checkConditions(data: Record<string, unknown>): void;
  getComponent(path: string): FormioComponentInstance | undefined;
  on(event: string, listener: (...args: unknown[]) => void): void;
  destroy(all?: boolean): void;
}

export interface RenderedTaskForm {
  /** The data as the API takes it, with N/A answers by pointer. */
  submission(): Submission;
  /** Shows each error under its field, where a field shows it (the step view lists them all). */
  showErrors(errors: FieldError[]): void;
  clearErrors(): void;
  destroy(): void;
}

type TemplateSet = Record<string, Record<string, unknown>>;

/** Where a template's inline style goes instead: applied through the CSSOM, which the CSP allows. */
const STYLE_ATTRIBUTE = 'data-attest-style';

/**
 * formio.js's templates with `style="…"` renamed, so that the browser never parses an inline style
 * attribute (the CSP refuses them); the observer below applies them through the CSSOM.
 */
function withoutInlineStyles(templates: TemplateSet): TemplateSet {
  return Object.fromEntries(
    Object.entries(templates).map(([name, modes]) => [
      name,
      Object.fromEntries(
        Object.entries(modes).map(([mode, template]) => [
          mode,
          typeof template === 'function'
            ? (ctx: unknown) =>
                String((template as (ctx: unknown) => unknown)(ctx)).replace(
                  /\sstyle="([^"]*)"/g,
                  ` ${STYLE_ATTRIBUTE}="$1"`,
                )
            : template,
        ]),
      ),
    ]),
  );
}

function applyStyles(root: Element): void {
  const elements = [root, ...root.querySelectorAll(`[${STYLE_ATTRIBUTE}]`)];
  for (const element of elements) {
    const css = element.getAttribute(STYLE_ATTRIBUTE);
    if (css === null || !(element instanceof HTMLElement)) continue;
    // What formio.js set from script since keeps the upper hand.
    element.style.cssText = `${css};${element.style.cssText}`;
    element.removeAttribute(STYLE_ATTRIBUTE);
  }
}

let templates: TemplateSet | undefined;
let zones: Promise<void> | undefined;

/**
 * Time-zone data for formio.js's date fields, from this app's own assets: without it moment-timezone
 * has none, and formio.js fetches it from its CDN (which the CSP refuses).
 */
function timeZones(): Promise<void> {
  zones ??= fetch(zonesUrl)
    .then((response) => response.json())
    .then((data: unknown) => {
      // formio.js's moment carries moment-timezone's `tz`, and formio.js's own flag for loaded zones.
      const moment = Utils.moment as unknown as { tz: { load(data: unknown): void }; zonesLoaded?: boolean };
      moment.tz.load(data);
      moment.zonesLoaded = true;
    });
  return zones;
}

/** Once per page: no evaluation anywhere, flatpickr from the bundle rather than formio's CDN. */
function configure(): TemplateSet {
  if (templates) return templates;
  Utils.Evaluator.noeval = true;
  CoreEvaluator.noeval = true;
  // formio.js's calendar looks for window.flatpickr before it would load it from its CDN.
  (globalThis as { flatpickr?: unknown }).flatpickr = flatpickr;
  // Its Chinese calendar too: the locale registered, so formio.js finds it instead of fetching it.
  flatpickr.l10ns['zh-CN' as 'zh'] = Mandarin;
  (globalThis as Record<string, unknown>)['flatpickr-zh-CN'] = Mandarin;
  templates = withoutInlineStyles(Templates.current as TemplateSet);
  return templates;
}

/** Renders a task's form into the element with formio.js, prefilled with its current values. */
export async function renderTaskForm(element: HTMLElement, contract: TaskForm): Promise<RenderedTaskForm> {
  const options = {
    noAlerts: true,
    noDefaultSubmitButton: true,
    readOnly: contract.status !== 'open',
    templates: configure(),
    // formio.js's own texts (its messages, grid and choice controls) in the person's language.
    language: language(),
    i18n: { 'zh-CN': formioZhCN },
  };
  const observer = new MutationObserver((records) => {
    for (const record of records)
      for (const node of record.addedNodes) if (node instanceof Element) applyStyles(node);
  });
  observer.observe(element, { childList: true, subtree: true });
  const components = formDefinition(contract, t);
  if (usesDates(components)) await timeZones();
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
  // A field changed again is no longer what the server refused.
  form.on('change', (event) => {
    const changed = (event as { changed?: { instance?: FormioComponentInstance } } | undefined)?.changed;
    if (changed?.instance) unmark(changed.instance);
  });
  return {
    submission: () => submissionOf(JSON.parse(JSON.stringify(form.data)) as Record<string, unknown>),
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
      observer.disconnect();
      form.destroy(true);
    },
  };
}
