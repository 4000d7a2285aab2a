import ContextPadModule from 'bpmn-js/lib/features/context-pad';
import PaletteModule from 'bpmn-js/lib/features/palette';
import PopupMenuModule from 'bpmn-js/lib/features/popup-menu';
import AttestMenuFilter from './AttestMenuFilter.ts';
import AttestPaletteProvider from './AttestPaletteProvider.ts';

/** What the modeler offers to create or replace: only what the engine executes. */
export default {
  __depends__: [PaletteModule, PopupMenuModule, ContextPadModule],
  __init__: ['attestPaletteProvider', 'attestMenuFilter'],
  attestPaletteProvider: ['type', AttestPaletteProvider],
  attestMenuFilter: ['type', AttestMenuFilter],
};
