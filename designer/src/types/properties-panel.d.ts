/**
 * The parts of @bpmn-io/properties-panel and bpmn-js-properties-panel the modeler uses; neither
 * package ships declarations. Components are preact function components.
 */
declare module '@bpmn-io/properties-panel' {
  import type { FunctionComponent } from '@bpmn-io/properties-panel/preact';

  interface EntryProps<T> {
    element: unknown;
    id: string;
    label: string;
    description?: string;
    getValue(element: unknown): T;
    setValue(value: T, error?: string | null): void;
  }

  export interface TextEntryProps extends EntryProps<string> {
    debounce?: (fn: (...args: unknown[]) => void) => (...args: unknown[]) => void;
    validate?: (value: string) => string | null | undefined;
    placeholder?: string;
  }

  export const TextFieldEntry: FunctionComponent<TextEntryProps>;
  export const TextAreaEntry: FunctionComponent<TextEntryProps & { rows?: number; monospace?: boolean }>;
  export const SelectEntry: FunctionComponent<
    EntryProps<string> & { getOptions(element: unknown): { value: string; label: string }[] }
  >;
  export const CheckboxEntry: FunctionComponent<EntryProps<boolean>>;
  export const Group: FunctionComponent<unknown>;

  /** Whether an entry's input holds a value, which marks its group as edited. */
  export function isTextFieldEntryEdited(node: HTMLElement | null): boolean;
  export function isTextAreaEntryEdited(node: HTMLElement | null): boolean;
  export function isSelectEntryEdited(node: HTMLElement | null): boolean;
  export function isCheckboxEntryEdited(node: HTMLElement | null): boolean;
}

declare module 'bpmn-js-properties-panel' {
  import type { ModuleDeclaration } from 'didi';

  /** The panel: rendered into `config.propertiesPanel.parent`, filled by registered providers. */
  export const BpmnPropertiesPanelModule: ModuleDeclaration;
  /** The groups every BPMN element has: general (id, name), documentation, messages, timers, … */
  export const BpmnPropertiesProviderModule: ModuleDeclaration;
  /** A diagram service, from inside a panel component. */
  export function useService<T = unknown>(name: string): T;
}
