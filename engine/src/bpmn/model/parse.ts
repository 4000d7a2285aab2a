import { BpmnModdle, type ModdleElement, type ParseWarning } from 'bpmn-moddle';
import { type KeyedProblem, ModelError, type ProblemKeyword } from './modelError.ts';
import descriptor from '../attest-moddle.json' with { type: 'json' };

// Reading BPMN 2.0 XML with the attest: extension, problems keyed to elements, and the accessors of
// moddle elements the compiler uses.

/** The text arrives decoded already, so the encoding its declaration names no longer applies. */
export const HARMLESS_WARNING = /^unsupported document encoding/;

export const UNPARSABLE =
  /^unparsable content (.*?) ?detected\n\tline: (\d+)\n\tcolumn: \d+\n\tnested error: (.*)$/s;

// Moddle rewrites the descriptor it registers (it qualifies property names): it gets a copy, so
// the exported descriptor stays as the designer must load it.
const moddle = new BpmnModdle({ attest: structuredClone(descriptor) });

interface Parsed {
  definitions: ModdleElement;
  warnings: ParseWarning[];
  elementsById: Record<string, ModdleElement>;
}

/** Parses BPMN 2.0 XML without checking whether the engine could execute it: for interchange. */
export async function parseBpmn(xml: string): Promise<{ definitions: unknown; warnings: string[] }> {
  const { definitions, warnings, elementsById } = await read(xml);
  return {
    definitions,
    warnings: warnings.map((w) => {
      const p = warningProblem(w, elementsById);
      return `${p.elementId} ${p.elementType}: ${p.problem}`;
    }),
  };
}

export async function read(xml: string): Promise<Parsed> {
  try {
    const { rootElement, warnings, elementsById } = await moddle.fromXML(xml);
    return { definitions: rootElement, warnings, elementsById };
  } catch (error) {
    const { message, warnings } = error as Error & { warnings?: ParseWarning[] };
    const cause = UNPARSABLE.exec(message) ?? UNPARSABLE.exec(warnings?.[0]?.message ?? '');
    const reason = cause ? `${cause[3]} at line ${Number(cause[2]) + 1}` : message;
    throw new ModelError([definitionsProblem('xml', `the file is not BPMN 2.0 XML: ${reason}`)]);
  }
}

export function warningProblem(
  warning: ParseWarning,
  elementsById: Record<string, ModdleElement>,
): KeyedProblem {
  const { message, element, property } = warning;
  const attribute = property?.replace(/^bpmn:/, '');
  const unresolved = /^unresolved reference <(.*)>$/.exec(message);
  if (element && unresolved) {
    return problem(element, 'reference', `${attribute} refers to "${unresolved[1]}", which does not exist`);
  }
  const unknown = /^unknown attribute <(.*)>$/.exec(message);
  if (element && unknown) return problem(element, 'xml', `has an unknown attribute ${unknown[1]}`);
  const unparsable = UNPARSABLE.exec(message);
  if (unparsable) {
    const [, content = '', line = '0', cause = ''] = unparsable;
    const duplicate = elementsById[/^duplicate ID <(.*)>$/.exec(cause)?.[1] ?? ''];
    if (duplicate) return problem(duplicate, 'xml', 'its id is used by more than one element');
    return definitionsProblem('xml', `cannot read ${content} at line ${Number(line) + 1}: ${cause}`);
  }
  return element ? problem(element, 'xml', message) : definitionsProblem('xml', message);
}

/** The references the parser could not resolve, by element and property (without `bpmn:`). */
export function unresolvedReferences(warnings: ParseWarning[]): Map<ModdleElement, string[]> {
  const unresolved = new Map<ModdleElement, string[]>();
  for (const { message, element, property } of warnings) {
    if (!element || !message.startsWith('unresolved reference')) continue;
    unresolved.set(element, [...(unresolved.get(element) ?? []), property?.replace(/^bpmn:/, '') ?? '']);
  }
  return unresolved;
}

/** A problem on the element, or on its nearest ancestor with an id when it has none. */
export function problem(element: ModdleElement, keyword: ProblemKeyword, description: string): KeyedProblem {
  let named: ModdleElement | undefined = element;
  while (named && typeof named.id !== 'string') named = named.$parent;
  if (!named || named.$type === 'bpmn:Definitions') return definitionsProblem(keyword, description);
  const { $type: elementType, id: elementId } = named as ModdleElement & { id: string };
  return { elementId, elementType, name: text(named, 'name'), problem: description, keyword };
}

export function definitionsProblem(keyword: ProblemKeyword, description: string): KeyedProblem {
  return {
    elementId: 'definitions',
    elementType: 'bpmn:Definitions',
    name: null,
    problem: description,
    keyword,
  };
}

export function eventDefinitions(element: ModdleElement): ModdleElement[] {
  return [...list(element, 'eventDefinitions'), ...list(element, 'eventDefinitionRefs')];
}

export function list(element: ModdleElement, property: string): ModdleElement[] {
  return (element[property] as ModdleElement[] | undefined) ?? [];
}

export function reference(element: ModdleElement, property: string): ModdleElement | undefined {
  return element[property] as ModdleElement | undefined;
}

export function text(element: ModdleElement, property: string): string | null {
  const value = element[property];
  return typeof value === 'string' ? value : null;
}

/** A string attribute, trimmed; blank counts as missing. */
export function trimmed(element: ModdleElement, property: string): string | null {
  return text(element, property)?.trim() || null;
}

/** A comma-separated attribute, e.g. `attest:candidateRoles="qa, production"`. */
export function commaList(element: ModdleElement, property: string): string[] {
  return (text(element, property) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/** The id of an element the parser gave one; bpmn-moddle types ids only as `unknown`. */
export function idOf(element: ModdleElement): string;
export function idOf(element: ModdleElement | undefined): string | null;
export function idOf(element: ModdleElement | undefined): string | null {
  return element ? String(element.id) : null;
}
