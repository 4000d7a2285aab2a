import { compileBpmn } from '../bpmn/model/compile.ts';
import type { FlowNode, NodeKind, ProcessGraph, SequenceFlow } from '../bpmn/model/graph.ts';
import { canonicalize } from '../kernel/canonicalJson.ts';
import { InputError } from '../kernel/errors.ts';
import { compileForm } from '../forms/compiler.ts';
import type { FieldSpec } from '../forms/types.ts';
import type { TemplatePackage } from './package.ts';
import { isObject } from '../kernel/isObject.ts';

/**
 * What changed between two versions of a template, in the terms a reviewer approves: manifest
 * values, process elements and form fields, each compared as the engine executes it (compiled), so a
 * moved shape or reformatted XML is no change and a changed condition or limit always is.
 */

/** One changed value: a JSON pointer into the compared thing, and its old and new value (null: absent). */
export interface ValueChange {
  path: string;
  old: unknown;
  new: unknown;
}

/** A process, flow node or sequence flow of a package's BPMN. */
export interface ElementSummary {
  id: string;
  kind: NodeKind | 'sequenceFlow' | 'process';
  name: string | null;
  /** The key of the process the element is in (its own for a process). */
  process: string;
}

/** An input field of a form. */
export interface FieldSummary {
  key: string;
  /** Where its value is in a submission, e.g. `/samples/*\/weight`; fields are matched by it. */
  pointer: string;
  label: string;
  type: string;
}

export interface FormDiff {
  key: string;
  fields: {
    added: FieldSummary[];
    removed: FieldSummary[];
    changed: { key: string; pointer: string; label: string; changes: ValueChange[] }[];
  };
}

export interface TemplateDiff {
  /** Changed manifest values, by JSON pointer (a list is compared whole). */
  manifest: ValueChange[];
  process: {
    added: ElementSummary[];
    removed: ElementSummary[];
    changed: { id: string; name: string | null; changes: ValueChange[] }[];
  };
  /**
   * Forms by key. A form is changed when its definition is, even if no field is (instructions,
   * layout): then its field lists are empty.
   */
  forms: { added: string[]; removed: string[]; changed: FormDiff[] };
  /** Whether the README's text differs. */
  readme: boolean;
  /** Nothing above differs. */
  identical: boolean;
}

type Side = 'old' | 'new';

const escapePointer = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1');
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const same = (a: unknown, b: unknown) => canonicalize(a ?? null) === canonicalize(b ?? null);

/**
 * The values that differ between two JSON values, down through objects (lists are compared whole:
 * a role list or a choice list reads better as one change than as shifted items), keys sorted.
 */
function valueChanges(old: unknown, next: unknown, path = ''): ValueChange[] {
  if (isObject(old) && isObject(next)) {
    const keys = [...new Set([...Object.keys(old), ...Object.keys(next)])].sort(compare);
    return keys.flatMap((key) => valueChanges(old[key], next[key], `${path}/${escapePointer(key)}`));
  }
  return same(old, next) ? [] : [{ path, old: old ?? null, new: next ?? null }];
}

// ---------------------------------------------------------------------------------------------
// Process

interface Element {
  summary: ElementSummary;
  /** What is compared: everything about the element that changes how it runs or what people see. */
  compared: Record<string, unknown>;
}

function nodeElement(process: string, n: FlowNode): Element {
  return {
    summary: { id: n.id, kind: n.kind, name: n.name, process },
    compared: {
      process,
      kind: n.kind,
      name: n.name,
      parent: n.parent,
      userTask: n.userTask,
      event: n.event,
      script: n.script,
      service: n.service,
      calledElement: n.calledElement,
      multiInstance: n.multiInstance,
      io: n.io,
      attachedTo: n.attachedTo,
      interrupting: n.interrupting,
      defaultFlow: n.defaultFlow,
      triggeredByEvent: n.subProcess?.triggeredByEvent ?? null,
    },
  };
}

function flowElement(process: string, f: SequenceFlow): Element {
  return {
    summary: { id: f.id, kind: 'sequenceFlow', name: f.name, process },
    compared: { process, name: f.name, source: f.source, target: f.target, condition: f.condition },
  };
}

/** The elements of a BPMN file by category and id (ids are unique in a file). */
function elements(processes: readonly ProcessGraph[]): Map<string, Element> {
  const all = new Map<string, Element>();
  for (const p of processes) {
    all.set(`process:${p.key}`, {
      summary: { id: p.key, kind: 'process', name: p.name, process: p.key },
      compared: { name: p.name },
    });
    for (const n of Object.values(p.nodes)) all.set(`node:${n.id}`, nodeElement(p.key, n));
    for (const f of Object.values(p.flows)) all.set(`flow:${f.id}`, flowElement(p.key, f));
  }
  return all;
}

