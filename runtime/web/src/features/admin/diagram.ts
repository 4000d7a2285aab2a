// The side-by-side process diagrams of a version's review (bpmn-js's viewer) with their styles: one
// chunk, loaded when a version page compares diagrams, so no other page carries it.
import '@attest/designer/diagram.css';

export { createDiagramDiff } from '@attest/designer/diagram';
export type { DiagramDiff } from '@attest/designer/diagram';
