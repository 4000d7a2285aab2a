import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { evaluateFeel, ExpressionError } from '../feel/feel.ts';
import { feelAct } from '../feel/feelGuard.ts';
import type { FieldError } from '../kernel/errors.ts';
import { decimalPlaces, decimalsForSignificant, formatNumber, roundTo } from './numbers.ts';
import type { CompiledForm, Condition, DeviceProvenance, FieldSpec, LimitBand } from './types.ts';
import type { SourceInput, ValueSource, Visibility } from './types.ts';

type Data = Record<string, unknown>;

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addKeyword({ keyword: 'x-attest', schemaType: 'object' });

export type { DeviceProvenance, SourceInput } from './types.ts';

export interface SubmissionInput {
  data?: unknown;
  /** Provenance per value pointer; a value without one was entered by hand. */
  sources?: Record<string, SourceInput>;
  /** Values answered N/A, by pointer, with the reason (E7). */
  na?: Record<string, string>;
}

export interface ProcessedValue {
  pointer: string;
  field: FieldSpec;
  /** The value kept; null for N/A. */
  value: unknown;
  source: ValueSource;
  device: DeviceProvenance | null;
  naReason: string | null;
  /** The number as entered, when rounding changed it. */
  entered: number | null;
}

export type ExceptionType = 'limit_breach' | 'na' | 'manual_entry' | 'fefo_override';
export type Severity = 'low' | 'medium' | 'high';

export interface ExceptionDraft {
  pointer: string;
  type: ExceptionType;
  severity: Severity;
  /** Blocks release until resolved. */
  blocking: boolean;
  message: string;
  details: Record<string, unknown>;
}

/** An exception values would raise, as a preview lists it. */
export interface PreviewException {
  pointer: string;
  type: ExceptionType;
  severity: Severity;
  /** Would block release until resolved. */
  blocking: boolean;
  message: string;
  /** The operator must comment on it before completing (the field's `limits.comment`). */
  commentRequired: boolean;
}

/** What completing with some values would meet; nothing is written. */
export interface Verdict {
  ok: boolean;
  errors: FieldError[];
  exceptions: PreviewException[];
  data: Data;
}

export interface Processed {
  /** The data as kept: normalized, calculated, hidden values cleared. */
  data: Data;
  values: ProcessedValue[];
  errors: FieldError[];
  exceptions: ExceptionDraft[];
}

interface Node {
  field: FieldSpec;
  children: Node[];
  /** Its children by key, for looking up submitted keys. */
  byKey: Map<string, Node>;
}

const isObject = (v: unknown): v is Data => v !== null && typeof v === 'object' && !Array.isArray(v);
const PARTIAL_KEYWORDS = new Set(['required', 'minItems', 'const', 'anyOf']);

/** The template of a value pointer: row numbers become `*` (`/samples/2/weight` → `/samples/*\/weight`). */
export const templateOf = (pointer: string) => pointer.replace(/\/\d+(?=\/|$)/g, '/*');

/**
 * A form version ready to take submissions: its schema compiled by ajv once, its fields arranged
 * for the pipeline. Built once per form version and kept.
 */
export class FormRuntime {
  readonly validate: ValidateFunction;
  readonly byPointer = new Map<string, FieldSpec>();
  private readonly roots: Node[];
  private readonly rootKeys: Map<string, Node>;
  private readonly calculated: FieldSpec[];
  private readonly conditional: FieldSpec[];
  private readonly limited: FieldSpec[];
  private readonly leaves: FieldSpec[];
  private readonly ignored: ReadonlySet<string>;

