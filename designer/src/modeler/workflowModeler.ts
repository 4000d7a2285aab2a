// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the declarations go wherever this module is compiled (the web app, the designer)
/// <reference path="../types/properties-panel.d.ts" />
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import Modeler from 'bpmn-js/lib/Modeler';
import { attestModdleDescriptor as attestDescriptor } from '@attest/engine/browser';
import AttestLintModule from './features/attest-lint/index.ts';
import type AttestLint from './features/attest-lint/AttestLint.ts';
import type { LintStatus } from './features/attest-lint/AttestLint.ts';
import type { Problem, ProblemView } from './features/attest-lint/problems.ts';
import AttestPaletteModule from './features/attest-palette/index.ts';
import AttestPropertiesModule from './features/attest-properties/index.ts';
import type { Sources } from './features/attest-properties/attestEntries.ts';
import AttestRulesModule from './features/attest-rules/index.ts';

export interface WorkflowModelerOptions extends Sources {
  /** Where the properties panel is drawn. */
  propertiesParent: HTMLElement;
  /** The server's compile check of the model (POST /api/designer/process-check). */
  check(xml: string): Promise<Problem[]>;
  /** Where the problems list is drawn; without it, the `problems` event is the only way to show them. */
  problemsParent?: HTMLElement;
}

export interface WorkflowModeler {
  /** Opens a BPMN 2.0 file; resolves with what the reader skipped, rejects when it is no BPMN at all. */
  importXml(xml: string): Promise<{ warnings: string[] }>;
  exportXml(): Promise<string>;
  /** After each edit, undo and redo. Returns what stops listening. */
  on(event: 'changed', listener: () => void): () => void;
  /** Whenever the problems change: found locally, checked by the server, or shown. */
  on(event: 'problems', listener: (view: ProblemView, status: LintStatus) => void): () => void;
  /** Shows problems the server reported by other means, e.g. when it refused a save. */
  showProblems(problems: Problem[]): void;
  destroy(): void;
}

/** The BPMN modeler for Attest templates: bpmn-js with the `attest:` extension and the GMP panel. */
export function createWorkflowModeler(
  container: HTMLElement,
  options: WorkflowModelerOptions,
): WorkflowModeler {
  const { propertiesParent, check, problemsParent, forms, templates, roles } = options;
  container.classList.add('attest-modeler');
  propertiesParent.classList.add('attest-properties');
  const modeler = new Modeler({
    container,
    propertiesPanel: { parent: propertiesParent },
    attest: { check, problemsParent, forms, templates, roles },
    // Moddle rewrites the descriptor it registers: each modeler gets its own copy.
    moddleExtensions: { attest: structuredClone(attestDescriptor) },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      AttestPaletteModule,
      AttestRulesModule,
      AttestPropertiesModule,
      AttestLintModule,
    ],
  });

  function on(event: 'changed' | 'problems', listener: (...args: never[]) => void): () => void {
    const handler =
      event === 'changed'
        ? (e: { trigger?: string }) => {
            if (e.trigger !== 'clear') (listener as () => void)();
          }
        : (e: { view: ProblemView; status: LintStatus }) =>
            (listener as (view: ProblemView, status: LintStatus) => void)(e.view, e.status);
    const name = event === 'changed' ? 'commandStack.changed' : 'attest.problems';
    modeler.on(name, handler);
    return () => modeler.off(name, handler);
  }

  return {
    async importXml(xml) {
      const { warnings } = await modeler.importXML(xml);
      // bpmn-js declares its warnings as text; they are moddle's warning objects.
      return { warnings: (warnings as unknown[]).map((w) => (w as { message: string }).message) };
    },
    async exportXml() {
      const { xml } = await modeler.saveXML({ format: true });
      return xml ?? '';
    },
    on: on as WorkflowModeler['on'],
    showProblems(problems) {
      modeler.get<AttestLint>('attestLint').show(problems);
    },
    destroy() {
      modeler.destroy();
      container.classList.remove('attest-modeler');
      propertiesParent.classList.remove('attest-properties');
    },
  };
}
