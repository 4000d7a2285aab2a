/** The form builder feature: what the template workspace mounts. */
export { createFormBuilder } from './formBuilder.ts';
export type {
  CheckResult,
  FormBuilder,
  FormBuilderOptions,
  FormComponent,
  FormDefinition,
  Language,
  PreviewException,
  PreviewResult,
  Problem,
  Submission,
} from './types.ts';
