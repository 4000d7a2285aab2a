import type { FieldError, Submission } from '@attest/task-form';
import type { components } from '@attest/task-form/api';

export type { FieldError, Submission };

export type Language = 'en' | 'zh-CN';

/** A Form.io component as QA's builder writes it; only what this module reads is named. */
export interface FormComponent {
  type?: string;
  key?: string;
  label?: string;
  components?: FormComponent[];
  columns?: { components?: FormComponent[]; [option: string]: unknown }[];
  attest?: Record<string, unknown>;
  [option: string]: unknown;
}

/** A Form.io form definition, the authoring format of Attest forms. */
export interface FormDefinition {
  components: FormComponent[];
  [option: string]: unknown;
}

/** What the server says of a definition: the compile checks the engine runs at import (`POST /api/designer/form-check`). */
export type CheckResult = components['schemas']['FormCheck'];

/** One reason the server refuses a definition: where in it (a JSON pointer), and why. */
export type Problem = CheckResult['problems'][number];

/** What the server's submission pipeline makes of sample input, nothing stored (`POST /api/designer/form-preview`). */
export type PreviewResult = components['schemas']['FormPreview'];

/** An exception the server's pipeline would raise on the sample input (a limit breach, an N/A…). */
export type PreviewException = PreviewResult['exceptions'][number];

export interface FormBuilderOptions {
  /** The definition to open; an empty form without it. */
  definition?: object;
  /** The engine's compile checks on the server (`POST /api/designer/form-check`). */
  check: (definition: FormDefinition) => Promise<CheckResult>;
  /**
   * Sample input through the server's pipeline (`POST /api/designer/form-preview`): the form data,
   * and the N/A answers by pointer as the step view sends them.
   */
  preview: (
    definition: FormDefinition,
    data: Record<string, unknown>,
    na: Submission['na'],
  ) => Promise<PreviewResult>;
  language: Language;
}

export interface FormBuilder {
  /** The definition as QA built it: what they wrote, without formio.js's defaults. */
  getDefinition(): FormDefinition;
  /** Opens another definition; no `changed` event follows. */
  setDefinition(definition: object): Promise<void>;
  on(event: 'changed', listener: (definition: FormDefinition) => void): void;
  /** Draws the operator's view of the form into the element, kept current as the form changes. */
  showPreview(container: HTMLElement): void;
  destroy(): void;
}
