/**
 * The renderer contract the API answers for a step, and what it becomes for formio.js: shared by
 * the web app's step view and the designer's form preview. Pure: no DOM, no formio.js.
 */
export * from './contract.ts';
export * from './definition.ts';
