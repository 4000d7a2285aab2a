import { Evaluator as CoreEvaluator } from '@formio/core';
import { Templates, Utils } from '@formio/js';
import flatpickr from 'flatpickr';
import { Mandarin } from 'flatpickr/dist/l10n/zh.js';
import zonesUrl from 'moment-timezone/data/packed/latest.json?url';
import { registerGmpComponents } from './gmpComponents.ts';

/**
 * formio.js as the builder and the preview run it under the app's Content-Security-Policy: nothing
 * evaluated, nothing fetched from a CDN, no inline style parsed. The step view's renderer sets up
 * formio.js the same way; whichever runs first, the other finds it done.
 */

type TemplateSet = Record<string, Record<string, unknown>>;

/** Where a template's inline style goes instead: applied through the CSSOM, which the CSP allows. */
const STYLE_ATTRIBUTE = 'data-attest-style';

/**
 * formio.js's templates, the builder's included (sidebar, placeholders, edit dialog, tabs), with
 * `style="…"` renamed so the browser never parses an inline style attribute.
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
  for (const element of [root, ...root.querySelectorAll(`[${STYLE_ATTRIBUTE}]`)]) {
    const css = element.getAttribute(STYLE_ATTRIBUTE);
    if (css === null || !(element instanceof HTMLElement)) continue;
    // What formio.js set from script since keeps the upper hand.
    element.style.cssText = `${css};${element.style.cssText}`;
    element.removeAttribute(STYLE_ATTRIBUTE);
  }
}

/** Applies the renamed styles of everything drawn under the element from now on; returns the stop. */
export function observeStyles(root: Element): () => void {
  const observer = new MutationObserver((records) => {
    for (const record of records)
      for (const node of record.addedNodes) if (node instanceof Element) applyStyles(node);
  });
  observer.observe(root, { childList: true, subtree: true });
  applyStyles(root);
  return () => observer.disconnect();
}

let templates: TemplateSet | undefined;

/** Once per page: no evaluation, flatpickr from the bundle, the GMP components registered. */
export function configureFormio(): TemplateSet {
  if (templates) return templates;
  Utils.Evaluator.noeval = true;
  CoreEvaluator.noeval = true;
  // formio.js's calendar looks for window.flatpickr before it would load it from its CDN.
  (globalThis as { flatpickr?: unknown }).flatpickr = flatpickr;
  flatpickr.l10ns['zh-CN' as 'zh'] = Mandarin;
  (globalThis as Record<string, unknown>)['flatpickr-zh-CN'] = Mandarin;
  registerGmpComponents();
  templates = withoutInlineStyles(Templates.current as TemplateSet);
  return templates;
}

let zones: Promise<void> | undefined;

/**
 * Time-zone data for date fields, from the app's own assets: without it formio.js fetches it from its
 * CDN (which the CSP refuses).
 */
export function loadTimeZones(): Promise<void> {
  const moment = Utils.moment as unknown as { tz: { load(data: unknown): void }; zonesLoaded?: boolean };
  if (moment.zonesLoaded) return Promise.resolve();
  zones ??= fetch(zonesUrl)
    .then((response) => response.json())
    .then((data: unknown) => {
      moment.tz.load(data);
      moment.zonesLoaded = true;
    });
  return zones;
}
