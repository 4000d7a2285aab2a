import { parseExpression } from 'feelin';

/**
 * What one FEEL evaluation may cost. feelin evaluates synchronously, so an expression without
 * bounds would hold the server's event loop; these bounds are checked on the expression's shape
 * where it is written (import, deployment, the designer's checks) and again while it is evaluated.
 */
export const FEEL_LIMITS = {
  /** Characters of one expression. */
  characters: 4000,
  /** Nesting depth of its syntax tree (every parenthesis, call, operator and path is a level). */
  depth: 64,
  /**
   * Steps of one evaluation: each element a `for`, `some` or `every` visits (more where the
   * expression sees many variables, since feelin copies them for each element), each element a
   * filter (`list[condition]`) looks at, each call, and each hundred elements a built-in function
   * takes or gives. feelin takes 3–10 µs a step: the limit keeps an evaluation to a few ms.
   */
  steps: 1_000,
  /** Elements (list items and context entries, at any depth) of any value an evaluation makes. */
  values: 10_000,
  /** Characters of any text an evaluation makes. */
  textLength: 20_000,
  /**
   * Wall-clock milliseconds of one evaluation: the last resort for what the counts above miss,
   * generous so that a busy server does not fail expressions the counts accept.
   */
  milliseconds: 100,
  /**
   * Steps and milliseconds of all the evaluations of one act together (one form submission, with
   * a calculation per grid row): many evaluations within their own limits cannot add up to a stall.
   */
  actSteps: 20_000,
  actMilliseconds: 500,
} as const;

interface Node {
  name: string;
  from: number;
  to: number;
  children: Node[];
  parent: Node | null;
}

/** The parse tree as plain nodes with parents; null when the expression does not parse. */
export function feelTree(expression: string): { root: Node; depth: number } | null {
  const root: Node = { name: 'root', from: 0, to: expression.length, children: [], parent: null };
  const stack = [root];
  let depth = 0;
  let broken = false;
  parseExpression(expression, {}, undefined).iterate({
    enter(ref) {
      if (ref.type.isError) broken = true;
      const parent = stack[stack.length - 1]!;
      const node: Node = { name: ref.name, from: ref.from, to: ref.to, children: [], parent };
      parent.children.push(node);
      stack.push(node);
      depth = Math.max(depth, stack.length - 1);
    },
    leave() {
      stack.pop();
    },
  });
  return broken ? null : { root, depth };
}

export type FeelNode = Node;

/** The elements a literal iteration domain (`1..1000`, `[1, 2, 3]`) has; null when only run time knows. */
function literalSize(expression: string, domain: Node): number | null {
  const parts = domain.children;
  const number = (n: Node | undefined) => {
    if (!n) return null;
    const text = expression.slice(n.from, n.to).replace(/\s+/g, '');
    return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : null;
  };
  if (parts.length === 3 && parts[1]!.name === '..') {
    const [a, b] = [number(parts[0]), number(parts[2])];
    return a === null || b === null ? null : Math.floor(Math.abs(b - a)) + 1;
  }
  if (parts.length === 1 && parts[0]!.name === 'List') {
    return parts[0]!.children.filter((c) => c.name !== '[' && c.name !== ']').length;
  }
  return null;
}

/** The callee's name of the invocation a function definition is an argument of, if it is one. */
function invokedWith(expression: string, definition: Node): string | null {
  let holder = definition.parent;
  if (holder?.name === 'NamedParameter') holder = holder.parent;
  if (holder?.name !== 'PositionalParameters' && holder?.name !== 'NamedParameters') return null;
  const call = holder.parent;
  const callee = call?.name === 'FunctionInvocation' ? call.children[0] : undefined;
  return callee ? expression.slice(callee.from, callee.to).trim() : null;
}

/**
 * Why an expression that parses exceeds the limits by its shape alone, or null: too long, nested
 * too deep, literal ranges that iterate more than the steps allow (nested ones multiply), or a
 * function definition that could call itself (only the ordering of `sort` may be one).
 */
export function feelLimitProblem(expression: string): string | null {
  if (expression.length > FEEL_LIMITS.characters) {
    return `it is ${expression.length} characters long; at most ${FEEL_LIMITS.characters} are allowed`;
  }
  const tree = feelTree(expression);
  if (!tree) return null;
  if (tree.depth > FEEL_LIMITS.depth) {
    return `it nests ${tree.depth} levels deep; at most ${FEEL_LIMITS.depth} are allowed`;
  }
  let steps = 0;
  let problem: string | null = null;
  const visit = (node: Node, times: number): void => {
    if (problem) return;
    let inner = times;
    if (node.name === 'ForExpression' || node.name === 'QuantifiedExpression') {
      const domains = node.children.find((c) => c.name === 'InExpressions')?.children ?? [];
      for (const d of domains) {
        const context = d.children.find((c) => c.name === 'IterationContext');
        inner *= (context && literalSize(expression, context)) ?? 1;
      }
      steps += inner;
    }
    if (node.name === 'FunctionDefinition' && invokedWith(expression, node) !== 'sort') {
      problem = 'a function may be defined only as the ordering of sort(list, function(a, b) …)';
      return;
    }
    if (steps > FEEL_LIMITS.steps) {
      problem = `it iterates ${inner} times; at most ${FEEL_LIMITS.steps} steps are allowed`;
      return;
    }
    for (const child of node.children) visit(child, inner);
  };
  visit(tree.root, 1);
  return problem;
}
