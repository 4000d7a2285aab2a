import type { DeviceKind } from '../devices/kinds.ts';
import type { EquipmentAction } from './gateOptions.ts';
/** A Form.io component as QA's builder writes it; only what the compiler reads is typed. */
export interface FormioComponent {
  type?: unknown;
  key?: unknown;
  label?: unknown;
  input?: unknown;
  components?: unknown;
  columns?: unknown;
  validate?: Record<string, unknown>;
  conditional?: Record<string, unknown>;
  attest?: Record<string, unknown>;
  [property: string]: unknown;
}

export interface FormioDefinition {
  title?: unknown;
  display?: unknown;
  components: FormioComponent[];
  [property: string]: unknown;
}

/** Numeric limits: a number, or FEEL over the task's variables and the form's values. */
export type LimitValue = number | string;

export interface LimitBand {
  min?: LimitValue;
  max?: LimitValue;
}

export interface Limits {
  /** Outside it: an exception of low severity, nothing blocks. */
  alert?: LimitBand;
  /** Outside it: an exception of high severity that blocks release, or a refusal when `reject`. */
  action?: LimitBand;
  /** A value outside the action limits is refused instead of raising an exception (F4). */
  reject?: boolean;
  /** A value outside the limits needs the operator's comment before the step is completed. */
  comment?: boolean;
}

export type Rounding = 'halfUp' | 'halfEven' | 'refuse';

/** Where a value came from (E2). */
export type ValueSource = 'manual' | 'device' | 'calculated';

export type Capture = 'manual' | 'device' | 'either';

/** Where a value came from, as a submission states it; the server decides for calculated ones (E2, E3). */
export interface SourceInput {
  source: 'manual' | 'device';
  deviceId?: string;
  channel?: string;
  /** The instrument's raw output, kept beside the parsed number (E3). */
  raw?: string;
  /** The reading the server took, which the device, channel and raw answer come from. */
  reading?: string;
}

/** Where a device value came from, as a value keeps it: device, channel, raw answer and the reading. */
export interface DeviceProvenance {
  deviceId: string;
  channel: string | null;
  raw: string;
  readingId?: string;
}

/** How a field is bound to a device (`attest.device`), or the scale a mass is read from by default. */
export interface DeviceBinding {
  /** scale, plc, sensor or instrument; null: any kind. */
  kind: DeviceKind | null;
  channel: string;
  tare: boolean;
  zero: boolean;
}

/** One condition of a simple conditional: the field it looks at, how, and the value compared. */
export interface Condition {
  /** Data path of the field looked at, segments from the root ("*" for a grid row). */
  path: string[];
  operator:
    | 'isEqual'
    | 'isNotEqual'
    | 'isEmpty'
    | 'isNotEmpty'
    | 'lessThan'
    | 'lessThanOrEqual'
    | 'greaterThan'
    | 'greaterThanOrEqual';
  value?: unknown;
}

/** A show/hide rule; a field is visible when every rule of it and of its parents holds. */
export interface Visibility {
  show: boolean;
  conjunction: 'all' | 'any';
  conditions: Condition[];
}

export type ValueType = 'string' | 'number' | 'boolean' | 'object' | 'array';

/** What the submission pipeline knows about one input field. */
export interface FieldSpec {
  key: string;
  /** Data path from the root; "*" stands for the rows of a data grid. */
  path: string[];
  /** The path as a pointer template, e.g. `/samples/*\/weight`. */
  pointer: string;
  label: string;
  /** The Form.io or Attest component type. */
  type: string;
  valueType: ValueType;
  required: boolean;
  /** Grid path this field repeats in, or null. */
  grid: string[] | null;
  /** Rules that hide it (its own and its parents'), all of which must show it. */
  visibility: Visibility[];
  unit: string | null;
  decimals: number | null;
  significantDigits: number | null;
  rounding: Rounding;
  limits: Limits | null;
  /** FEEL computing the value on the server; a client value is ignored. */
  calculate: string | null;
  capture: Capture;
  /**
   * The device the server reads the value from (Take reading): what kind of device, which channel,
   * and whether the step may tare or zero it; null for a value that is not read from a device.
   */
  device: DeviceBinding | null;
  /** Needs second-person verification when entered by hand (E5). */
  critical: boolean;
  /** May be answered N/A with a reason (E7). */
  naAllowed: boolean;
  /**
   * A decision the record holds already (a process variable of the same key, e.g. a deviation's
   * classification): changing it from that value needs a reason (B3).
   */
  reasonForChange: boolean;
  /** What the value identifies, for the material and equipment gates of later steps. */
  identifies: 'materialLot' | 'equipment' | null;
  /** For a material lot: FEEL naming the material code the lot must be of (F3); null: any material. */
  material: string | null;
  /**
   * For a material lot: the key of the quantity field beside it (same form level or grid row) whose
   * value is issued from the lot to the batch when the step completes; null: nothing is issued.
   */
  issues: string | null;
  /** For equipment: what the step does with it (F2): use, release (dirty), clean, or its daily check. */
  equipmentAction: EquipmentAction | null;
  /** For an equipment daily check: FEEL saying whether the check passed. */
  passed: string | null;
  /** Static choices, for plain-language messages. */
  choices: { label: string; value: unknown }[] | null;
  /** A grid or file list: rows/items. */
  items: boolean;
}

export type JsonSchema = Record<string, unknown>;

/** A form as the engine enforces it: the schema every submission is validated against, and its fields. */
export interface CompiledForm {
  schema: JsonSchema;
  fields: FieldSpec[];
  /** The definition with instructions sanitized and GMP components as plain Form.io types, for formio.js. */
  render: FormioDefinition;
  /** Keys of components that only carry data for layout (buttons) and are dropped from submissions. */
  ignoredKeys: string[];
}
