import type { Knex } from 'knex';
import { compileBpmn } from '../bpmn/model/compile.ts';
import type { FlowNode, ProcessGraph } from '../bpmn/model/graph.ts';
import { ModelError } from '../bpmn/model/modelError.ts';
import { unenforced } from '../bpmn/service/deployment.ts';
import { InputError, type FieldError } from '../kernel/errors.ts';
import { compileForm } from '../forms/compiler.ts';
import { userRepository } from '../identity/userRepository.ts';
import { validateManifest, type TemplateManifest, type TemplatePackage } from './package.ts';

/**
 * What the engine checks of a template package before a version may go to review: the manifest,
 * the process as the executor runs it and as a template's process must be, the forms, and what
 * they refer to. One set of checks serves an import, a draft's save, a submission and the
 * designer's modeler, so the designer never accepts what the engine would refuse.
 */

/** One problem of a BPMN file at the element a modeler highlights; `elementId` null: the file as a whole. */
export interface ElementProblem {
  elementId: string | null;
  /** BPMN type, e.g. `bpmn:ComplexGateway`. */
  elementType: string;
  name: string | null;
  /** What kind of problem: xml, reference, unsupported, structure, feel or value. */
  keyword: string;
  problem: string;
}

/** A problem told both ways: at its element for the modeler, as a field error under the process. */
interface Finding {
  element: ElementProblem;
  error: FieldError;
}

const FILE = 'bpmn:Definitions';
const escapePointer = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1');
const typeOf = (node: FlowNode) => `bpmn:${node.kind[0]!.toUpperCase()}${node.kind.slice(1)}`;

/** At a flow node: the modeler's problem, and the package's message naming the node first. */
function at(node: FlowNode, keyword: string, problem: string, message = `${node.id} ${problem}`): Finding {
  return {
    element: { elementId: node.id, elementType: typeOf(node), name: node.name, keyword, problem },
    error: { pointer: `/elements/${escapePointer(node.id)}`, keyword, message },
  };
}

/** The graphs of a BPMN file, or every problem the compiler found in it. */
async function compile(xml: string): Promise<{ graphs: readonly ProcessGraph[]; findings: Finding[] }> {
  try {
    return { graphs: (await compileBpmn(xml)).processes, findings: [] };
  } catch (error) {
    if (!(error instanceof ModelError)) throw error;
    // The error lists its problems and its field errors in the same order; the keyword is in the latter.
    const findings = error.problems.map((p, i) => {
      const e = error.errors[i]!;
      const elementId = p.elementType === FILE ? null : p.elementId;
      return { element: { ...p, elementId, keyword: e.keyword }, error: e };
    });
    return { graphs: [], findings };
  }
}

/**
 * What a template's process must be beyond what the executor runs: one process, with the
 * template's id, using only what is enforced, started only as a record, its user tasks' forms in
 * the package and their roles the manifest's. Each check runs when what it needs is known.
 */
