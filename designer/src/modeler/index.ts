export {
  createWorkflowModeler,
  type WorkflowModeler,
  type WorkflowModelerOptions,
} from './workflowModeler.ts';
export type { Problem, ProblemView } from './features/attest-lint/problems.ts';
export type { LintStatus } from './features/attest-lint/AttestLint.ts';
export { unsupportedReason } from './unsupported.ts';
export { blankProcessXml } from './blankProcess.ts';
