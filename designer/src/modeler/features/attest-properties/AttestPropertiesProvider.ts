// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the declarations go wherever this module is compiled (the web app, the designer)
/// <reference path="../../../types/properties-panel.d.ts" />
import {
  CheckboxEntry,
  Group,
  SelectEntry,
  TextAreaEntry,
  TextFieldEntry,
  isCheckboxEntryEdited,
  isSelectEntryEdited,
  isTextAreaEntryEdited,
  isTextFieldEntryEdited,
} from '@bpmn-io/properties-panel';
import { h } from '@bpmn-io/properties-panel/preact';
import { useService } from 'bpmn-js-properties-panel';
import type BpmnFactory from 'bpmn-js/lib/features/modeling/BpmnFactory';
import type Modeling from 'bpmn-js/lib/features/modeling/Modeling';
import type { Element } from 'bpmn-js/lib/model/Types';
import { attestEntries, type Bo, type EntrySpec, type Sources, type Writer } from './attestEntries.ts';

/** bpmn-js-properties-panel's groups for what the engine does not run, or what ours replace. */
const HIDDEN_GROUPS = new Set(['timer', 'compensation', 'adHocCompletion']);

/** Below bpmn-js-properties-panel's own provider, so its groups are there to arrange. */
const LOW_PRIORITY = 500;

/** A group of the panel, as the providers before this one made it. */
interface PanelGroup {
  id: string;
}

interface EntryProps {
  element: Element;
  id: string;
  spec: EntrySpec;
  sources: Sources;
}

function useWriter(element: Element): Writer {
  const modeling = useService<Modeling>('modeling');
  const bpmnFactory = useService<BpmnFactory>('bpmnFactory');
  return {
    element: (properties) => modeling.updateProperties(element, properties),
    moddle: (target, properties) => modeling.updateModdleProperties(element, target, properties),
    create: (type, properties) => bpmnFactory.create(type, properties) as Bo,
  };
}

/** One entry, drawn by the properties panel's component for its kind. */
function AttestEntry({ element, id, spec, sources }: EntryProps) {
  const write = useWriter(element);
  const debounce = useService<NonNullable<Parameters<typeof TextFieldEntry>[0]['debounce']>>('debounceInput');
  const bo = element.businessObject as Bo;
  const common = { element, id, label: spec.label, description: spec.description };
  switch (spec.kind) {
    case 'text':
    case 'textarea':
      return h(spec.kind === 'text' ? TextFieldEntry : TextAreaEntry, {
        ...common,
        debounce,
        validate: spec.validate,
        placeholder: spec.placeholder,
        getValue: () => spec.get(bo),
        setValue: (value: string) => spec.set(value, bo, write),
        ...(spec.kind === 'textarea' ? { rows: 3, monospace: true } : {}),
      });
    case 'select':
      return h(SelectEntry, {
        ...common,
        getOptions: () => spec.options(bo, sources),
        getValue: () => spec.get(bo),
        setValue: (value: string) => spec.set(value, bo, write),
      });
    case 'checkbox':
      return h(CheckboxEntry, {
        ...common,
        getValue: () => spec.get(bo),
        setValue: (value: boolean) => spec.set(value, bo, write),
      });
    case 'choices': {
      const chosen = spec.get(bo);
      const toggle = (value: string, on: boolean) =>
        spec.set(on ? [...chosen, value] : chosen.filter((v) => v !== value), bo, write);
      const options = spec.options(bo, sources);
      return h(
        'fieldset',
        { class: 'bio-properties-panel-entry attest-choices', 'data-entry-id': id },
        h('legend', { class: 'bio-properties-panel-label' }, spec.label),
        options.length === 0
          ? h('p', { class: 'attest-choices-empty' }, 'Nothing to choose from yet.')
          : options.map((option) =>
              h(
                'label',
                { class: 'attest-choice', key: option.value },
                h('input', {
                  type: 'checkbox',
                  class: 'bio-properties-panel-input',
                  checked: chosen.includes(option.value),
                  onChange: (event: Event) =>
                    toggle(option.value, (event.target as HTMLInputElement).checked),
                }),
                h('span', null, option.label),
              ),
            ),
        spec.description && h('div', { class: 'bio-properties-panel-description' }, spec.description),
      );
    }
  }
}

const EDITED: Readonly<Record<EntrySpec['kind'], (node: HTMLElement | null) => boolean>> = {
  text: isTextFieldEntryEdited,
  textarea: isTextAreaEntryEdited,
  select: isSelectEntryEdited,
  checkbox: isCheckboxEntryEdited,
  choices: (node) => node?.closest('fieldset')?.querySelector('input:checked') != null,
};

/**
 * Adds the "Attest (GMP)" group after the general one: the entries `attestEntries` gives the
 * element, drawn with the properties panel's own components.
 */
export default class AttestPropertiesProvider {
  static $inject = ['propertiesPanel', 'config.attest'];

  constructor(
    propertiesPanel: { registerProvider(priority: number, provider: AttestPropertiesProvider): void },
    private readonly sources: Sources,
  ) {
    propertiesPanel.registerProvider(LOW_PRIORITY, this);
  }

  getGroups(element: Element): (groups: PanelGroup[]) => PanelGroup[] {
    return (groups) => {
      const kept = groups.filter((g) => !HIDDEN_GROUPS.has(g.id));
      const entries = attestEntries(element.businessObject as Bo).map((spec) => ({
        id: spec.id,
        component: AttestEntry,
        isEdited: EDITED[spec.kind],
        spec,
        sources: this.sources,
      }));
      if (entries.length === 0) return kept;
      const general = kept.findIndex((g) => g.id === 'general');
      const attest = { id: 'attest', label: 'Attest (GMP)', component: Group, entries };
      return [...kept.slice(0, general + 1), attest, ...kept.slice(general + 1)];
    };
  }
}