  constructor(readonly compiled: CompiledForm) {
    this.validate = ajv.compile(compiled.schema);
    const nodes = new Map<string, Node>();
    for (const f of compiled.fields) {
      this.byPointer.set(f.pointer, f);
      nodes.set(f.pointer, { field: f, children: [], byKey: new Map() });
    }
    this.roots = [];
    // Fields are listed children first; arrange them under their container or grid, in document order.
    const ordered = [...compiled.fields].sort((a, b) => a.path.length - b.path.length);
    const position = new Map(compiled.fields.map((f, i) => [f.pointer, i]));
    for (const f of ordered) {
      const parentPath = f.path.slice(0, f.path[f.path.length - 2] === '*' ? -2 : -1);
      const parent = parentPath.length > 0 ? nodes.get(`/${parentPath.join('/')}`) : undefined;
      (parent ? parent.children : this.roots).push(nodes.get(f.pointer)!);
    }
    const byPosition = (a: Node, b: Node) => position.get(a.field.pointer)! - position.get(b.field.pointer)!;
    const sortAll = (list: Node[]) => {
      list.sort(byPosition);
      for (const n of list) {
        sortAll(n.children);
        for (const child of n.children) n.byKey.set(child.field.key, child);
      }
    };
    sortAll(this.roots);
    this.rootKeys = new Map(this.roots.map((n) => [n.field.key, n]));
    const inOrder = (list: Node[]): FieldSpec[] => list.flatMap((n) => [n.field, ...inOrder(n.children)]);
    const all = inOrder(this.roots);
    this.calculated = all.filter((f) => f.calculate);
    this.conditional = all.filter((f) => f.visibility.length > 0);
    this.limited = all.filter((f) => f.limits);
    this.leaves = all.filter((f) => !['container', 'datagrid', 'editgrid'].includes(f.type));
    this.ignored = new Set(compiled.ignoredKeys);
  }

  /** The field a value pointer belongs to. */
  fieldAt(pointer: string): FieldSpec | undefined {
    return this.byPointer.get(templateOf(pointer));
  }

  /** Whether the template asks for the operator's comment on this value when it is outside its limits. */
  commentAsked(pointer: string): boolean {
    return this.fieldAt(pointer)?.limits?.comment === true;
  }

  /**
   * What completing with these values would meet, as the designer's preview and the step view's
   * check show it: the errors, and the exceptions with whether each needs the operator's comment.
   */
  verdict(processed: Processed): Verdict {
    return {
      ok: processed.errors.length === 0,
      errors: processed.errors,
      exceptions: processed.exceptions.map(({ pointer, type, severity, blocking, message }) => ({
        pointer,
        type,
        severity,
        blocking,
        message,
        commentRequired: type === 'fefo_override' || (type === 'limit_breach' && this.commentAsked(pointer)),
      })),
      data: processed.data,
    };
  }

  /** A field's name in messages: label, unit and, in a grid, the row. */
  nameOf(field: FieldSpec, pointer: string): string {
    const unit = field.unit ? ` (${field.unit})` : '';
    const row = field.grid ? /\/(\d+)\//.exec(pointer.slice(`/${field.grid.join('/')}`.length)) : null;
    return `${field.label}${unit}${row ? ` in row ${Number(row[1]) + 1}` : ''}`;
  }

  /**
   * The submission pipeline: normalize → calculate → clear what is hidden → N/A → validate (all
   * errors) → limits. Pure: nothing is written; the caller stores what it returns. `partial` is a
   * save of values before completion, where fields may still be blank. Its FEEL evaluations are
   * one act: together they stay within FEEL_LIMITS.actSteps and actMilliseconds.
   */
  process(input: SubmissionInput, variables: Data, options: { partial?: boolean } = {}): Processed {
    return feelAct(() => this.run(input, variables, options));
  }

