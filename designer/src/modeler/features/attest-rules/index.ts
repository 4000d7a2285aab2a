import RulesModule from 'diagram-js/lib/features/rules';
import TooltipsModule from 'diagram-js/lib/features/tooltips';
import AttestRefusalFeedback from './AttestRefusalFeedback.ts';
import AttestRules from './AttestRules.ts';

/** Refuses what the engine does not execute, and says why. */
export default {
  __depends__: [RulesModule, TooltipsModule],
  __init__: ['attestRules', 'attestRefusalFeedback'],
  attestRules: ['type', AttestRules],
  attestRefusalFeedback: ['type', AttestRefusalFeedback],
};
