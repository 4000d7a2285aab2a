import type { Element } from 'bpmn-js/lib/model/Types';
import type EventBus from 'diagram-js/lib/core/EventBus';
import RuleProvider from 'diagram-js/lib/features/rules/RuleProvider';
import { elementReasons, isOffered, type CreateTarget } from '../../unsupported.ts';

/** Ahead of bpmn-js's rules, which would allow what BPMN allows. */
const HIGH_PRIORITY = 1500;

/** What the rules read of a diagram element: what it stands for, and what it contains. */
export interface Candidate {
  businessObject?: Parameters<typeof elementReasons>[0];
  children?: readonly Candidate[];
}

/**
 * Why the engine would refuse any of these elements or anything inside them (bpmn-js asks about
 * the outermost elements of a paste only), each reason once.
 */
export function refusals(elements: readonly Candidate[]): string[] {
  const reasons = elements.flatMap((e): string[] => [
    ...(e.businessObject ? elementReasons(e.businessObject) : []),
    ...refusals(e.children ?? []),
  ]);
  return [...new Set(reasons)];
}

/**
 * Refuses creating (from the palette or the context pad), attaching, pasting and replacing into
 * elements the engine does not execute.
 * A rule either refuses (false) or leaves the decision to bpmn-js's rules (undefined).
 */
export default class AttestRules extends RuleProvider {
  static override $inject = ['eventBus'];

  constructor(eventBus: EventBus) {
    super(eventBus);
  }

  override init(): void {
    this.addRule(['shape.create', 'shape.attach'], HIGH_PRIORITY, (context: { shape: Element }) =>
      refusals([context.shape]).length > 0 ? false : undefined,
    );
    this.addRule('elements.create', HIGH_PRIORITY, (context: { elements: Element[] }) =>
      refusals(context.elements).length > 0 ? false : undefined,
    );
    // The replace menu asks with the target of each entry; bpmn-js asks without one.
    this.addRule('shape.replace', HIGH_PRIORITY, (context: { target?: CreateTarget }) =>
      context.target && !isOffered(context.target) ? false : undefined,
    );
  }
}
