import type { FormComponent, Problem } from './types.ts';

/**
 * Where a problem the server reports sits in the definition: its pointer (`/components/2/columns/0/
 * components/1/attest/limits`) walked down to the innermost component, which QA knows by its label.
 */

export interface ProblemPlace {
  /** Segments from the root to the component, e.g. ['components', 2, 'columns', 0, 'components', 1]. */
  path: (string | number)[];
  component: FormComponent;
  /** What of the component the problem concerns, e.g. `/attest/limits`; '' for the component itself. */
  rest: string;
}

const unescape = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');

const isComponent = (v: unknown): v is FormComponent =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as FormComponent).type === 'string';

/** The innermost component a pointer names, or null when it names the form as a whole. */
export function locate(definition: { components?: unknown }, pointer: string): ProblemPlace | null {
  const segments = pointer.split('/').slice(1).map(unescape);
  let node: unknown = definition;
  let found: ProblemPlace | null = null;
  const path: (string | number)[] = [];
  for (const [i, segment] of segments.entries()) {
    if (node === null || typeof node !== 'object') break;
    const index = Array.isArray(node) && /^\d+$/.test(segment) ? Number(segment) : segment;
    node = (node as Record<string | number, unknown>)[index];
    path.push(index);
    if (isComponent(node))
      found = {
        path: [...path],
        component: node,
        rest: segments.length > i + 1 ? `/${segments.slice(i + 1).join('/')}` : '',
      };
  }
  return found;
}

/** How QA knows a component: its label, legend or title, else its key. */
export function componentName(component: FormComponent): string {
  for (const name of [component.label, component.legend, component.title, component.key])
    if (typeof name === 'string' && name.trim()) return name.trim();
  return String(component.type ?? '');
}

export interface PlacedProblem extends Problem {
  /** The component's name, or null for a problem of the whole form. */
  name: string | null;
  place: ProblemPlace | null;
}

/** The server's problems with the component each is about, in the order the form lists them. */
export function placeProblems(definition: { components?: unknown }, problems: Problem[]): PlacedProblem[] {
  return problems.map((problem) => {
    const place = locate(definition, problem.pointer);
    return { ...problem, name: place ? componentName(place.component) : null, place };
  });
}

/** The object a path leads to in another tree of the same shape (the builder's own copy of the form). */
export function follow(root: unknown, path: (string | number)[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}