/** Rethrows a compile error of one side with its pointers under the part it came from. */
function refused(error: unknown, side: Side, what: string, pointer: string): never {
  if (!(error instanceof InputError)) throw error;
  throw new InputError(
    `The ${side} package's ${what} cannot be compared: ${error.message}`,
    error.errors.map((e) => ({ ...e, pointer: `${pointer}${e.pointer}` })),
  );
}

async function compileProcess(pkg: TemplatePackage, side: Side): Promise<Map<string, Element>> {
  try {
    return elements((await compileBpmn(pkg.process)).processes);
  } catch (error) {
    refused(error, side, 'process', '/process');
  }
}

const byId = (a: { id: string }, b: { id: string }) => compare(a.id, b.id);

function diffProcess(old: Map<string, Element>, next: Map<string, Element>): TemplateDiff['process'] {
  const added = [...next].filter(([k]) => !old.has(k)).map(([, e]) => e.summary);
  const removed = [...old].filter(([k]) => !next.has(k)).map(([, e]) => e.summary);
  const changed = [...next]
    .filter(([k]) => old.has(k))
    .map(([k, e]) => ({
      id: e.summary.id,
      name: e.summary.name,
      changes: valueChanges(old.get(k)!.compared, e.compared),
    }))
    .filter((c) => c.changes.length > 0);
  return { added: added.sort(byId), removed: removed.sort(byId), changed: changed.sort(byId) };
}

// ---------------------------------------------------------------------------------------------
// Forms

function compileFields(key: string, definition: unknown, side: Side): Map<string, FieldSpec> {
  try {
    return new Map(compileForm(definition).fields.map((f) => [f.pointer, f]));
  } catch (error) {
    refused(error, side, `form ${key}`, `/forms/${escapePointer(key)}`);
  }
}

const fieldSummary = (f: FieldSpec): FieldSummary => ({
  key: f.key,
  pointer: f.pointer,
  label: f.label,
  type: f.type,
});

/** A field as compared: the pointer matched it, and the path only spells the pointer out. */
const comparedField = ({ pointer: _pointer, path: _path, ...rest }: FieldSpec) => rest;

function diffFields(key: string, oldDefinition: unknown, newDefinition: unknown): FormDiff['fields'] {
  const old = compileFields(key, oldDefinition, 'old');
  const next = compileFields(key, newDefinition, 'new');
  const byPointer = (a: { pointer: string }, b: { pointer: string }) => compare(a.pointer, b.pointer);
  const added = [...next.values()].filter((f) => !old.has(f.pointer)).map(fieldSummary);
  const removed = [...old.values()].filter((f) => !next.has(f.pointer)).map(fieldSummary);
  const changed = [...next.values()]
    .filter((f) => old.has(f.pointer))
    .map((f) => ({
      key: f.key,
      pointer: f.pointer,
      label: f.label,
      changes: valueChanges(comparedField(old.get(f.pointer)!), comparedField(f)),
    }))
    .filter((c) => c.changes.length > 0);
  return {
    added: added.sort(byPointer),
    removed: removed.sort(byPointer),
    changed: changed.sort(byPointer),
  };
}

function diffForms(old: TemplatePackage['forms'], next: TemplatePackage['forms']): TemplateDiff['forms'] {
  const oldByKey = new Map(old.map((f) => [f.key, f.definition]));
  const newByKey = new Map(next.map((f) => [f.key, f.definition]));
  const added = [...newByKey.keys()].filter((k) => !oldByKey.has(k)).sort(compare);
  const removed = [...oldByKey.keys()].filter((k) => !newByKey.has(k)).sort(compare);
  const changed = [...newByKey.keys()]
    .filter((k) => oldByKey.has(k) && !same(oldByKey.get(k), newByKey.get(k)))
    .sort(compare)
    .map((key) => ({ key, fields: diffFields(key, oldByKey.get(key), newByKey.get(key)) }));
  return { added, removed, changed };
}

/**
 * Compares two versions of a template (usually the effective one and its successor) as a reviewer
 * needs to see them: changed manifest values by pointer; process elements added, removed and
 * changed by id; forms added and removed by key, and in changed forms, fields added, removed and
 * changed by pointer. Processes and forms are compiled first, so both must be valid; a side that is
 * not is refused with its compile errors, under `/process` or `/forms/<key>`. Lists are sorted by
 * id, key or pointer, so the same two packages always give the same diff.
 */
export async function diffPackages(a: TemplatePackage, b: TemplatePackage): Promise<TemplateDiff> {
  const [oldElements, newElements] = await Promise.all([compileProcess(a, 'old'), compileProcess(b, 'new')]);
  const manifest = valueChanges(a.manifest, b.manifest);
  const process = diffProcess(oldElements, newElements);
  const forms = diffForms(a.forms, b.forms);
  const readme = a.readme !== b.readme;
  const identical =
    manifest.length === 0 &&
    process.added.length + process.removed.length + process.changed.length === 0 &&
    forms.added.length + forms.removed.length + forms.changed.length === 0 &&
    !readme;
  return { manifest, process, forms, readme, identical };
}
