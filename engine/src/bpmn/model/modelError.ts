import { InputError } from '../../kernel/errors.ts';
import type { ModelProblem } from './graph.ts';

/** The kind of a problem, given to clients as the `keyword` of its field error. */
export type ProblemKeyword =
  /** The file is not well-formed BPMN 2.0 XML, or names something the meta-model does not know. */
  | 'xml'
  /** A reference to an element that does not exist or is in the wrong place. */
  | 'reference'
  /** An element, attribute or expression language the engine does not execute. */
  | 'unsupported'
  /** Flows and gateways that do not make a process every token can run through. */
  | 'structure'
  /** An expression that is not valid FEEL. */
  | 'feel'
  /** An attribute whose value is not one the engine accepts. */
  | 'value';

export interface KeyedProblem extends ModelProblem {
  keyword: ProblemKeyword;
}

/** How many problems the message spells out; the field errors list all of them. */
const LISTED = 10;

/**
 * A model refused at import: every problem found, each naming its element, so the designer can
 * highlight them all at once instead of one per attempt.
 */
export class ModelError extends InputError {
  readonly problems: ModelProblem[];

  constructor(problems: KeyedProblem[]) {
    const listed = problems.slice(0, LISTED).map((p) => `${p.elementId} ${p.elementType}: ${p.problem}`);
    if (problems.length > LISTED) listed.push(`and ${problems.length - LISTED} more`);
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(
      `The model cannot be deployed: ${count} (${listed.join('; ')})`,
      problems.map((p) => ({
        pointer: `/elements/${p.elementId.replaceAll('~', '~0').replaceAll('/', '~1')}`,
        keyword: p.keyword,
        message: `${p.elementType}: ${p.problem}`,
      })),
    );
    this.problems = problems.map(({ elementId, elementType, name, problem }) => ({
      elementId,
      elementType,
      name,
      problem,
    }));
  }
}
