import OverlaysModule from 'diagram-js/lib/features/overlays';
import SelectionModule from 'diagram-js/lib/features/selection';
import AttestLint from './AttestLint.ts';

/** Marks on the diagram what the engine's compile check finds. */
export default {
  __depends__: [OverlaysModule, SelectionModule],
  __init__: ['attestLint'],
  attestLint: ['type', AttestLint],
};
