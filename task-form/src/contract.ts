/**
 * What the API answers for a step: `GET /api/tasks/{id}` and the renderer contract `GET /api/tasks/{id}/form`,
 * taken from the wire types generated from the API's OpenAPI document (`@attest/task-form/api`).
 */
import type { components, operations } from '../api/schema.ts';

type Schemas = components['schemas'];

/** A user task as the step view opens it, with the signature completing it asks for. */
export type TaskDetail = Schemas['TaskDetail'];

/** How completing a step is signed: its meaning, and whether the completion may turn out a rejection. */
export type StepSignature = NonNullable<TaskDetail['signature']>;

export type Meaning = StepSignature['meaning'];

/** A field of the form with its GMP properties: unit, decimals, limits, capture, lock. */
export type FieldState = Schemas['TaskForm']['fields'][number];

export type Band = NonNullable<NonNullable<FieldState['limits']>['alert']>;

/** What the step view reads of a value: its provenance, its change after entry, its verification. */
export type ValueState = Pick<
  Schemas['TaskForm']['values'][number],
  | 'pointer'
  | 'value'
  | 'source'
  | 'device'
  | 'naReason'
  | 'changedAfterEntry'
  | 'originalValue'
  | 'changedAt'
  | 'changeReason'
  | 'verifiedBy'
  | 'needsVerification'
>;

export type TaskException = Schemas['TaskForm']['exceptions'][number];

/**
 * The renderer contract: a task's form with its values, limits, locks and exceptions. The schema
 * leaves the Form.io components open; the step view names what it touches of them.
 */
export interface TaskForm extends Omit<Schemas['TaskForm'], 'form' | 'values'> {
  form: Omit<Schemas['TaskForm']['form'], 'components'> & { components: FormioComponent[] };
  values: ValueState[];
}

/** A Form.io component as the renderer contract gives it; only what the step view touches is named. */
export interface FormioComponent {
  type?: string;
  key?: string;
  label?: string;
  input?: boolean;
  description?: string;
  suffix?: string;
  disabled?: boolean;
  customClass?: string;
  conditional?: { show?: boolean | string | null; conjunction?: string; conditions?: unknown[] };
  components?: FormioComponent[];
  columns?: { components?: FormioComponent[] }[];
  [option: string]: unknown;
}

/** A problem's error at one place of the input (RFC 9457 `errors`). */
export type FieldError = NonNullable<Schemas['Problem']['errors']>[number];

type SavedValues = operations['saveTaskValues']['requestBody']['content']['application/json'];

/** What the step view sends: the form data and the N/A answers by pointer. */
export type Submission = Required<Pick<SavedValues, 'data' | 'na'>>;
