import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { InputError, type FieldError } from '../kernel/errors.ts';
import { isObject } from '../kernel/isObject.ts';

/**
 * Parameter sets: versioned master data a template's records start from, such as a product's
 * recipe for a batch record. They live in the manifest (`parameterSets`, by name), so they are part
 * of the package's hash and of its approval, and each is checked against the JSON Schema the
 * manifest gives for them (`parameterSchema`). A record names its set when it starts; the set's
 * entries become process variables that nothing the starter sends can override. Data only: the
 * process reads it with FEEL.
 */

/** The manifest fields this module reads. */
export interface ParameterSets {
  parameterSchema?: Record<string, unknown>;
  parameterSets?: Record<string, Record<string, unknown>>;
}

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });

const setError = (name: string, e: ErrorObject): FieldError => {
  const p = e.params as Record<string, unknown>;
  const at =
    e.keyword === 'required'
      ? `${e.instancePath}/${String(p.missingProperty)}`
      : e.keyword === 'additionalProperties'
        ? `${e.instancePath}/${String(p.additionalProperty)}`
        : e.instancePath;
  const what = at === '' ? 'it' : `"${at.slice(1)}"`;
  const message =
    e.keyword === 'required'
      ? `${what} is required`
      : e.keyword === 'additionalProperties'
        ? `${what} is not part of a parameter set`
        : `${what} ${e.message ?? 'is not valid'}`;
  return {
    pointer: `/manifest/parameterSets/${name}${at}`,
    keyword: e.keyword,
    message: `Parameter set "${name}": ${message}`,
  };
};

/**
 * What is wrong with a manifest's parameter sets: a schema that does not compile, or a set that does
 * not satisfy it. The manifest schema has already checked their shape.
 */
export function parameterSetProblems(manifest: ParameterSets): FieldError[] {
  const { parameterSchema, parameterSets } = manifest;
  if (!isObject(parameterSchema) || !isObject(parameterSets)) return [];
  let validate;
  try {
    validate = ajv.compile(parameterSchema);
  } catch (error) {
    return [
      {
        pointer: '/manifest/parameterSchema',
        keyword: 'schema',
        message: `"parameterSchema" is not a JSON Schema the engine can use: ${(error as Error).message}`,
      },
    ];
  }
  const errors: FieldError[] = [];
  for (const [name, set] of Object.entries(parameterSets)) {
    if (!validate(set)) errors.push(...(validate.errors ?? []).map((e) => setError(name, e)));
  }
  return errors;
}

/**
 * The process variables of the set a record starts from: none for a template without sets, and a
 * clear refusal when a template with sets is started without one, or with one it does not have.
 */
export function parameterSetFor(manifest: ParameterSets, name: string | null): Record<string, unknown> {
  const sets = manifest.parameterSets ?? {};
  const names = Object.keys(sets);
  const fail = (message: string) =>
    new InputError(message, [{ pointer: '/parameterSet', keyword: 'parameterSet', message }]);
  if (names.length === 0) {
    if (name === null) return {};
    throw fail(`The template has no parameter sets, so none can be chosen (${name} was)`);
  }
  if (name === null) throw fail(`Choose the parameter set the record starts from: ${names.join(', ')}`);
  if (!Object.hasOwn(sets, name))
    throw fail(`The template has no parameter set ${name}; it has ${names.join(', ')}`);
  return sets[name]!;
}
