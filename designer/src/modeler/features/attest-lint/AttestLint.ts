import type Modeler from 'bpmn-js/lib/Modeler';
import type { Element } from 'bpmn-js/lib/model/Types';
import type Canvas from 'diagram-js/lib/core/Canvas';
import type ElementRegistry from 'diagram-js/lib/core/ElementRegistry';
import type EventBus from 'diagram-js/lib/core/EventBus';
import type Overlays from 'diagram-js/lib/features/overlays/Overlays';
import type Selection from 'diagram-js/lib/features/selection/Selection';
import {
  localProblems,
  mergeProblems,
  problemView,
  subject,
  type Problem,
  type ProblemView,
} from './problems.ts';

/** How long the modeler waits after the last change before asking the server. */
export const CHECK_DELAY_MS = 400;

const MARKER = 'attest-problem';
const OVERLAY = 'attest-lint';

export interface LintConfig {
  check(xml: string): Promise<Problem[]>;
  /** Where the problems list is drawn, if anywhere; the `attest.problems` event carries it too. */
  problemsParent?: HTMLElement;
}

/** The state the problems list shows. */
export type LintStatus = 'checking' | 'checked' | 'failed';

/**
 * The live lint: what the engine would refuse is marked at once, and after each pause in editing
 * the model goes to the server's check, whose problems are marked on their elements (a red outline
 * and the message) or listed when they have no element on the diagram.
 */
export default class AttestLint {
  static $inject = [
    'eventBus',
    'canvas',
    'overlays',
    'elementRegistry',
    'selection',
    'bpmnjs',
    'config.attest',
  ];

  private local: Problem[] = [];
  private server: Problem[] = [];
  private marked: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Answers to an earlier model than the latest are dropped. */
  private asked = 0;
  private status: LintStatus = 'checked';
  private readonly list: HTMLElement | undefined;

  constructor(
    private readonly eventBus: EventBus,
    private readonly canvas: Canvas,
    private readonly overlays: Overlays,
    private readonly elementRegistry: ElementRegistry,
    private readonly selection: Selection,
    private readonly bpmnjs: Modeler,
    private readonly config: LintConfig,
  ) {
    if (config.problemsParent) {
      this.list = document.createElement('section');
      this.list.className = 'attest-problems';
      this.list.setAttribute('aria-live', 'polite');
      config.problemsParent.appendChild(this.list);
    }
    eventBus.on('import.done', () => {
      this.server = [];
      this.changed(0);
    });
    eventBus.on('commandStack.changed', () => this.changed(CHECK_DELAY_MS));
    eventBus.on('diagram.destroy', () => {
      clearTimeout(this.timer);
      this.asked += 1;
      this.list?.remove();
    });
  }

  /** Shows problems the server gave by other means (a save it refused), as if checked now. */
  show(problems: Problem[]): void {
    clearTimeout(this.timer);
    this.asked += 1;
    this.server = problems;
    this.status = 'checked';
    this.render();
  }

  private changed(delay: number): void {
    this.local = localProblems(this.businessObjects());
    this.status = 'checking';
    this.render();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), delay);
  }

  private async check(): Promise<void> {
    const asked = ++this.asked;
    try {
      const { xml } = await this.bpmnjs.saveXML({ format: true });
      const problems = await this.config.check(xml ?? '');
      if (asked !== this.asked) return;
      this.server = problems;
      this.status = 'checked';
    } catch (error) {
      if (asked !== this.asked) return;
      this.server = [];
      this.status = 'failed';
      this.eventBus.fire('attest.checkFailed', { error });
    }
    this.render();
  }

  private businessObjects() {
    return this.elementRegistry
      .filter((e) => e.type !== 'label' && (e as Element).businessObject !== undefined)
      .map((e) => (e as Element).businessObject);
  }

  /** Elements drawn on some plane: not the roots (a process), not labels. */
  private onDiagram = (id: string): boolean => {
    const element = this.elementRegistry.get(id);
    return element !== undefined && element.type !== 'label' && 'parent' in element && element.parent != null;
  };

  /**
   * Where an element's message goes: above a shape; beside the middle of a flow (above the corner of
   * its box, the message of a flow that bends would cover the shape it leaves).
   */
  private placeOf(id: string): { top: number; left: number } {
    const element = this.elementRegistry.get(id) as
      { waypoints?: { x: number; y: number }[]; x: number; y: number } | undefined;
    const points = element?.waypoints;
    if (!element || !points || points.length < 2) return { top: -28, left: 0 };
    const i = Math.floor((points.length - 1) / 2);
    const [a, b] = [points[i]!, points[i + 1]!];
    const left = Math.min(...points.map((p) => p.x));
    const top = Math.min(...points.map((p) => p.y));
    return { top: Math.round((a.y + b.y) / 2 - top) + 6, left: Math.round((a.x + b.x) / 2 - left) + 6 };
  }

  private render(): void {
    const view = problemView(mergeProblems(this.local, this.server), this.onDiagram);
    this.overlays.remove({ type: OVERLAY });
    for (const id of this.marked) {
      if (this.elementRegistry.get(id)) this.canvas.removeMarker(id, MARKER);
    }
    this.marked = [...view.byElement.keys()];
    for (const [id, messages] of view.byElement) {
      this.canvas.addMarker(id, MARKER);
      this.overlays.add(id, OVERLAY, { position: this.placeOf(id), html: overlay(messages) });
    }
    if (this.list) this.renderList(this.list, view);
    this.eventBus.fire('attest.problems', { view, status: this.status });
  }

  private renderList(list: HTMLElement, view: ProblemView): void {
    const heading = document.createElement('h2');
    const count = view.problems.length;
    heading.textContent =
      this.status === 'failed'
        ? 'Problems: the server could not check the model'
        : count === 0
          ? this.status === 'checking'
            ? 'Checking…'
            : 'No problems'
          : `Problems (${count})`;
    const items = document.createElement('ul');
    for (const problem of view.problems) {
      const item = document.createElement('li');
      const id = problem.elementId;
      if (id !== null && view.byElement.has(id)) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'attest-problem-link';
        button.textContent = `${subject(problem)}: ${problem.problem}`;
        button.addEventListener('click', () => this.reveal(id));
        item.append(button);
      } else {
        item.className = 'attest-problem-general';
        item.textContent = `${subject(problem)}: ${problem.problem}`;
      }
      items.append(item);
    }
    list.replaceChildren(heading, items);
    list.classList.toggle('attest-problems-none', count === 0);
  }

  /** Selects the element a listed problem is about and brings it into view. */
  private reveal(id: string): void {
    const element = this.elementRegistry.get(id);
    if (!element) return;
    this.canvas.scrollToElement(element);
    this.selection.select(element);
  }
}

/** The message box drawn above an element: the first message, all of them on hover. */
function overlay(messages: string[]): HTMLElement {
  const box = document.createElement('div');
  box.className = 'attest-lint-overlay';
  box.title = messages.join('\n');
  const text = document.createElement('span');
  text.className = 'attest-lint-text';
  text.textContent = messages.length > 1 ? `${messages[0]} (+${messages.length - 1} more)` : messages[0]!;
  box.append(text);
  return box;
}
