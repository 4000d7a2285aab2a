import { Builders, Components } from '@formio/js';
import { usesDates } from '@attest/task-form';
import { h } from '@attest/task-form/dom';
import { formioZhCN } from '@attest/task-form/i18n/formio.zh-CN';
import { savedComponent } from './attestOptions.ts';
import { authoredDefinition, editFormDefaults, withDefaults, type DefaultsOf } from './authored.ts';
import { keyFor } from './componentKey.ts';
import { detail } from './element.ts';
import { configureFormio, loadTimeZones, observeStyles } from './formioSetup.ts';
import { editFormOverrides, withoutEditors } from './hiddenOptions.ts';
import { builderGroups, FORM_TYPES } from './palette.ts';
import { mountPreview, type Preview } from './preview.ts';
import { follow, placeProblems, type PlacedProblem } from './problems.ts';
import { formioBuilderZhCN, translator, type Translate } from './texts.ts';
import type { CheckResult, FormBuilder, FormBuilderOptions, FormComponent, FormDefinition } from './types.ts';

/**
 * The form builder: formio.js's builder with the GMP group, edit forms without the JavaScript
 * options, the server's compile checks as QA works, and the operator's preview. Mounted by the
 * template workspace, which hands in the server calls.
 */

/** How long after the last change the server checks the form again, and the preview redraws. */
const CHECK_DELAY = 500;
const PREVIEW_DELAY = 300;