function templateFindings(
  graphs: readonly ProcessGraph[],
  context: { templateId?: string; formKeys?: ReadonlySet<string>; roles?: ReadonlySet<string> },
): Finding[] {
  if (graphs.length !== 1) {
    const keyword = 'structure';
    return [
      {
        element: {
          elementId: null,
          elementType: FILE,
          name: null,
          keyword,
          problem: `a template has exactly one executable process; this file has ${graphs.length}`,
        },
        error: {
          pointer: '',
          keyword,
          message: `A template has exactly one executable process; process.bpmn has ${graphs.length}`,
        },
      },
    ];
  }
  const graph = graphs[0]!;
  const findings: Finding[] = [];
  const { templateId, formKeys, roles } = context;
  if (templateId !== undefined && graph.key !== templateId) {
    findings.push({
      element: {
        elementId: graph.key,
        elementType: 'bpmn:Process',
        name: graph.name,
        keyword: 'value',
        problem: `its id must be the template's id "${templateId}"`,
      },
      error: {
        pointer: '',
        keyword: 'value',
        message: `The process id is "${graph.key}"; a template's process must have the template's id "${templateId}"`,
      },
    });
  }
  for (const e of unenforced(graph)) {
    const node = graph.nodes[e.pointer.slice('/elements/'.length)]!;
    findings.push(at(node, e.keyword, e.message, e.message));
  }
  // A record starts it (D2): a message, signal or timer would start an instance without one.
  for (const id of graph.triggeredStarts) {
    const node = graph.nodes[id]!;
    findings.push(
      at(
        node,
        'unsupported',
        `starts the process by a ${node.event?.type}; a template's process starts only as a record, from its none start event`,
      ),
    );
  }
  for (const node of Object.values(graph.nodes)) {
    const task = node.userTask;
    if (!task) continue;
    if (formKeys && task.formKey !== null && !formKeys.has(task.formKey)) {
      findings.push(
        at(node, 'reference', `uses the form "${task.formKey}", which is not in the package's forms folder`),
      );
    }
    for (const role of roles ? task.candidateRoles.filter((r) => !roles.has(r)) : []) {
      findings.push(
        at(node, 'reference', `is for the role "${role}", which the manifest's roles do not list`),
      );
    }
  }
  return findings;
}

/**
 * Checks a BPMN file as a template's process, at each element, before anything is saved: what the
 * compiler reports, what a template's process must be, and, when the forms are known, that every
 * user task's form is among them.
 */
export async function processProblems(
  xml: string,
  context: { formKeys?: ReadonlySet<string> } = {},
): Promise<ElementProblem[]> {
  const { graphs, findings } = await compile(xml);
  return (findings.length > 0 ? findings : templateFindings(graphs, context)).map((f) => f.element);
}

/** A form's compile problems, at pointers into its definition. */
export function formProblems(definition: unknown): FieldError[] {
  try {
    compileForm(definition);
    return [];
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return error.errors;
  }
}

/**
 * Every problem that keeps a package from review, at once, each at its pointer into the package
 * (`/manifest/…`, `/process/…`, `/forms/<key>/…`): the manifest against its schema; the process
 * compiled and checked as a template's; every form compiled; the roles known here. Checks that
 * need a valid manifest wait until it is.
 */
export async function packageProblems(pkg: TemplatePackage, db: Knex): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  let manifest: TemplateManifest | null = null;
  try {
    manifest = validateManifest(pkg.manifest);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    errors.push(...error.errors);
  }
  const { graphs, findings } = await compile(pkg.process);
  const process =
    findings.length > 0
      ? findings
      : templateFindings(graphs, {
          templateId: pkg.manifest.id,
          formKeys: new Set(pkg.forms.map((f) => f.key)),
          ...(manifest && { roles: new Set(manifest.roles) }),
        });
  errors.push(...process.map(({ error: e }) => ({ ...e, pointer: `/process${e.pointer}` })));
  for (const f of pkg.forms) {
    errors.push(...formProblems(f.definition).map((e) => ({ ...e, pointer: `/forms/${f.key}${e.pointer}` })));
  }
  if (!manifest) return errors;
  const known = new Set(await userRepository.existingRoles(db, manifest.roles));
  for (const [i, role] of manifest.roles.entries()) {
    if (!known.has(role)) {
      errors.push({
        pointer: `/manifest/roles/${i}`,
        keyword: 'reference',
        message: `The role "${role}" does not exist here; define it before importing the template`,
      });
    }
  }
  for (const [taskId, sops] of Object.entries(manifest.qualifications ?? {})) {
    if (sops.length === 0) continue;
    errors.push({
      pointer: `/manifest/qualifications/${taskId}`,
      keyword: 'unsupported',
      message: `${taskId} requires qualifications (${sops.join(', ')}), which this version of Attest cannot check yet`,
    });
  }
  return errors;
}
