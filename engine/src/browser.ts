/**
 * What the designer needs of the engine in the browser, and nothing that needs a server: the
 * moddle descriptor of the `attest:` extensions and the FEEL checks the engine runs at deployment,
 * so the modeler refuses what deployment would refuse.
 */
export { default as attestModdleDescriptor } from './bpmn/attest-moddle.json' with { type: 'json' };
export { feelSyntaxError, feelText } from './feel/feelCheck.ts';
export { FEEL_LIMITS, feelLimitProblem } from './feel/feelLimits.ts';
