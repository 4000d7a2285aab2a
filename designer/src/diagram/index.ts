export {
  createDiagramDiff,
  type Change,
  type DiagramChanges,
  type DiagramDiff,
  type DiagramDiffOptions,
  type DiagramPane,
} from './diagramDiff.ts';
