import { parseExpression } from 'feelin';

/** Raised while evaluating when a value is outside what the fast path decides itself: feelin decides. */
export class Fallback extends Error {}

type Scalar = number | string | boolean | null;
export type Compiled = (context: Record<string, unknown>) => Scalar;

interface SyntaxNode {
  name: string;
  from: number;
  to: number;
  children: SyntaxNode[];
}

/** The parse tree as plain nodes (lezer's cursors are awkward to recurse over). */
function treeOf(expression: string): SyntaxNode | null {
  const root: SyntaxNode = { name: 'root', from: 0, to: expression.length, children: [] };
  const stack = [root];
  let broken = false;
  parseExpression(expression, {}, undefined).iterate({
    enter(ref) {
      if (ref.type.isError) broken = true;
      const node: SyntaxNode = { name: ref.name, from: ref.from, to: ref.to, children: [] };
      stack[stack.length - 1]!.children.push(node);
      stack.push(node);
    },
    leave() {
      stack.pop();
    },
  });
  return broken ? null : (root.children[0] ?? null);
}

const scalar = (v: unknown): Scalar => {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  // Dates, lists, contexts and the rest keep their full FEEL meaning: feelin evaluates them.
  throw new Fallback();
};

const ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '**': (a, b) => a ** b,
};

/**
 * Compiles the everyday part of FEEL — names, number/string/boolean/null literals, arithmetic,
 * comparisons, `and`/`or`, `if … then … else` — into a function, once per expression. Anything
 * else (function calls, paths, lists, ranges, temporal values, and any value that is not a number,
 * string, boolean or null at run time) is not decided here: the caller evaluates it with feelin, so
 * the result is always FEEL's. Returns null when the expression uses more than the fast path knows.
 */
export function compileFast(expression: string): Compiled | null {
  const tree = treeOf(expression);
  if (!tree || tree.name !== 'Expression' || tree.children.length !== 1) return null;
  const text = (n: SyntaxNode) => expression.slice(n.from, n.to);

  const build = (n: SyntaxNode): Compiled | null => {
    const c = n.children;
    switch (n.name) {
      case 'NumericLiteral': {
        const value = Number(text(n));
        return Number.isFinite(value) ? () => value : null;
      }
      case 'StringLiteral': {
        const raw = text(n);
        if (raw.includes('\\') || raw.length < 2) return null;
        const value = raw.slice(1, -1);
        return () => value;
      }
      case 'BooleanLiteral': {
        const value = text(n) === 'true';
        return () => value;
      }
      case 'null':
        return () => null;
      case 'VariableName': {
        if (c.length !== 1 || c[0]!.name !== 'Identifier') return null;
        const name = text(n);
        return (ctx) => scalar(ctx[name]);
      }
      case 'ParenthesizedExpression': {
        const inner = c.filter((x) => x.name !== '(' && x.name !== ')');
        return inner.length === 1 ? build(inner[0]!) : null;
      }
      case 'ArithmeticExpression': {
        if (c.length === 2 && c[0]!.name === 'ArithOp' && text(c[0]!) === '-') {
          const operand = build(c[1]!);
          if (!operand) return null;
          return (ctx) => {
            const v = operand(ctx);
            if (v === null) return null;
            if (typeof v !== 'number') throw new Fallback();
            return -v;
          };
        }
        if (c.length !== 3 || c[1]!.name !== 'ArithOp') return null;
        const op = text(c[1]!);
        const apply = ARITHMETIC[op];
        const left = build(c[0]!);
        const right = build(c[2]!);
        if (!apply || !left || !right) return null;
        return (ctx) => {
          const a = left(ctx);
          const b = right(ctx);
          if (typeof a === 'number' && typeof b === 'number') {
            const result = apply(a, b);
            if (!Number.isFinite(result)) throw new Fallback();
            return result;
          }
          if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
          // Arithmetic with a missing value gives nothing, as in FEEL.
          if ((a === null && (b === null || typeof b === 'number')) || (b === null && typeof a === 'number'))
            return null;
          throw new Fallback();
        };
      }
      case 'Comparison': {
        if (c.length !== 3 || c[1]!.name !== 'CompareOp') return null;
        const op = text(c[1]!);
        const left = build(c[0]!);
        const right = build(c[2]!);
        if (!left || !right || !['=', '!=', '<', '<=', '>', '>='].includes(op)) return null;
        return (ctx) => {
          const a = left(ctx);
          const b = right(ctx);
          if (a === null || b === null || typeof a !== typeof b) {
            if ((op === '=' || op === '!=') && (a === null || b === null)) return (a === b) === (op === '=');
            if (a === null || b === null) return null;
            throw new Fallback();
          }
          if (typeof a === 'boolean' && op !== '=' && op !== '!=') throw new Fallback();
          switch (op) {
            case '=':
              return a === b;
            case '!=':
              return a !== b;
            case '<':
              return a < b;
            case '<=':
              return a <= b;
            case '>':
              return a > b;
            default:
              return a >= b;
          }
        };
      }
      case 'Conjunction':
      case 'Disjunction': {
        if (c.length !== 3) return null;
        const left = build(c[0]!);
        const right = build(c[2]!);
        if (!left || !right) return null;
        const and = n.name === 'Conjunction';
        return (ctx) => {
          const a = left(ctx);
          const b = right(ctx);
          if (typeof a !== 'boolean' || typeof b !== 'boolean') throw new Fallback();
          return and ? a && b : a || b;
        };
      }
      case 'IfExpression': {
        const parts = c.filter((x) => !['if', 'then', 'else'].includes(x.name));
        if (parts.length !== 3) return null;
        const [test, then, otherwise] = parts.map(build);
        if (!test || !then || !otherwise) return null;
        return (ctx) => {
          const t = test(ctx);
          if (t !== null && typeof t !== 'boolean') throw new Fallback();
          return t === true ? then(ctx) : otherwise(ctx);
        };
      }
      default:
        return null;
    }
  };
  return build(tree.children[0]!);
}
