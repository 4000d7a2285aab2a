import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import type { Element } from 'diagram-js/lib/model/Types';
import { getBBox } from 'diagram-js/lib/util/Elements';
import { attestModdleDescriptor as attestDescriptor } from '@attest/engine/browser';
import { h } from '@attest/task-form/dom';

/** How an element differs, as the engine's template diff reports it (G1). */
export type Change = 'added' | 'removed' | 'changed';

/** The ids of the process elements that differ between the two versions. */
export type DiagramChanges = Record<Change, readonly string[]>;

export interface DiagramPane {
  /** The version's BPMN file. */
  xml: string;
  /** The heading over the diagram, e.g. "1.0.0 · Effective". */
  title: string;
}

export interface DiagramDiffOptions {
  /** The older version, on the left; without it, the one diagram is shown alone, with no legend. */
  before?: DiagramPane;
  after: DiagramPane;
  changes: DiagramChanges;
  /** The legend's words, in the reader's language. */
  labels: Record<Change, string>;
}

export interface DiagramDiff {
  /** Brings an element into view on both sides, and outlines it on each side that has it. */
  focus(id: string): void;
  destroy(): void;
}

type Side = 'before' | 'after';
interface Canvas {
  addMarker(id: string, marker: string): void;
  removeMarker(id: string, marker: string): void;
  scrollToElement(id: string, padding?: number): void;
  zoom(level: 'fit-viewport', center: 'auto'): number;
  viewbox(box?: Box): Box & { scale: number; outer: { width: number; height: number } };
}
interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface Registry {
  get(id: string): Element | undefined;
}
interface EventBus {
  on(event: string, listener: () => void): void;
}

/** Below this scale a whole process is too small to read: the view closes in on the changes. */
const READABLE = 0.6;
const CHANGES: readonly Change[] = ['added', 'removed', 'changed'];
// Which side shows which change: an added element exists only after, a removed one only before.
const SIDES: Record<Side, readonly Change[]> = {
  before: ['removed', 'changed'],
  after: ['added', 'changed'],
};
const boxOf = ({ x, y, width, height }: Box): Box => ({ x, y, width, height });

/**
 * Two versions of a template's process side by side, read-only, with the elements the engine's diff
 * reports marked: added in green on the newer diagram, removed in red on the older one, changed in
 * amber on both. Panning or zooming one diagram moves the other with it, so the same place is in
 * view on both sides.
 */
export async function createDiagramDiff(
  container: HTMLElement,
  options: DiagramDiffOptions,
): Promise<DiagramDiff> {
  const { before, after, changes, labels } = options;
  const panes = h('div', { class: `attest-diagram-panes${before ? '' : ' single'}` });
  const root = h(
    'div',
    { class: 'attest-diagram-diff' },
    before
      ? h(
          'p',
          { class: 'attest-diagram-legend' },
          ...CHANGES.map((change) =>
            h(
              'span',
              { class: `attest-diagram-key diff-${change}` },
              `${labels[change]} (${changes[change].length})`,
            ),
          ),
        )
      : null,
    panes,
  );
  container.append(root);

  const sides: [Side, DiagramPane][] = before
    ? [
        ['before', before],
        ['after', after],
      ]
    : [['after', after]];
  const viewers: { viewer: NavigatedViewer; canvas: Canvas; registry: Registry }[] = [];
  try {
    for (const [side, pane] of sides) {
      const canvasBox = h('div', { class: 'attest-diagram-canvas', 'data-side': side });
      panes.append(
        h(
          'section',
          { class: `attest-diagram-pane ${side}` },
          h('h3', { class: 'attest-diagram-title' }, pane.title),
          canvasBox,
        ),
      );
      const viewer = new NavigatedViewer({
        container: canvasBox,
        moddleExtensions: { attest: structuredClone(attestDescriptor) },
      });
      await viewer.importXML(pane.xml);
      const canvas = viewer.get<Canvas>('canvas');
      const registry = viewer.get<Registry>('elementRegistry');
      for (const change of before ? SIDES[side] : CHANGES)
        for (const id of changes[change]) if (registry.get(id)) canvas.addMarker(id, `diff-${change}`);
      viewers.push({ viewer, canvas, registry });
    }
  } catch (error) {
    for (const v of viewers) v.viewer.destroy();
    root.remove();
    throw error;
  }

  // The first view, on both sides: the newer diagram whole when it reads at that size, else its
  // changes close up.
  const newer = viewers.at(-1)!;
  newer.canvas.zoom('fit-viewport', 'auto');
  const start =
    closeUp(
      newer.canvas,
      newer.registry,
      (before ? SIDES.after : CHANGES).flatMap((c) => changes[c]),
    ) ?? boxOf(newer.canvas.viewbox());
  for (const v of viewers) v.canvas.viewbox(start);

  // From then on one viewbox for both: what the reader pans to on one side is shown on the other.
  let syncing = false;
  for (const v of viewers) {
    v.viewer.get<EventBus>('eventBus').on('canvas.viewbox.changed', () => {
      if (syncing) return;
      syncing = true;
      try {
        const box = boxOf(v.canvas.viewbox());
        for (const other of viewers) if (other !== v) other.canvas.viewbox(box);
      } finally {
        syncing = false;
      }
    });
  }

  let focused: string | null = null;
  return {
    focus(id) {
      for (const v of viewers) {
        if (focused && v.registry.get(focused)) v.canvas.removeMarker(focused, 'diff-focus');
        if (v.registry.get(id)) v.canvas.addMarker(id, 'diff-focus');
      }
      focused = id;
      // Scrolled on the side that has it; the other side follows.
      viewers.find((v) => v.registry.get(id))?.canvas.scrollToElement(id, 80);
    },
    destroy() {
      for (const v of viewers) v.viewer.destroy();
      root.remove();
    },
  };
}

/**
 * A viewbox around the elements with room about them, at a scale of at most 1; none when the whole
 * diagram reads as it is, or none of the elements is drawn.
 */
function closeUp(canvas: Canvas, registry: Registry, ids: readonly string[]): Box | null {
  const view = canvas.viewbox();
  const elements = ids.map((id) => registry.get(id)).filter((e): e is Element => e !== undefined);
  if (view.scale >= READABLE || elements.length === 0) return null;
  const around = getBBox(elements);
  const { width, height } = view.outer;
  const scale = Math.min(
    1,
    Math.max(READABLE, Math.min(width / (around.width + 160), height / (around.height + 160))),
  );
  const [w, h] = [width / scale, height / scale];
  return {
    x: around.x + around.width / 2 - w / 2,
    y: around.y + around.height / 2 - h / 2,
    width: w,
    height: h,
  };
}
