// The designer's heavy parts (bpmn-js, the Form.io builder) with their styles: one chunk, loaded
// when the workspace opens, so no other page carries them.
import '@attest/designer/modeler.css';
import '@attest/designer/forms.css';
import './designer.css';

export { blankProcessXml, createWorkflowModeler } from '@attest/designer/modeler';
export type { Problem as ModelProblem, WorkflowModeler } from '@attest/designer/modeler';
export { createFormBuilder } from '@attest/designer/forms';
export type { FormBuilder, FormDefinition } from '@attest/designer/forms';
