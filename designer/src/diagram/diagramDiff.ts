import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import type { Element } from 'diagram-js/lib/model/Types';
import { getBBox } from 'diagram-js/lib/util/Elements';
import attestDescriptor from '../../../engine/src/bpmn/attest-moddle.json' with { type: 'json' };

/** How an element differs, as the engine's template diff reports it (G1). */
export type Change = 'added' | 'removed' | 'changed';

/** The ids of the process elements that differ between the two versions. */
export interface DiagramChanges {
  added: readonly string[];
  removed: readonly string[];
  changed: readonly string[];
}

export interface DiagramPane {
  /** The version's BPMN file. */
  xml: string;
  /** The heading over the diagram, e.g. "1.0.0 · Effective". */
  title: string;
}

export interface DiagramDiffOptions {
  /** The older version, on the left; without it, the one diagram is shown alone. */
  before?: DiagramPane;
  after: DiagramPane;
  changes: DiagramChanges;
  /** The legend's words, in the reader's language. */
  labels: Record<Change, string>;
  /** Whether the legend is shown (default: when there is a version before). */
  legend?: boolean;
}

export interface DiagramDiff {
  /** The ids marked on each side, by how they differ: what a reviewer sees highlighted. */
  marked(): { before: Record<Change, string[]>; after: Record<Change, string[]> };
  /** Brings an element into view on each side that has it, and outlines it there. */
  focus(id: string): void;
  destroy(): void;
}

type Viewer = InstanceType<typeof NavigatedViewer>;
interface Canvas {
  addMarker(id: string, marker: string): void;
  removeMarker(id: string, marker: string): void;
  hasMarker(id: string, marker: string): boolean;
  scrollToElement(id: string, padding?: number): void;
  zoom(level: 'fit-viewport' | number, center?: 'auto'): number;
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

/** Below this scale a whole process is too small to read: the view closes in on the changes. */
const READABLE = 0.6;
interface EventBus {
  on(event: string, listener: () => void): void;
}

const CHANGES: readonly Change[] = ['added', 'removed', 'changed'];
// Which side shows which change: an added element exists only after, a removed one only before.
const SIDES: Record<'before' | 'after', readonly Change[]> = {
  before: ['removed', 'changed'],
  after: ['added', 'changed'],
};

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
  const root = el('div', 'attest-diagram-diff');
  const legend = el('p', 'attest-diagram-legend');
  legend.hidden = !(options.legend ?? before !== undefined);
  for (const change of CHANGES) {
    const item = el('span', `attest-diagram-key diff-${change}`);
    item.textContent = `${labels[change]} (${changes[change].length})`;
    legend.append(item);
  }
  const panes = el('div', `attest-diagram-panes${before ? '' : ' single'}`);
  root.append(legend, panes);
  container.append(root);

  const sides: { side: 'before' | 'after'; pane: DiagramPane }[] = [
    ...(before ? [{ side: 'before' as const, pane: before }] : []),
    { side: 'after', pane: after },
  ];
  const viewers: { side: 'before' | 'after'; viewer: Viewer; canvas: Canvas; registry: Registry }[] = [];
  try {
    for (const { side, pane } of sides) {
      const box = el('section', `attest-diagram-pane ${side}`);
      const heading = el('h3', 'attest-diagram-title');
      heading.textContent = pane.title;
      const canvasBox = el('div', 'attest-diagram-canvas');
      canvasBox.dataset.side = side;
      box.append(heading, canvasBox);
      panes.append(box);
      const viewer = new NavigatedViewer({
        container: canvasBox,
        moddleExtensions: { attest: structuredClone(attestDescriptor) },
      });
      await viewer.importXML(pane.xml);
      const canvas = viewer.get<Canvas>('canvas');
      const registry = viewer.get<Registry>('elementRegistry');
      canvas.zoom('fit-viewport', 'auto');
      for (const change of before ? SIDES[side] : CHANGES) {
        for (const id of changes[change]) if (registry.get(id)) canvas.addMarker(id, `diff-${change}`);
      }
      viewers.push({ side, viewer, canvas, registry });
    }
  } catch (error) {
    for (const v of viewers) v.viewer.destroy();
    root.remove();
    throw error;
  }

  // One viewbox for both: what the reader pans to on one side is shown on the other.
  let syncing = false;
  const same = (box: Box) => ({ x: box.x, y: box.y, width: box.width, height: box.height });
  for (const v of viewers) {
    v.viewer.get<EventBus>('eventBus').on('canvas.viewbox.changed', () => {
      if (syncing) return;
      syncing = true;
      try {
        const box = v.canvas.viewbox();
        for (const other of viewers)
          if (other !== v) other.canvas.viewbox({ x: box.x, y: box.y, width: box.width, height: box.height });
      } finally {
        syncing = false;
      }
    });
  }

  // The first view: the newer diagram whole when it reads at that size, else its changes close up.
  const newer = viewers.at(-1)!;
  const changed = [...(before ? SIDES.after : CHANGES)].flatMap((c) => changes[c]);
  const close = closeUp(newer.canvas, newer.registry, changed);
  newer.canvas.viewbox(close ?? same(newer.canvas.viewbox()));

  let focused: string | null = null;
  return {
    marked() {
      const result = {
        before: { added: [], removed: [], changed: [] } as Record<Change, string[]>,
        after: { added: [], removed: [], changed: [] } as Record<Change, string[]>,
      };
      for (const v of viewers)
        for (const change of CHANGES)
          for (const id of changes[change])
            if (v.registry.get(id) && v.canvas.hasMarker(id, `diff-${change}`))
              result[v.side][change].push(id);
      return result;
    },
    focus(id) {
      for (const v of viewers) {
        if (focused && v.registry.get(focused)) v.canvas.removeMarker(focused, 'diff-focus');
      }
      focused = id;
      const holder = viewers.find((v) => v.registry.get(id));
      if (!holder) return;
      syncing = true;
      try {
        holder.canvas.scrollToElement(id, 80);
      } finally {
        syncing = false;
      }
      const box = same(holder.canvas.viewbox());
      for (const v of viewers) {
        if (v !== holder) v.canvas.viewbox(box);
        if (v.registry.get(id)) v.canvas.addMarker(id, 'diff-focus');
      }
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

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  return node;
}
