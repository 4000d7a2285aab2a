import type { components, paths } from '@attest/task-form/api';
import { request } from '../api.ts';

/** The API's component schemas by name, as generated from its OpenAPI document. */
export type Schemas = components['schemas'];

type Method = 'get' | 'post' | 'put' | 'delete';

/** The path templates that declare a method (the generated types mark the others `never`). */
export type PathsWith<M extends Method> = {
  [P in keyof paths]: paths[P][M] extends { responses: unknown } ? P : never;
}[keyof paths];

type Operation<M extends Method, P extends PathsWith<M>> = NonNullable<paths[P][M]>;

type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : undefined;

/** What a successful call answers: the JSON of its 200 or 201 response; nothing for a 204. */
export type Answer<O> = O extends { responses: infer R }
  ? R extends { 200: infer S }
    ? JsonOf<S>
    : R extends { 201: infer S }
      ? JsonOf<S>
      : undefined
  : never;

/** What the operation at a method and path answers, e.g. `Answered<'get', '/api/records'>`. */
export type Answered<M extends Method, P extends PathsWith<M>> = Answer<Operation<M, P>>;

type PathOption<O> = O extends { parameters: { path: infer P } } ? { path: P } : { path?: never };
type QueryOption<O> = O extends { parameters: { query?: infer Q } }
  ? [NonNullable<Q>] extends [never]
    ? { query?: never }
    : { query?: Q }
  : { query?: never };
type BodyOption<O> = O extends { requestBody: { content: { 'application/json': infer B } } }
  ? { body: B }
  : O extends { requestBody?: { content: { 'application/json': infer B } } }
    ? { body?: B }
    : { body?: never };

/** The path parameters, query string and JSON body of a call, each as its operation declares it. */
export type CallOptions<O> = PathOption<O> & QueryOption<O> & BodyOption<O>;

/** The options may be left out when the operation needs none. */
type OptionsArgument<O> =
  object extends CallOptions<O> ? [options?: CallOptions<O>] : [options: CallOptions<O>];

/** `/api/tasks/{id}` with `{ id: 'a/b' }` → `/api/tasks/a%2Fb`, then the query string. */
function urlOf(template: string, path: object | undefined, query: object | undefined): string {
  const values = (path ?? {}) as Record<string, unknown>;
  const url = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(values[name])));
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined) search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `${url}?${text}` : url;
}

/**
 * Calls an operation by the method and path template the API document names, its parameters,
 * body and answer typed by the generated wire types. It goes through `request`: the same session,
 * and anything but 2xx thrown as a Problem.
 */
export function call<M extends Method, P extends PathsWith<M>>(
  method: M,
  path: P,
  ...[options]: OptionsArgument<Operation<M, P>>
): Promise<Answer<Operation<M, P>>>;
export function call(method: Method, path: string, ...rest: unknown[]): Promise<unknown> {
  const options = (rest[0] ?? {}) as { path?: object; query?: object; body?: unknown };
  return request(method.toUpperCase(), urlOf(path, options.path, options.query), options.body);
}

/** `api.get('/api/tasks/{id}', { path: { id } })`, `api.post('/api/auth/refresh')`, … */
export const api = {
  get: <P extends PathsWith<'get'>>(path: P, ...options: OptionsArgument<Operation<'get', P>>) =>
    call('get', path, ...options),
  post: <P extends PathsWith<'post'>>(path: P, ...options: OptionsArgument<Operation<'post', P>>) =>
    call('post', path, ...options),
  put: <P extends PathsWith<'put'>>(path: P, ...options: OptionsArgument<Operation<'put', P>>) =>
    call('put', path, ...options),
  delete: <P extends PathsWith<'delete'>>(path: P, ...options: OptionsArgument<Operation<'delete', P>>) =>
    call('delete', path, ...options),
};