/** The parts of formio.js's builder and its components this module uses. */
interface BuilderComponent {
  component: object;
  element?: HTMLElement;
}
interface WebformBuilder {
  form: { components?: FormComponent[] };
  ready: Promise<unknown>;
  webform: { everyComponent(fn: (component: BuilderComponent) => unknown): void };
  setForm(form: object): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): void;
  destroy(all?: boolean): void;
}
type BuilderClass = new (element: HTMLElement, options: object) => WebformBuilder;
interface RegisteredClass {
  builderInfo?: { group?: string };
  schema?: () => Record<string, unknown>;
  editForm?: () => unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

let Builder: BuilderClass | undefined;

/** formio.js's builder, deriving the key of a new component as the engine accepts it. */
function builderClass(): BuilderClass {
  if (Builder) return Builder;
  const Base = (Builders as unknown as { builders: Record<string, BuilderClass> }).builders.webform!;
  Builder = class extends Base {
    updateComponentKey(data: Record<string, unknown>) {
      return keyFor(data);
    }
  };
  return Builder;
}

const registered = () => Components.components as Record<string, RegisteredClass>;

/** formio.js's defaults for a type: its class's schema, and what its edit form fills in. */
const defaultsOf: DefaultsOf = (() => {
  const cache = new Map<string, Record<string, unknown>>();
  return (type) => {
    if (!type) return {};
    let found = cache.get(type);
    if (!found) {
      const Class = registered()[type];
      found = withDefaults(Class?.schema?.() ?? {}, editFormDefaults(Class?.editForm?.()));
      cache.set(type, found);
    }
    return found;
  };
})();

/** Pairs each object of a working copy with the same object of the original (components, columns, tabs). */
function pair(working: unknown, original: unknown, originals: WeakMap<object, FormComponent>): void {
  if (!isObject(working) || !isObject(original)) return;
  originals.set(working, original as FormComponent);
  for (const list of ['components', 'columns'] as const) {
    const a = working[list];
    const b = original[list];
    if (Array.isArray(a) && Array.isArray(b)) a.forEach((item, i) => pair(item, b[i], originals));
  }
}

/** A definition as the builder takes it: a components list, always. */
function asDefinition(raw: object | undefined): FormDefinition {
  const copy = structuredClone(raw ?? {}) as Record<string, unknown>;
  return { ...copy, components: Array.isArray(copy.components) ? (copy.components as FormComponent[]) : [] };
}

export async function createFormBuilder(
  container: HTMLElement,
  options: FormBuilderOptions,
): Promise<FormBuilder> {
  const t: Translate = translator(options.language);
  const templates = configureFormio();

  const canvas = h('div', { class: 'attest-builder-canvas step-form' });
  const status = h('p', { class: 'attest-check-status', role: 'status', 'aria-live': 'polite' });
  const list = h('ul', { class: 'attest-check-problems' });
  const checks = h(
    'section',
    { class: 'attest-form-checks', 'aria-label': t('check.title') },
    h('h2', {}, t('check.title')),
    status,
    list,
  );
  const root = h('div', { class: 'attest-form-builder' }, canvas, checks);
  container.replaceChildren(root);
  const stopStyles = observeStyles(root);
  // The edit dialog is drawn at the end of the page, outside the container.
  const dialogStyles = new Map<Node, () => void>();
  const dialogs = new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes)
        if (node instanceof HTMLElement && node.classList.contains('attest-form-builder-dialog'))
          dialogStyles.set(node, observeStyles(node));
      for (const node of record.removedNodes) {
        dialogStyles.get(node)?.();
        dialogStyles.delete(node);
      }
    }
  });
  dialogs.observe(document.body, { childList: true });

  const catalogue = Object.fromEntries(
    Object.entries(registered()).map(([type, C]) => [type, C.builderInfo?.group]),
  );
  const builder = new (builderClass())(canvas, {
    templates,
    language: options.language,
    i18n: { 'zh-CN': { ...formioZhCN, ...formioBuilderZhCN } },
    noDefaultSubmitButton: true,
    noAddSubmitButton: true,
    // The JSON editor would let any option back in, and loads its editor from a CDN.
    editJson: false,
    sideBarScroll: false,
    // Enter on a palette entry adds it, arrow keys move the selected component: no mouse needed.
    keyboardBuilder: true,
    // formio.js's help pages describe options Attest forms do not have.
    helplinks: 'false',
    builder: builderGroups(catalogue, t),
    editForm: {
      ...editFormOverrides(FORM_TYPES, t),
      // Fields at the top of an edit form (the overrides reach those inside its tabs).
      hooks: { addComponent: withoutEditors },
    },
    dialogAttr: { class: 'attest-form-builder-dialog step-form' },
    hooks: { beforeSaveComponentSettings: (component: FormComponent) => savedComponent(component) },
  });

  let original: FormDefinition = asDefinition(options.definition);
  let originals = new WeakMap<object, FormComponent>();
  /** Components saved from their edit dialog since they were opened. */
  let edited = new WeakSet<object>();
  const listeners: ((definition: FormDefinition) => void)[] = [];
  let last = '';
  let preview: Preview | null = null;
  let checkTimer: ReturnType<typeof setTimeout> | undefined;
  let previewTimer: ReturnType<typeof setTimeout> | undefined;
  let checkSeq = 0;
  let marked: HTMLElement[] = [];
  let problems: PlacedProblem[] = [];
  let destroyed = false;

  const definition = (): FormDefinition =>
    structuredClone(
      authoredDefinition(builder.form, original, {
        originalOf: (c) => originals.get(c),
        defaultsOf,
        edited: (c) => edited.has(c),
      }),
    ) as FormDefinition;

  const load = async (raw: object | undefined) => {
    original = asDefinition(raw);
    const working = structuredClone(original);
    originals = new WeakMap();
    edited = new WeakSet();
    pair(working, original, originals);
    if (usesDates(working.components)) await loadTimeZones();
    await builder.setForm(working);
    await builder.ready;
    last = JSON.stringify(definition());
  };

  /** The builder's element of a component of the definition, by its place in it. */
  const elementAt = (path: (string | number)[]): HTMLElement | undefined => {
    const target = follow(builder.form, path);
    let found: HTMLElement | undefined;
    builder.webform.everyComponent((c) => {
      if (c.component === target) found = c.element;
    });
    return found;
  };

  const markProblems = () => {
    for (const element of marked) element.classList.remove('attest-has-problem');
    marked = [];
    for (const problem of problems) {
      const element = problem.place ? elementAt(problem.place.path) : undefined;
      if (element) {
        element.classList.add('attest-has-problem');
        marked.push(element);
      }
    }
  };

  const reveal = (problem: PlacedProblem) => {
    const element = problem.place ? elementAt(problem.place.path) : undefined;
    if (!element) return;
    element.scrollIntoView({ block: 'center', behavior: 'smooth' });
    element.classList.add('attest-problem-focus');
    setTimeout(() => element.classList.remove('attest-problem-focus'), 2000);
  };

  const showCheck = (result: CheckResult, checked: FormDefinition) => {
    problems = placeProblems(checked, result.problems);
    if (result.ok && problems.length === 0) {
      status.className = 'attest-check-status message success';
      status.textContent = Array.isArray(result.fields)
        ? result.fields.length === 1
          ? t('check.okField')
          : t('check.okFields', { count: result.fields.length })
        : t('check.ok');
    } else {
      status.className = 'attest-check-status message error';
      status.textContent = t('check.problems', { count: problems.length });
    }
    list.replaceChildren(
      ...problems.map((problem) => {
        const name = problem.name ?? t('check.form');
        let label: HTMLElement = h('strong', {}, name);
        if (problem.place) {
          label = h(
            'button',
            { type: 'button', class: 'link', title: t('check.show', { label: name }) },
            name,
          );
          label.addEventListener('click', () => reveal(problem));
        }
        return h('li', {}, label, h('span', {}, problem.message));
      }),
    );
    markProblems();
  };

  const check = async () => {
    const seq = ++checkSeq;
    const checked = definition();
    status.className = 'attest-check-status loading';
    status.textContent = t('check.checking');
    try {
      const result = await options.check(checked);
      if (seq === checkSeq && !destroyed) showCheck(result, checked);
    } catch (error) {
      if (seq !== checkSeq || destroyed) return;
      status.className = 'attest-check-status message error';
      status.textContent = t('check.failed', { detail: detail(error) });
      list.replaceChildren();
    }
  };

  const changed = () => {
    if (destroyed) return;
    const current = definition();
    const json = JSON.stringify(current);
    if (json === last) {
      // A redraw drops the marks of the last check; the check itself still holds.
      markProblems();
      return;
    }
    last = json;
    for (const listener of listeners) listener(structuredClone(current));
    clearTimeout(checkTimer);
    checkTimer = setTimeout(check, CHECK_DELAY);
    if (preview) {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(() => preview?.update(definition()), PREVIEW_DELAY);
    }
  };

  // A saved edit replaces the component's object: it stays paired with what it started as.
  builder.on('saveComponent', (saved, was) => {
    if (!isObject(saved)) return;
    edited.add(saved);
    if (isObject(was)) transfer(was, saved, originals);
  });
  builder.on('change', changed);
  builder.on('removeComponent', changed);

  await load(options.definition);
  void check();

  return {
    getDefinition: definition,
    async setDefinition(raw) {
      await load(raw);
      clearTimeout(checkTimer);
      void check();
      preview?.update(definition());
    },
    on(event, listener) {
      if (event === 'changed') listeners.push(listener);
    },
    showPreview(previewContainer) {
      preview?.destroy();
      preview = mountPreview(previewContainer, definition(), options, t);
    },
    destroy() {
      destroyed = true;
      clearTimeout(checkTimer);
      clearTimeout(previewTimer);
      dialogs.disconnect();
      stopStyles();
      for (const stop of dialogStyles.values()) stop();
      preview?.destroy();
      preview = null;
      builder.destroy(true);
      root.remove();
    },
  };
}

/** Carries the pairing of an edited component (and of its children, by place) to its saved object. */
function transfer(
  was: Record<string, unknown>,
  saved: Record<string, unknown>,
  originals: WeakMap<object, FormComponent>,
) {
  const original = originals.get(was);
  if (!original || originals.has(saved)) return;
  originals.set(saved, original);
  for (const list of ['components', 'columns'] as const) {
    const a = was[list];
    const b = saved[list];
    if (!Array.isArray(a) || !Array.isArray(b)) continue;
    b.forEach((item, i) => {
      const before = a[i];
      if (isObject(item) && isObject(before) && item.key === before.key && item.type === before.type)
        transfer(before, item, originals);
    });
  }
}