  private run(input: SubmissionInput, variables: Data, options: { partial?: boolean }): Processed {
    const errors: FieldError[] = [];
    const exceptions: ExceptionDraft[] = [];
    const entered = new Map<string, number>();
    const source = isObject(input.data) ? input.data : {};
    if (input.data !== undefined && !isObject(input.data))
      errors.push({ pointer: '/data', keyword: 'type', message: 'The data must be an object' });
    const data: Data = {};
    this.normalize(this.roots, this.rootKeys, source, data, '', errors, entered);
    this.calculate(data, variables, errors);
    const hidden = this.clearHidden(data);
    const naReasons = this.applyNa(input.na, data, hidden, errors);
    const device = this.provenance(input.sources, errors);

    if (!this.validate(data)) {
      for (const e of this.validate.errors ?? []) {
        if (options.partial && PARTIAL_KEYWORDS.has(e.keyword)) continue;
        // Inside an anyOf, each branch's failure is noise: the anyOf error says it.
        if (e.schemaPath.includes('/anyOf/')) continue;
        const mapped = this.message(e);
        if (mapped) errors.push(mapped);
      }
    }
    this.limits(data, variables, errors, exceptions);

    const values: ProcessedValue[] = [];
    for (const field of this.leaves) {
      for (const [pointer, value] of this.expand(field, data)) {
        const naReason = value === null ? (naReasons.get(pointer) ?? null) : null;
        const given = field.calculate ? null : device.get(pointer);
        const src: ValueSource = field.calculate ? 'calculated' : (given?.source ?? 'manual');
        values.push({
          pointer,
          field,
          value,
          source: src,
          device:
            given?.source === 'device'
              ? {
                  deviceId: given.deviceId!,
                  channel: given.channel ?? null,
                  raw: given.raw!,
                  ...(given.reading && { readingId: given.reading }),
                }
              : null,
          naReason,
          entered: entered.get(pointer) ?? null,
        });
        if (naReason !== null) {
          exceptions.push({
            pointer,
            type: 'na',
            severity: 'low',
            blocking: false,
            message: `${this.nameOf(field, pointer)} was answered N/A: ${naReason}`,
            details: { reason: naReason },
          });
        } else if (field.capture === 'device' && src === 'manual') {
          exceptions.push({
            pointer,
            type: 'manual_entry',
            severity: 'medium',
            blocking: false,
            message: `${this.nameOf(field, pointer)} was entered by hand in place of the device`,
            details: { value },
          });
        }
      }
    }
    for (const [pointer] of device) {
      if (
        !values.some((v) => v.pointer === pointer) &&
        !errors.some((e) => e.pointer === `/sources${pointer}`)
      ) {
        const field = this.fieldAt(pointer);
        if (field && !field.calculate)
          errors.push({
            pointer: `/sources${pointer}`,
            keyword: 'value',
            message: `${this.nameOf(field, pointer)} has a source but no value`,
          });
      }
    }
    return { data, values, errors, exceptions };
  }

  /** Values of a field, by pointer, over the rows of its grid. */
  expand(field: FieldSpec, data: Data): [string, unknown][] {
    const out: [string, unknown][] = [];
    const walk = (node: unknown, depth: number, pointer: string) => {
      if (depth === field.path.length) {
        out.push([pointer, node]);
        return;
      }
      const segment = field.path[depth]!;
      if (segment === '*') {
        if (Array.isArray(node)) node.forEach((row, i) => walk(row, depth + 1, `${pointer}/${i}`));
      } else if (isObject(node) && node[segment] !== undefined) {
        walk(node[segment], depth + 1, `${pointer}/${segment}`);
      }
    };
    walk(data, 0, '');
    return out;
  }

