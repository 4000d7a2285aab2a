import type { Element } from 'bpmn-js/lib/model/Types';
import type EventBus from 'diagram-js/lib/core/EventBus';
import type Tooltips from 'diagram-js/lib/features/tooltips/Tooltips';
import { refusals } from './AttestRules.ts';

interface Rejected {
  x: number;
  y: number;
  context: { shape?: Element; elements?: Element[] };
}

/** Says why a drop or paste was refused, where it was refused, as bpmn-js says its own refusals. */
export default class AttestRefusalFeedback {
  static $inject = ['eventBus', 'tooltips'];

  constructor(eventBus: EventBus, tooltips: Tooltips) {
    eventBus.on('create.rejected', (event: Rejected) => {
      const { shape, elements } = event.context;
      const reasons = refusals(elements ?? (shape ? [shape] : []));
      if (reasons.length === 0) return;
      const html = document.createElement('div');
      html.textContent = reasons.join('; ');
      // Tooltips place by x and y and style by type, though diagram-js's declaration names neither.
      const tooltip = { position: { x: event.x + 5, y: event.y + 5 }, type: 'error', timeout: 4000, html };
      tooltips.add(tooltip as unknown as Parameters<Tooltips['add']>[0]);
    });
  }
}
