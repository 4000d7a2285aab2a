import type { RequestHandler } from 'express';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { InputError, refuseForbiddenKeys, type FieldError } from '@attest/engine';
import type { Operation } from './operation.ts';
import { object, type Schema } from './schema.ts';

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv, ['uuid', 'date-time', 'email', 'json-pointer']);

/** What an operation that declares no query string or no body accepts there: nothing. */
export const NOTHING = object({}, []);

const escapePointer = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1');

function toFieldError(e: ErrorObject): FieldError {
  switch (e.keyword) {
    case 'required':
      return {
        pointer: `${e.instancePath}/${escapePointer(String(e.params.missingProperty))}`,
        keyword: 'required',
        message: 'is required',
      };
    case 'additionalProperties':
      return {
        pointer: `${e.instancePath}/${escapePointer(String(e.params.additionalProperty))}`,
        keyword: 'additionalProperties',
        message: 'is not a known field',
      };
    case 'propertyNames':
      return {
        pointer: `${e.instancePath}/${escapePointer(String(e.params.propertyName))}`,
        keyword: 'propertyNames',
        message: 'is not a valid name here',
      };
    case 'enum':
      return {
        pointer: e.instancePath,
        keyword: 'enum',
        message: `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`,
      };
    default:
      return { pointer: e.instancePath, keyword: e.keyword, message: e.message ?? 'is not valid' };
  }
}

/** Compiles a schema once; the returned check lists what is wrong with a value, as JSON pointers. */
export function compile(schema: Schema): (value: unknown) => FieldError[] {
  const validate = ajv.compile(schema);
  return (value) => (validate(value) ? [] : (validate.errors ?? []).map(toFieldError));
}

/**
 * Checks path parameters, query string and body against the operation's schemas before anything
 * reaches the engine. Unknown query parameters are refused like unknown body fields; a body sent
 * to an operation that takes none must be empty.
 */
export function requestValidator(op: Operation): RequestHandler {
  const checkParams = op.params ? compile(op.params) : null;
  const checkQuery = compile(op.query ?? NOTHING);
  const checkBody = compile(op.body ?? NOTHING);
  return (req, _res, next) => {
    if (checkParams) {
      const errors = checkParams(req.params);
      if (errors.length > 0) throw new InputError('The path is not valid', errors);
    }
    const queryErrors = checkQuery(req.query);
    if (queryErrors.length > 0) throw new InputError('The query string is not valid', queryErrors);
    if (req.body === undefined) {
      if (op.body) {
        throw new InputError('A JSON request body is required', [
          { pointer: '', keyword: 'required', message: 'is required' },
        ]);
      }
    } else {
      const bodyErrors = checkBody(req.body);
      if (bodyErrors.length > 0) throw new InputError('The request body is not valid', bodyErrors);
      // Open objects (form data, variables, definitions) too: nothing stored may carry such a key.
      refuseForbiddenKeys(req.body, 'The request body is not valid');
    }
    next();
  };
}
