/**
 * JSON Schema (2020-12) builders. A schema written with them is plain data that appears as is in
 * the OpenAPI document, is compiled by ajv to validate requests, and gives handlers their input
 * type through `Infer` — one schema, one truth.
 */
export type Schema = { readonly [keyword: string]: unknown };

/** Text without NUL or lone surrogates, which PostgreSQL cannot store and no person types. */
const STORABLE = '^[^\\u0000\\uD800-\\uDFFF]*$';
/** Storable text with at least one character that is not white space (linear, no backtracking blow-up). */
const VISIBLE = '^\\s*[^\\s\\u0000\\uD800-\\uDFFF][^\\u0000\\uD800-\\uDFFF]*$';
const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const described = (description: string | undefined) => (description === undefined ? {} : { description });

export const LIMITS = { name: 200, reason: 1000, password: 256, email: 254, pointer: 500 } as const;

/** Free text, possibly empty. */
export const text = (maxLength: number, description?: string) =>
  ({ type: 'string', maxLength, pattern: STORABLE, ...described(description) }) as const;

/** Free text or null, possibly empty. */
export const nullableText = (maxLength: number, description?: string) =>
  ({ type: ['string', 'null'], maxLength, pattern: STORABLE, ...described(description) }) as const;

/** Text a person must fill in: not empty, not only spaces. */
export const requiredText = (maxLength: number, description?: string) =>
  ({
    type: 'string',
    minLength: 1,
    maxLength,
    pattern: VISIBLE,
    ...described(description),
  }) as const;

/** A password as typed: any characters, never stored, only hashed. */
export const password = (description?: string) =>
  ({ type: 'string', minLength: 1, maxLength: LIMITS.password, ...described(description) }) as const;

/** A UUID in its canonical form; the pattern also refuses the `urn:uuid:` form the format allows. */
export const uuid = (description?: string) =>
  ({ type: 'string', format: 'uuid', pattern: UUID, maxLength: 36, ...described(description) }) as const;

export const email = (description?: string) =>
  ({ type: 'string', format: 'email', maxLength: LIMITS.email, ...described(description) }) as const;

export const dateTime = (description?: string) =>
  ({ type: 'string', format: 'date-time', maxLength: 40, ...described(description) }) as const;

export const jsonPointer = (description?: string) =>
  ({
    type: 'string',
    format: 'json-pointer',
    minLength: 2,
    maxLength: LIMITS.pointer,
    pattern: STORABLE,
    ...described(description),
  }) as const;

export const name = (pattern: string, maxLength: number, description?: string) =>
  ({ type: 'string', minLength: 2, maxLength, pattern, ...described(description) }) as const;

export const oneOf = <const E extends readonly string[]>(values: E, description?: string) =>
  ({ type: 'string', enum: values, ...described(description) }) as const;

export const boolean = (description?: string) => ({ type: 'boolean', ...described(description) }) as const;

export const list = <const I extends Schema>(items: I, maxItems: number, description?: string) =>
  ({ type: 'array', items, maxItems, ...described(description) }) as const;

/** A closed object: unknown fields are refused, so a typo never passes silently. */
export const object = <const P extends Record<string, Schema>, const R extends readonly (keyof P & string)[]>(
  properties: P,
  required: R,
  description?: string,
) =>
  ({
    type: 'object',
    additionalProperties: false,
    required,
    properties,
    ...described(description),
  }) as const;

type RequiredKeys<S> = S extends { readonly required: readonly (infer K)[] } ? K : never;

/** Schemas by component name, for resolving `$ref`s to `#/components/schemas/…`. */
export type Components = { readonly [name: string]: unknown };

type InferObject<P, R, C extends Components> = {
  [K in keyof P as K extends R ? K : never]: Infer<P[K], C>;
} & { [K in keyof P as K extends R ? never : K]?: Infer<P[K], C> };

/** One JSON type name, with the other keywords of its schema (items, properties). */
type InferType<T, S, C extends Components> = T extends 'string'
  ? string
  : T extends 'null'
    ? null
    : T extends 'integer' | 'number'
      ? number
      : T extends 'boolean'
        ? boolean
        : T extends 'array'
          ? S extends { readonly items: infer I }
            ? Infer<I, C>[]
            : unknown[]
          : T extends 'object'
            ? S extends { readonly properties: infer P }
              ? InferObject<P, RequiredKeys<S>, C>
              : S extends { readonly additionalProperties: infer A extends Schema }
                ? Record<string, Infer<A, C>>
                : Record<string, unknown>
            : unknown;

/**
 * The TypeScript type of the data a schema accepts, for the keywords these builders and the
 * response components use; `C` resolves references to components.
 */
export type Infer<S, C extends Components = Record<never, never>> = S extends {
  readonly $ref: `#/components/schemas/${infer N}`;
}
  ? N extends keyof C
    ? Infer<C[N], C>
    : unknown
  : S extends { readonly const: infer V }
    ? V
    : S extends { readonly enum: readonly (infer E)[] }
      ? E
      : S extends { readonly oneOf: readonly (infer O)[] }
        ? O extends unknown
          ? Infer<O, C>
          : never
        : S extends { readonly type: readonly (infer T)[] }
          ? T extends unknown
            ? InferType<T, S, C>
            : never
          : S extends { readonly type: infer T }
            ? InferType<T, S, C>
            : unknown;
