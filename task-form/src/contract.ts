/** What the API answers for a step: `GET /api/tasks/{id}` and the renderer contract `GET /api/tasks/{id}/form`. */

export type Meaning = 'Performed' | 'Verified' | 'Reviewed' | 'Approved' | 'Released' | 'Rejected';

/** How completing a step is signed; null: it is not. */
export interface StepSignature {
  meaning: Meaning;
  /** The completion may turn out a rejection (meaning Rejected, a reason required). */
  rejectable: boolean;
}

export interface TaskDetail {
  id: string;
  name: string | null;
  elementId: string;
  status: 'open' | 'completed' | 'cancelled';
  formKey: string | null;
  assignee: string | null;
  dueAt: string | null;
  record: { id: string; number: string; title: string } | null;
  signature: StepSignature | null;
}

export interface Band {
  min: number | null;
  max: number | null;
}

export interface FieldState {
  pointer: string;
  key: string;
  label: string;
  type: string;
  unit: string | null;
  decimals: number | null;
  required: boolean;
  critical: boolean;
  naAllowed: boolean;
  capture: 'manual' | 'device' | 'either';
  calculated: boolean;
  limits: { alert: Band | null; action: Band | null; reject: boolean } | null;
  locked: boolean;
}

export interface ValueState {
  pointer: string;
  value: unknown;
  source: 'manual' | 'device' | 'calculated';
  naReason: string | null;
  changedAfterEntry: boolean;
  originalValue: unknown;
  changedAt: string | null;
  changeReason: string | null;
  verifiedBy: string | null;
  needsVerification: boolean;
}

export interface TaskException {
  id: string;
  pointer: string | null;
  type: string;
  severity: 'low' | 'medium' | 'high';
  blocking: boolean;
  message: string;
  raisedAt: string;
}

/** The renderer contract: a task's form with its values, limits, locks and exceptions. */
export interface TaskForm {
  taskId: string;
  status: 'open' | 'completed' | 'cancelled';
  signature: StepSignature | null;
  form: { id: string; key: string; version: number; title: string | null; components: FormioComponent[] };
  data: Record<string, unknown>;
  values: ValueState[];
  fields: FieldState[];
  exceptions: TaskException[];
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
export interface FieldError {
  pointer: string;
  keyword: string;
  message: string;
}

/** What the step view sends: the form data and the N/A answers by pointer. */
export interface Submission {
  data: Record<string, unknown>;
  na: Record<string, string>;
}
