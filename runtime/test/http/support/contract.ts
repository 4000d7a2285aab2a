import assert from 'node:assert/strict';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export interface OpenApi {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
}

export interface ObservedResponse {
  method: string;
  path: string;
  status: number;
  contentType: string | null;
  text: string;
}

const escapePointer = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');
const escapeRegExp = (s: string) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
const isJson = (mediaType: string) => mediaType === 'application/json' || mediaType.endsWith('+json');

/**
 * Checks responses against the OpenAPI document: the status must be declared for the operation,
 * the media type too, and a JSON body must validate against the declared schema. Responses to
 * paths or methods the document does not know must be 404 or 405 problem documents.
 */
export function contractChecker(document: OpenApi) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(document, 'urn:attest:openapi');
  const templates = Object.keys(document.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${escapeRegExp(template).replace(/\{\w+\}/g, '[^/]+')}$`),
  }));
  const validators = new Map<string, ValidateFunction>();
  const validatorFor = (pointer: string) => {
    let validate = validators.get(pointer);
    if (!validate) {
      validate = ajv.getSchema(`urn:attest:openapi#${pointer}`);
      assert.ok(validate, `the document has no schema at ${pointer}`);
      validators.set(pointer, validate);
    }
    return validate;
  };

  return function check(response: ObservedResponse): void {
    const what = `${response.method} ${response.path} → ${response.status}`;
    const method = response.method.toLowerCase() === 'head' ? 'get' : response.method.toLowerCase();
    const template = templates.find((t) => t.pattern.test(response.path))?.template;
    const operation = template ? document.paths[template]?.[method] : undefined;
    const mediaType = response.contentType?.split(';')[0]?.trim() ?? null;
    if (!template || !operation) {
      assert.ok([404, 405].includes(response.status), `${what}: undocumented, so it must be 404 or 405`);
      assert.equal(mediaType, 'application/problem+json', `${what}: must be a problem document`);
      const validate = validatorFor('/components/schemas/Problem');
      assert.ok(validate(JSON.parse(response.text)), `${what}: ${ajv.errorsText(validate.errors)}`);
      return;
    }
    const declared = operation.responses[String(response.status)];
    assert.ok(
      declared,
      `${what}: the document does not declare status ${response.status} for this operation`,
    );
    if (!declared.content || response.method === 'HEAD') {
      assert.equal(response.text, '', `${what}: declared without content, yet has a body`);
      return;
    }
    assert.ok(mediaType && declared.content[mediaType], `${what}: undeclared content type ${mediaType}`);
    if (!isJson(mediaType)) return;
    const pointer = [
      '',
      'paths',
      template,
      method,
      'responses',
      String(response.status),
      'content',
      mediaType,
      'schema',
    ]
      .map(escapePointer)
      .join('/');
    const validate = validatorFor(pointer);
    assert.ok(validate(JSON.parse(response.text)), `${what}: ${ajv.errorsText(validate.errors)}`);
  };
}
