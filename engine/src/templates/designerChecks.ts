import { InputError, type FieldError } from '../kernel/errors.ts';
import { compileForm } from '../forms/compiler.ts';
import { FormRuntime, type Verdict } from '../forms/pipeline.ts';
import type { FieldSpec, LimitBand, LimitValue } from '../forms/types.ts';
import { requirePermission, type Principal } from '../kernel/permissions.ts';
import { processProblems, type ElementProblem } from './packageCheck.ts';

/**
 * The designer's questions to the engine, answered without storing anything: does this model
 * compile as a template's process, does this form compile, and what would the submission pipeline
 * make of these sample values. The browser decides nothing; it shows these answers.
 */

/** A band of limits as the form states it: numbers or FEEL, null for an open end. */
export interface BandSummary {
  min: LimitValue | null;
  max: LimitValue | null;
}

/** What the engine will enforce of one field of a compiled form. */
export interface FieldCheck {
  key: string;
  /** Where its value is in a submission, e.g. `/samples/*\/weight`. */
  pointer: string;
  label: string;
  type: string;
  unit: string | null;
  required: boolean;
  /** Needs second-person verification when entered by hand (E5). */
  critical: boolean;
  /** FEEL the server computes the value with; null for an entered value. */
  calculate: string | null;
  limits: {
    alert: BandSummary | null;
    action: BandSummary | null;
    reject: boolean;
    comment: boolean;
  } | null;
}

const band = (b: LimitBand | undefined): BandSummary | null =>
  b ? { min: b.min ?? null, max: b.max ?? null } : null;

const fieldCheck = (f: FieldSpec): FieldCheck => ({
  key: f.key,
  pointer: f.pointer,
  label: f.label,
  type: f.type,
  unit: f.unit,
  required: f.required,
  critical: f.critical,
  calculate: f.calculate,
  limits: f.limits && {
    alert: band(f.limits.alert),
    action: band(f.limits.action),
    reject: f.limits.reject === true,
    comment: f.limits.comment === true,
  },
});

/**
 * Checks a BPMN file as the engine checks a template's process at import, every problem at its
 * element. With the template's forms, a user task whose form is not among them is a problem too.
 */
async function checkProcess(
  principal: Principal,
  input: { xml: string; forms?: Record<string, unknown> },
): Promise<{ ok: boolean; problems: ElementProblem[] }> {
  requirePermission(principal, 'templates.manage');
  const problems = await processProblems(input.xml, {
    ...(input.forms && { formKeys: new Set(Object.keys(input.forms)) }),
  });
  return { ok: problems.length === 0, problems };
}

/** Compiles a Form.io definition: its problems, or the fields the engine will enforce. */
function checkForm(
  principal: Principal,
  definition: unknown,
): { ok: boolean; problems: FieldError[]; fields: FieldCheck[] } {
  requirePermission(principal, 'templates.manage');
  try {
    return { ok: true, problems: [], fields: compileForm(definition).fields.map(fieldCheck) };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return { ok: false, problems: error.errors, fields: [] };
  }
}

/**
 * Runs sample values through the submission pipeline as completing a task does: normalized,
 * calculated, validated, checked against limits. Nothing is stored. A definition that does not
 * compile is refused with its problems.
 */
function previewForm(
  principal: Principal,
  input: {
    definition: unknown;
    data: unknown;
    na?: Record<string, string>;
    variables?: Record<string, unknown>;
  },
): Verdict {
  requirePermission(principal, 'templates.manage');
  const runtime = new FormRuntime(compileForm(input.definition));
  const processed = runtime.process(
    { data: input.data, ...(input.na && { na: input.na }) },
    input.variables ?? {},
    { partial: false },
  );
  return runtime.verdict(processed);
}

export type DesignerChecks = typeof designerChecks;

export const designerChecks = { checkProcess, checkForm, previewForm };