  private normalize(
    nodes: Node[],
    known: Map<string, Node>,
    from: Data,
    to: Data,
    prefix: string,
    errors: FieldError[],
    entered: Map<string, number>,
  ): void {
    for (const key of Object.keys(from)) {
      if (this.ignored.has(key) && prefix === '') continue;
      if (!known.has(key)) {
        errors.push({
          pointer: `${prefix}/${key}`,
          keyword: 'additionalProperties',
          message: `"${key}" is not a field of this form`,
        });
      }
    }
    for (const node of nodes) {
      const { field, children } = node;
      const pointer = `${prefix}/${field.key}`;
      const raw = from[field.key];
      if (field.type === 'container') {
        const inner: Data = {};
        if (isObject(raw)) this.normalize(children, node.byKey, raw, inner, pointer, errors, entered);
        else if (raw !== undefined && raw !== null) {
          to[field.key] = raw;
          continue;
        }
        to[field.key] = inner;
        continue;
      }
      if (raw === undefined || raw === null || raw === '') continue;
      if (field.type === 'datagrid' || field.type === 'editgrid') {
        if (!Array.isArray(raw)) to[field.key] = raw;
        else if (raw.length > 0) {
          to[field.key] = raw.map((row, i) => {
            if (!isObject(row)) return row;
            const inner: Data = {};
            this.normalize(children, node.byKey, row, inner, `${pointer}/${i}`, errors, entered);
            return inner;
          });
        }
        continue;
      }
      if (Array.isArray(raw) && raw.length === 0) continue;
      if (field.valueType === 'string' && typeof raw === 'string') {
        const text = raw.trim();
        if (text !== '') to[field.key] = text;
        continue;
      }
      if (field.valueType === 'number' && !field.choices) {
        const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw.trim()) : raw;
        to[field.key] =
          typeof n === 'number' && Number.isFinite(n) ? this.round(field, n, pointer, errors, entered) : raw;
        continue;
      }
      to[field.key] = raw;
    }
  }

  private round(
    field: FieldSpec,
    n: number,
    pointer: string,
    errors: FieldError[],
    entered: Map<string, number>,
  ) {
    const decimals =
      field.decimals ??
      (field.significantDigits !== null ? decimalsForSignificant(n, field.significantDigits) : null);
    if (decimals === null || decimalPlaces(n) <= decimals) return n;
    if (field.rounding === 'refuse') {
      errors.push({
        pointer,
        keyword: 'decimals',
        message: `${this.nameOf(field, pointer)} must have at most ${decimals} decimal places`,
      });
      return n;
    }
    entered.set(pointer, n);
    return roundTo(n, decimals, field.rounding);
  }

  private calculate(data: Data, variables: Data, errors: FieldError[]): void {
    if (this.calculated.length === 0) return;
    // A client's value for a calculated field is never an input, not even to another calculation.
    for (const field of this.calculated) {
      for (const holder of this.holders(field, data)) if (holder) delete holder[field.key];
    }
    // Calculations may use each other in any order: work them out until a pass changes nothing.
    let passErrors: FieldError[] = [];
    for (let pass = 0; pass <= this.calculated.length; pass++) {
      passErrors = [];
      if (!this.calculatePass(data, variables, passErrors)) break;
    }
    errors.push(...passErrors);
  }

  /** One pass over the calculated values; true when any of them changed. */
  private calculatePass(data: Data, variables: Data, errors: FieldError[]): boolean {
    let changed = false;
    // One context for the whole form; a value calculated at the top level joins it for the next ones.
    const base: Data = { ...variables, ...data };
    for (const field of this.calculated) {
      const rows = field.grid ? this.expandRows(field.grid, data) : [[null, data] as const];
      for (const [rowPointer, holder] of rows) {
        const row = rowPointer === null ? null : (holder as Data);
        const context = row ? { ...base, ...row, row } : base;
        const inRow = field.grid ? field.path.slice(field.grid.length + 1) : field.path;
        const target = row ? this.parentIn(row, inRow) : this.parentIn(data, field.path);
        const pointer = `${rowPointer ?? ''}/${inRow.join('/')}`;
        if (!target) continue;
        const before = target[field.key];
        try {
          const value = evaluateFeel(field.calculate!, context);
          if (value === null) delete target[field.key];
          else if (typeof value === 'number')
            target[field.key] = this.round(field, value, pointer, errors, new Map());
          else target[field.key] = value;
          if (!row && field.path.length === 1) base[field.key] = target[field.key];
        } catch (error) {
          if (!(error instanceof ExpressionError)) throw error;
          delete target[field.key];
          errors.push({
            pointer,
            keyword: 'feel',
            message: `${this.nameOf(field, pointer)} could not be calculated: ${error.message}`,
          });
        }
        if (target[field.key] !== before) changed = true;
      }
    }
    return changed;
  }

  /** The objects holding a field's value: its parent in the data, or in each row of its grid. */
  private holders(field: FieldSpec, data: Data): (Data | null)[] {
    if (!field.grid) return [this.parentIn(data, field.path)];
    const inRow = field.path.slice(field.grid.length + 1);
    return this.expandRows(field.grid, data).map(([, row]) => this.parentIn(row, inRow));
  }

  /** The rows of a grid with their pointers. */
  private expandRows(grid: string[], data: Data): [string, Data][] {
    let node: unknown = data;
    for (const s of grid) node = isObject(node) ? node[s] : undefined;
    if (!Array.isArray(node)) return [];
    const at = `/${grid.join('/')}`;
    return node.flatMap((row, i) => (isObject(row) ? [[`${at}/${i}`, row] as [string, Data]] : []));
  }

  /** Clears hidden values until nothing changes (a cleared value may hide another); returns hidden pointers. */
  private clearHidden(data: Data): Set<string> {
    const hidden = new Set<string>();
    for (let pass = 0; pass < 10 && this.conditional.length > 0; pass++) {
      let changed = false;
      for (const field of this.conditional) {
        const holders = field.grid ? this.expandRows(field.grid, data) : [['', data] as [string, Data]];
        for (const [rowPointer, base] of holders) {
          const offset = field.grid ? field.grid.length + 1 : 0;
          if (field.visibility.every((rule) => shows(rule, base, offset))) continue;
          const pointer = `${rowPointer}/${field.path.slice(offset).join('/')}`;
          hidden.add(pointer);
          const parent = field.grid
            ? this.parentIn(base, field.path.slice(offset))
            : this.parentIn(data, field.path);
          if (parent && field.key in parent) {
            delete parent[field.key];
            changed = true;
          }
        }
      }
      if (!changed) break;
    }
    return hidden;
  }

  private parentIn(base: Data, path: string[]): Data | null {
    let node: unknown = base;
    for (const s of path.slice(0, -1)) node = isObject(node) ? node[s] : undefined;
    return isObject(node) ? node : null;
  }

  private applyNa(na: unknown, data: Data, hidden: Set<string>, errors: FieldError[]): Map<string, string> {
    const reasons = new Map<string, string>();
    if (na === undefined) return reasons;
    if (!isObject(na)) {
      errors.push({
        pointer: '/na',
        keyword: 'type',
        message: 'N/A answers must be an object of pointer → reason',
      });
      return reasons;
    }
    for (const [pointer, reason] of Object.entries(na)) {
      const field = this.fieldAt(pointer);
      const at = `/na${pointer}`;
      if (!field || !field.naAllowed) {
        errors.push({
          pointer: at,
          keyword: 'naAllowed',
          message: field
            ? `${this.nameOf(field, pointer)} cannot be answered N/A`
            : `${pointer} is not a field of this form`,
        });
        continue;
      }
      if (typeof reason !== 'string' || !reason.trim() || reason.length > 1000) {
        errors.push({
          pointer: at,
          keyword: 'required',
          message: `A reason (up to 1000 characters) is required to answer ${this.nameOf(field, pointer)} N/A`,
        });
        continue;
      }
      if (hidden.has(pointer)) continue;
      const segments = pointer.slice(1).split('/');
      let parent: unknown = data;
      for (const s of segments.slice(0, -1))
        parent = isObject(parent) || Array.isArray(parent) ? (parent as Data)[s] : undefined;
      if (!isObject(parent)) {
        errors.push({
          pointer: at,
          keyword: 'value',
          message: `${this.nameOf(field, pointer)} is not in the data`,
        });
        continue;
      }
      const key = segments[segments.length - 1]!;
      if (parent[key] !== undefined) {
        errors.push({
          pointer: at,
          keyword: 'value',
          message: `${this.nameOf(field, pointer)} has a value and an N/A answer; give one`,
        });
        continue;
      }
      parent[key] = null;
      reasons.set(pointer, reason.trim());
    }
    return reasons;
  }

  private provenance(sources: unknown, errors: FieldError[]): Map<string, SourceInput> {
    const out = new Map<string, SourceInput>();
    if (sources === undefined) return out;
    if (!isObject(sources)) {
      errors.push({
        pointer: '/sources',
        keyword: 'type',
        message: 'Sources must be an object of pointer → source',
      });
      return out;
    }
    for (const [pointer, s] of Object.entries(sources)) {
      const at = `/sources${pointer}`;
      const field = this.fieldAt(pointer);
      if (!field) {
        errors.push({ pointer: at, keyword: 'value', message: `${pointer} is not a field of this form` });
        continue;
      }
      if (!isObject(s) || (s.source !== 'manual' && s.source !== 'device')) {
        errors.push({ pointer: at, keyword: 'enum', message: 'The source must be manual or device' });
        continue;
      }
      if (s.source === 'device') {
        const text = (v: unknown, max: number) => typeof v === 'string' && v.trim() !== '' && v.length <= max;
        if (
          !text(s.deviceId, 100) ||
          !text(s.raw, 2000) ||
          (s.channel !== undefined && !text(s.channel, 100))
        ) {
          errors.push({
            pointer: at,
            keyword: 'required',
            message: `A value from a device needs the device id and the raw reading (${this.nameOf(field, pointer)})`,
          });
          continue;
        }
      }
      out.set(pointer, s as unknown as SourceInput);
    }
    return out;
  }

  private limits(data: Data, variables: Data, errors: FieldError[], exceptions: ExceptionDraft[]): void {
    if (this.limited.length === 0) return;
    const base: Data = { ...variables, ...data };
    for (const field of this.limited) {
      const limits = field.limits!;
      for (const [pointer, value] of this.expand(field, data)) {
        if (typeof value !== 'number') continue;
        const row = field.grid ? this.rowAt(data, pointer, field.grid) : null;
        const context = row ? { ...base, ...row, row } : base;
        const name = this.nameOf(field, pointer);
        const band = (which: 'alert' | 'action') =>
          this.band(limits[which], context, name, which, pointer, errors);
        const action = band('action');
        const alert = band('alert');
        if (action === undefined || alert === undefined) continue;
        const show = (n: number) => formatNumber(n, field.decimals);
        const outside = (b: { min: number | null; max: number | null } | null) =>
          b && b.min !== null && value < b.min
            ? { end: 'min', limit: b.min }
            : b && b.max !== null && value > b.max
              ? { end: 'max', limit: b.max }
              : null;
        const actionBreach = outside(action);
        if (actionBreach && limits.reject) {
          errors.push({
            pointer,
            keyword: actionBreach.end === 'min' ? 'minimum' : 'maximum',
            message: `${name} must be at ${actionBreach.end === 'min' ? 'least' : 'most'} ${show(actionBreach.limit)}`,
          });
          continue;
        }
        const breach = actionBreach ?? outside(alert);
        if (!breach) continue;
        const which = actionBreach ? 'action' : 'alert';
        exceptions.push({
          pointer,
          type: 'limit_breach',
          severity: actionBreach ? 'high' : 'low',
          blocking: actionBreach !== null,
          message: `${name} ${show(value)} is ${breach.end === 'min' ? 'below' : 'above'} the ${which} limit ${show(breach.limit)}`,
          details: {
            value,
            band: which,
            limit: breach.limit,
            end: breach.end,
            unit: field.unit,
            action,
            alert,
          },
        });
      }
    }
  }

  /** The grid row a pointer is in. */
  rowAt(data: Data, pointer: string, grid: string[]): Data | null {
    const index = Number(pointer.slice(`/${grid.join('/')}/`.length).split('/')[0]);
    const rows = this.expandRows(grid, data);
    return rows.find(([p]) => p === `/${grid.join('/')}/${index}`)?.[1] ?? null;
  }

  /** A field's limits as they apply over these values (FEEL worked out); an end that cannot be is null. */
  limitsNow(field: FieldSpec, data: Data, variables: Data) {
    if (!field.limits) return null;
    const context = { ...variables, ...data };
    const band = (b: LimitBand | undefined) =>
      this.band(b, context, field.label, '', field.pointer, []) ?? (b ? { min: null, max: null } : null);
    return {
      alert: band(field.limits.alert),
      action: band(field.limits.action),
      reject: field.limits.reject === true,
      comment: field.limits.comment === true,
    };
  }

  /** A limit band evaluated; undefined when it could not be (then the submission is refused). */
  private band(
    band: LimitBand | undefined,
    context: Data,
    name: string,
    which: string,
    pointer: string,
    errors: FieldError[],
  ): { min: number | null; max: number | null } | null | undefined {
    if (!band) return null;
    const end = (v: number | string | undefined): number | null | undefined => {
      if (v === undefined || typeof v === 'number') return v ?? null;
      try {
        const result = evaluateFeel(v, context);
        // 100 * (1 + 5 / 200) is 102.49999999999999 in binary: a limit is the decimal it means.
        if (typeof result === 'number') return Number(result.toPrecision(12));
        errors.push({
          pointer,
          keyword: 'feel',
          message: `The ${which} limit of ${name} could not be worked out: "${v}" gave ${JSON.stringify(result)}`,
        });
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        errors.push({
          pointer,
          keyword: 'feel',
          message: `The ${which} limit of ${name} failed: ${error.message}`,
        });
      }
      return undefined;
    };
    const min = end(band.min);
    const max = end(band.max);
    return min === undefined || max === undefined ? undefined : { min, max };
  }

  /** An ajv error in plain language, at the pointer of the value (or of the missing field). */
  private message(e: ErrorObject): FieldError | null {
    if (e.keyword === 'if' || e.keyword === 'allOf') return null;
    const pointer =
      e.keyword === 'required'
        ? `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`
        : e.instancePath;
    // An item of a list (a choice of a multiple select, a file) is named after its field.
    const field = this.fieldAt(pointer) ?? this.fieldAt(pointer.replace(/\/\d+$/, ''));
    if (!field) return { pointer, keyword: e.keyword, message: e.message ?? 'is not valid' };
    const name = this.nameOf(field, pointer);
    const p = e.params as Record<string, unknown>;
    const n = (v: unknown) => formatNumber(Number(v), field.decimals);
    const things = field.items
      ? field.type === 'file'
        ? 'files'
        : field.type === 'select'
          ? 'choices'
          : 'rows'
      : '';
    const text = (() => {
      switch (e.keyword) {
        case 'required':
          return `${name} is required`;
        case 'minimum':
          return `${name} must be at least ${n(p.limit)}`;
        case 'maximum':
          return `${name} must be at most ${n(p.limit)}`;
        case 'exclusiveMinimum':
          return `${name} must be more than ${n(p.limit)}`;
        case 'exclusiveMaximum':
          return `${name} must be less than ${n(p.limit)}`;
        case 'type':
          return `${name} must be ${field.valueType === 'number' ? 'a number' : field.valueType === 'boolean' ? 'yes or no' : field.valueType === 'array' ? 'a list' : field.valueType === 'object' ? 'a group of values' : 'text'}`;
        case 'enum':
          return `${name} must be one of: ${(field.choices ?? []).map((c) => c.label).join(', ')}`;
        case 'const':
          return `${name} must be checked`;
        case 'anyOf':
          return `${name} needs at least one choice`;
        case 'minLength':
          return `${name} must have at least ${String(p.limit)} characters`;
        case 'maxLength':
          return `${name} must have at most ${String(p.limit)} characters`;
        case 'pattern':
          return field.type === 'time'
            ? `${name} must be a time like 14:30`
            : field.type === 'day'
              ? `${name} must be a day like 24/11/2026`
              : `${name} does not have the required format`;
        case 'format':
          return `${name} must be ${p.format === 'email' ? 'an email address' : p.format === 'uri' ? 'a web address' : p.format === 'date-time' ? 'a date and time with its time zone' : `a valid ${String(p.format)}`}`;
        case 'minItems':
          return `${name} must have at least ${String(p.limit)} ${things}`;
        case 'maxItems':
          return `${name} must have at most ${String(p.limit)} ${things}`;
        case 'uniqueItems':
          return `${name} has the same choice twice`;
        case 'additionalProperties':
          return `"${String(p.additionalProperty)}" is not a part of ${name}`;
        default:
          return `${name} ${e.message ?? 'is not valid'}`;
      }
    })();
    return { pointer, keyword: e.keyword, message: text };
  }
}

