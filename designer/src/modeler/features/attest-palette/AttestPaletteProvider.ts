import type BpmnFactory from 'bpmn-js/lib/features/modeling/BpmnFactory';
import type ElementFactory from 'bpmn-js/lib/features/modeling/ElementFactory';
import type Create from 'diagram-js/lib/features/create/Create';
import type Palette from 'diagram-js/lib/features/palette/Palette';
import type { PaletteEntries } from 'diagram-js/lib/features/palette/PaletteProvider';
import { PALETTE, type PaletteEntry } from './paletteEntries.ts';

/** After bpmn-js's own provider, whose tools (hand, lasso, space, connect) it keeps. */
const LOW_PRIORITY = 500;

/**
 * The palette as QA needs it: bpmn-js's tools, then only elements the engine executes, named by
 * what they do. Data objects, pools and groups are not offered: the engine does not run them.
 */
export default class AttestPaletteProvider {
  static $inject = ['palette', 'create', 'elementFactory', 'bpmnFactory'];

  constructor(
    palette: Palette,
    private readonly create: Create,
    private readonly elementFactory: ElementFactory,
    private readonly bpmnFactory: BpmnFactory,
  ) {
    palette.registerProvider(LOW_PRIORITY, this);
  }

  getPaletteEntries(): (entries: PaletteEntries) => PaletteEntries {
    return (entries) => {
      const tools = Object.entries(entries).filter(([, entry]) => entry.group === 'tools');
      const ours = PALETTE.map((entry) => {
        const start = (event: Event) => this.start(event, entry);
        return [
          `create.${entry.id}`,
          {
            group: entry.group,
            className: entry.className,
            title: entry.title,
            action: { dragstart: start, click: start },
          },
        ] as const;
      });
      return Object.fromEntries([...tools, ...ours]);
    };
  }

  private start(event: Event, entry: PaletteEntry): void {
    const { type, eventDefinitionType, isExpanded, attrs } = entry.target;
    const shape = this.elementFactory.createShape({
      type,
      ...(eventDefinitionType ? { eventDefinitionType } : {}),
      ...(isExpanded ? { isExpanded } : {}),
      ...(attrs ? { businessObject: this.bpmnFactory.create(type, { ...attrs }) } : {}),
    });
    if (!isExpanded) {
      this.create.start(event, shape);
      return;
    }
    // As bpmn-js draws a new sub-process: open, with the start event the engine needs inside.
    const startEvent = this.elementFactory.createShape({
      type: 'bpmn:StartEvent',
      x: 40,
      y: 82,
      parent: shape,
    });
    this.create.start(event, [shape, startEvent], { hints: { autoSelect: [shape] } });
  }
}
