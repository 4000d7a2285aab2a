import { InputError, type FieldError } from '../kernel/errors.ts';
import { optionalText, requireText } from '../kernel/textInput.ts';

/** An equipment or room number as the plant writes it on the label: MX-01, R-104. */
export const CODE = /^[A-Z0-9][A-Z0-9._-]{1,39}$/;

/**
 * Collects every problem of an input before refusing it, so a person fixes all of them at once;
 * each reader returns the value it checked, or undefined when it found a problem.
 */
export class InputCheck {
  readonly errors: FieldError[] = [];
  constructor(
    /** Where the input sits in what was sent: '' for a body, `/csv` for rows of an import. */
    private readonly at = '',
  ) {}

  private field<T>(read: () => T): T | undefined {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.errors.push(...error.errors);
      return undefined;
    }
  }

  problem(pointer: string, keyword: string, message: string): undefined {
    this.errors.push({ pointer: `${this.at}${pointer}`, keyword, message });
    return undefined;
  }

  text(value: unknown, pointer: string, max: number): string | undefined {
    return this.field(() => requireText(value, `${this.at}${pointer}`, max));
  }

  optionalText(value: unknown, pointer: string, max: number): string | null | undefined {
    return this.field(() => optionalText(value, `${this.at}${pointer}`, max));
  }

  code(value: unknown, pointer: string): string | undefined {
    const code = this.text(value, pointer, 40);
    if (code !== undefined && !CODE.test(code))
      return this.problem(pointer, 'pattern', 'must be capital letters, digits, dots, dashes or underscores');
    return code;
  }

  oneOf<T extends string>(value: unknown, pointer: string, allowed: readonly T[]): T | undefined {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    return this.problem(pointer, 'enum', `must be one of ${allowed.join(', ')}`);
  }

  /** A calendar date the plant means, YYYY-MM-DD, that exists; null when `nullable` and not given. */
  date(value: unknown, pointer: string, nullable: boolean): string | null | undefined {
    if (nullable && (value === null || value === undefined || value === '')) return null;
    if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
      const day = new Date(`${value}T00:00:00Z`);
      if (!Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === value) return value;
    }
    return this.problem(pointer, 'format', `must be a date, YYYY-MM-DD${nullable ? ', or null' : ''}`);
  }

  /** Whole hours between 1 and a year; null (no limit) when not given. */
  hours(value: unknown, pointer: string): number | null | undefined {
    if (value === null || value === undefined || value === '') return null;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 8760) return value;
    return this.problem(pointer, 'range', 'must be whole hours from 1 to 8760, or null');
  }

  boolean(value: unknown, pointer: string): boolean | undefined {
    if (typeof value === 'boolean') return value;
    return this.problem(pointer, 'type', 'must be true or false');
  }

  /** What every change of a master record carries: why, and the version it was made on. */
  reasonedChange(body: { reason?: unknown; version?: unknown }): { reason: string; version: number } {
    const reason = this.text(body.reason, '/reason', 1000);
    const version = body.version;
    if (!(typeof version === 'number' && Number.isInteger(version) && version >= 1))
      this.problem('/version', 'type', 'must be the version the change was made on');
    this.done('The change');
    return { reason: reason!, version: version as number };
  }

  /** Refuses the input with every problem found, as `what is not valid: …`. */
  done(what: string): void {
    if (this.errors.length > 0)
      throw new InputError(
        `${what} is not valid: ${this.errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}`,
        this.errors,
      );
  }
}