/** Whether a show/hide rule shows its field, over the object its condition paths start from. */
function shows(rule: Visibility, base: Data, offset: number): boolean {
  const test = (c: Condition) => holds(c, valueAt(base, c.path.slice(offset)));
  const met = rule.conjunction === 'all' ? rule.conditions.every(test) : rule.conditions.some(test);
  return rule.show ? met : !met;
}

function valueAt(base: Data, path: string[]): unknown {
  let node: unknown = base;
  for (const s of path) node = isObject(node) ? node[s] : undefined;
  return node;
}

function holds(c: Condition, value: unknown): boolean {
  switch (c.operator) {
    case 'isEmpty':
      return value === undefined;
    case 'isNotEmpty':
      return value !== undefined;
    case 'lessThan':
      return typeof value === 'number' && value < (c.value as number);
    case 'lessThanOrEqual':
      return typeof value === 'number' && value <= (c.value as number);
    case 'greaterThan':
      return typeof value === 'number' && value > (c.value as number);
    case 'greaterThanOrEqual':
      return typeof value === 'number' && value >= (c.value as number);
    default: {
      const equal = Array.isArray(value)
        ? value.includes(c.value)
        : isObject(value)
          ? value[String(c.value)] === true
          : value === c.value;
      return c.operator === 'isEqual' ? equal : !equal;
    }
  }
}
