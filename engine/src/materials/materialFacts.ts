import { InputError, type FieldError } from '../kernel/errors.ts';
import { optionalText, requireText } from '../kernel/textInput.ts';
import type { Subject } from '../audit/types.ts';

export const MATERIAL_TYPES = [
  'api',
  'excipient',
  'primary_packaging',
  'printed_packaging',
  'intermediate',
  'finished_product',
] as const;
export type MaterialType = (typeof MATERIAL_TYPES)[number];
export const BASE_UNITS = ['kg', 'g', 'mg', 'L', 'mL', 'pcs'] as const;
export type BaseUnit = (typeof BASE_UNITS)[number];
/** How many of a lot’s containers are sampled: √n + 1 rounded up, every one, or the first. */
export const SAMPLING_PLANS = ['sqrt_n_plus_1', 'all', 'first'] as const;
export type SamplingPlan = (typeof SAMPLING_PLANS)[number];
export const SUPPLIER_STATUSES = ['approved', 'conditional', 'blocked'] as const;
export type SupplierStatus = (typeof SUPPLIER_STATUSES)[number];
export const LOT_STATUSES = [
  'quarantine',
  'sampled',
  'released',
  'rejected',
  'expired',
  'returned',
  'recalled',
] as const;
export type LotStatus = (typeof LOT_STATUSES)[number];
export const TRANSACTION_KINDS = [
  'receipt',
  'issue',
  'return',
  'adjustment',
  'destruction',
  'sample',
] as const;
export type TransactionKind = (typeof TRANSACTION_KINDS)[number];

/** Material, supplier and location codes as the plant writes them on labels. */
export const CODE = /^[A-Z0-9][A-Z0-9._-]{0,39}$/;
export const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const materialSubject = (id: string): Subject => ({ id, type: 'material' });
export const lotSubject = (id: string): Subject => ({ id, type: 'lot' });

/** A plant date some months later; the 31st of a shorter month becomes its last day. */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(d, last));
  return first.toISOString().slice(0, 10);
}

export const isDate = (value: unknown): value is string =>
  typeof value === 'string' &&
  DATE.test(value) &&
  new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) === value;

/**
 * Collects the problems of many fields, so a refusal names all of them at once: `field` runs a
 * check that throws InputError and keeps its errors; `fail` adds one.
 */
export class Problems {
  readonly errors: FieldError[] = [];
  field<T>(read: () => T): T | undefined {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.errors.push(...error.errors);
      return undefined;
    }
  }
  fail(pointer: string, keyword: string, message: string): void {
    this.errors.push({ pointer, keyword, message });
  }
  /** Refuses with every problem found, naming what was checked. */
  check(what: string): void {
    if (this.errors.length > 0)
      throw new InputError(
        `${what} is not valid: ${this.errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}`,
        this.errors,
      );
  }
}

/** A quantity as a person typed it: a finite number with at most six decimals, within reason. */
export function quantityOf(
  problems: Problems,
  value: unknown,
  pointer: string,
  sign: 'positive' | 'nonzero',
): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    problems.fail(pointer, 'type', 'must be a number');
    return undefined;
  }
  if (sign === 'positive' ? value <= 0 : value === 0) {
    problems.fail(
      pointer,
      sign === 'positive' ? 'exclusiveMinimum' : 'not',
      `must be ${sign === 'positive' ? 'more than 0' : 'other than 0'}`,
    );
    return undefined;
  }
  if (Math.abs(value) >= 1e12 || Number(value.toFixed(6)) !== value) {
    problems.fail(pointer, 'multipleOf', 'must be below a trillion, with at most six decimals');
    return undefined;
  }
  return value;
}

/** A whole number of months, or null. */
export function monthsOf(problems: Problems, value: unknown, pointer: string): number | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 600) {
    problems.fail(pointer, 'type', 'must be a whole number of months from 1 to 600, or null');
    return null;
  }
  return value;
}

export function oneOf<T extends string>(
  problems: Problems,
  value: unknown,
  pointer: string,
  allowed: readonly T[],
): T | undefined {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  problems.fail(pointer, 'enum', `must be one of ${allowed.join(', ')}`);
  return undefined;
}

export function codeOf(problems: Problems, value: unknown, pointer: string): string | undefined {
  if (typeof value === 'string' && CODE.test(value)) return value;
  problems.fail(
    pointer,
    'pattern',
    'must be capital letters, digits, dots, dashes or underscores (at most 40)',
  );
  return undefined;
}

/** Sums a numeric column as PostgreSQL returns it (text), to a number of six decimals at most. */
export const amount = (value: unknown): number => Number(Number(value ?? 0).toFixed(6));

/** A reason: required for some acts (with what it is needed for), free for the others. */
export function reasonOf(problems: Problems, value: unknown, neededFor: string | null): string | null {
  if (neededFor !== null && (value === undefined || value === null || value === '')) {
    problems.fail('/reason', 'required', `is needed ${neededFor}`);
    return null;
  }
  return (
    problems.field(() =>
      neededFor ? requireText(value, '/reason', 1000) : optionalText(value, '/reason', 1000),
    ) ?? null
  );
}
