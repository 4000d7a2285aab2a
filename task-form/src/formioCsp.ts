import { Evaluator as CoreEvaluator } from '@formio/core';
import flatpickr from 'flatpickr';
import { Mandarin } from 'flatpickr/dist/l10n/zh.js';
import zonesUrl from 'moment-timezone/data/packed/latest.json?url';

/**
 * formio.js under the app's Content-Security-Policy: nothing evaluated, nothing fetched from a CDN,
 * no inline style parsed. The step view's renderer (formio.js's form build) and the designer's
 * builder and preview (its full build) both set it up here, each passing the build it runs.
 */

export type TemplateSet = Record<string, Record<string, unknown>>;

/** The parts of a formio.js build this module sets up. */
export interface FormioBuild {
  Templates: { current: unknown };
  Utils: { Evaluator: { noeval: boolean }; moment: unknown };
}

/** The parts of a formio.js component the app uses. */
export interface FormioComponentInstance {
  /** The component's wrapper in the page, once drawn. */
  element?: HTMLElement;
  setValue?(value: unknown): void;
}

/** The parts of a formio.js form (a Webform) the app uses. */
export interface Webform {
  data: Record<string, unknown>;
  setSubmission(submission: { data: Record<string, unknown> }): Promise<unknown>;
  checkConditions(data: Record<string, unknown>): void;
  getComponent(path: string): FormioComponentInstance | undefined;
  on(event: string, listener: (...args: unknown[]) => void): void;
  destroy(all?: boolean): void;
}

/** Where a template's inline style goes instead: applied through the CSSOM, which the CSP allows. */
const STYLE_ATTRIBUTE = 'data-attest-style';

/**
 * formio.js's templates with `style="…"` renamed, so that the browser never parses an inline style
 * attribute (the CSP refuses them); `observeStyles` applies them through the CSSOM.
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

/** Applies the renamed styles of the element and of everything under it. */
export function applyStyles(root: Element): void {
  for (const element of [root, ...root.querySelectorAll(`[${STYLE_ATTRIBUTE}]`)]) {
    const css = element.getAttribute(STYLE_ATTRIBUTE);
    if (css === null || !(element instanceof HTMLElement)) continue;
    // What formio.js set from script since keeps the upper hand.
    element.style.cssText = `${css};${element.style.cssText}`;
    element.removeAttribute(STYLE_ATTRIBUTE);
  }
}

/** Applies the renamed styles of everything under the element, now and as it is drawn; returns the stop. */
export function observeStyles(root: Element): () => void {
  const observer = new MutationObserver((records) => {
    for (const record of records)
      for (const node of record.addedNodes) if (node instanceof Element) applyStyles(node);
  });
  observer.observe(root, { childList: true, subtree: true });
  applyStyles(root);
  return () => observer.disconnect();
}

const configured = new WeakMap<object, TemplateSet>();

/**
 * Once per build and page: no evaluation anywhere, flatpickr and its Chinese calendar from the
 * bundle (formio.js looks for them on window before it would load them from its CDN). Returns the
 * build's templates without inline styles, for the `templates` option.
 */
export function configureFormio(build: FormioBuild): TemplateSet {
  const known = configured.get(build.Templates);
  if (known) return known;
  build.Utils.Evaluator.noeval = true;
  CoreEvaluator.noeval = true;
  (globalThis as { flatpickr?: unknown }).flatpickr = flatpickr;
  flatpickr.l10ns['zh-CN' as 'zh'] = Mandarin;
  (globalThis as Record<string, unknown>)['flatpickr-zh-CN'] = Mandarin;
  const templates = withoutInlineStyles(build.Templates.current as TemplateSet);
  configured.set(build.Templates, templates);
  return templates;
}

const zones = new WeakMap<object, Promise<void>>();

/**
 * Time-zone data for date fields, from this app's own assets: without it moment-timezone has none,
 * and formio.js fetches it from its CDN (which the CSP refuses).
 */
export function loadTimeZones(build: FormioBuild): Promise<void> {
  // formio.js's moment carries moment-timezone's `tz`, and formio.js's own flag for loaded zones.
  const moment = build.Utils.moment as { tz: { load(data: unknown): void }; zonesLoaded?: boolean };
  let loading = zones.get(moment);
  if (!loading) {
    loading = fetch(zonesUrl)
      .then((response) => response.json())
      .then((data: unknown) => {
        moment.tz.load(data);
        moment.zonesLoaded = true;
      });
    zones.set(moment, loading);
  }
  return loading;
}
