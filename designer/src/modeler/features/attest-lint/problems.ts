import type { components } from '@attest/task-form/api';
import { elementReasons, type ModdleLike } from '../../unsupported.ts';

/** One compile problem, as the server's process check gives it (`POST /api/designer/process-check`). */
export type Problem = components['schemas']['ProcessCheck']['problems'][number];

/** What the diagram shows: messages on elements, and the rest in the problems list. */
export interface ProblemView {
  /** Every problem, the local ones first. */
  problems: Problem[];
  /** The messages of each element drawn on the diagram, by element id. */
  byElement: Map<string, string[]>;
  /** Problems with no element on the diagram (the file, a message, a signal), each with its text. */
  general: { problem: Problem; text: string }[];
}

/** The engine's problems about the file as a whole name this id, which no diagram element has. */
const DEFINITIONS = 'definitions';

/** What the modeler knows without asking the server: the elements the engine would refuse. */
export function localProblems(elements: Iterable<ModdleLike>): Problem[] {
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const element of elements) {
    if (typeof element.id !== 'string' || seen.has(element.id)) continue;
    seen.add(element.id);
    for (const reason of elementReasons(element)) {
      problems.push({
        elementId: element.id,
        elementType: element.$type,
        name: element.name ?? null,
        keyword: 'unsupported',
        problem: reason,
      });
    }
  }
  return problems;
}

/**
 * The local problems with the server's. The server names an element the engine refuses too, in
 * its own words: the local reason, which says what to use instead, is kept rather than both.
 */
export function mergeProblems(local: readonly Problem[], server: readonly Problem[]): Problem[] {
  const refused = new Set(local.map((p) => p.elementId));
  return [...local, ...server.filter((p) => !(p.keyword === 'unsupported' && refused.has(p.elementId)))];
}

/** `bpmn:UserTask` → `User task`. */
function typeLabel(type: string): string {
  const words = type.replace(/^\w+:/, '').replace(/\B([A-Z])/g, ' $1');
  return words.charAt(0) + words.slice(1).toLowerCase();
}

/** How the problems list names what a problem is about. */
export function subject(problem: Problem): string {
  if (problem.elementId === null || problem.elementId === DEFINITIONS) return 'The model';
  const what = typeLabel(problem.elementType);
  return problem.name ? `${what} "${problem.name}"` : `${what} ${problem.elementId}`;
}

/** Sorts problems onto the elements the diagram draws (`onDiagram`) or into the general list. */
export function problemView(problems: readonly Problem[], onDiagram: (id: string) => boolean): ProblemView {
  const byElement = new Map<string, string[]>();
  const general: ProblemView['general'] = [];
  for (const problem of problems) {
    const id = problem.elementId;
    if (id !== null && id !== DEFINITIONS && onDiagram(id)) {
      const messages = byElement.get(id) ?? [];
      if (!messages.includes(problem.problem)) messages.push(problem.problem);
      byElement.set(id, messages);
    } else {
      general.push({ problem, text: `${subject(problem)}: ${problem.problem}` });
    }
  }
  return { problems: [...problems], byElement, general };
}
