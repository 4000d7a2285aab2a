import type { Request } from 'express';
import type { Principal } from '@attest/engine';
import type { Wire } from './components.ts';
import type { Infer, Schema } from './schema.ts';

export type Method = 'get' | 'post' | 'put' | 'delete';

/**
 * Who may call an operation: anyone; a person with an open session in good standing; or one whose
 * session is open but whose password must be changed first (only what that change needs).
 */
export type Access = 'public' | 'session' | 'password-change';

export interface ResponseSpec {
  description: string;
  /** Media type → schema of the body; none for an empty response. */
  content?: Record<string, Schema>;
}

export interface Input<A extends Access, B, Q, P> {
  principal: A extends 'public' ? undefined : Principal;
  /** The password is a one-time password or has aged; only known on `password-change` operations. */
  mustChangePassword: boolean;
  body: Infer<B>;
  query: Infer<Q>;
  params: Infer<P>;
  req: Request;
}

export interface Reply {
  status: number;
  /** Sent as JSON unless a content type is given. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** A response held open and written over time (server-sent events) instead of a body. */
  stream?: (res: import('express').Response) => void;
}

/** A body sent as JSON; it must fit the schema the operation declares for its status. */
interface JsonReply<S extends number, B> {
  status: S;
  body: B;
  contentType?: undefined;
  headers?: Record<string, string>;
  stream?: undefined;
}

/** What a handler may answer with a declared status: a JSON body fits its schema, other media as they come. */
type ReplyFor<S extends number, R> = R extends { content: infer C }
  ? | (C extends { 'application/json': infer J } ? JsonReply<S, Wire<J>> : never)
    | (Exclude<keyof C, 'application/json'> extends never ? never : Reply & { status: S })
  : { status: S; body?: undefined; headers?: Record<string, string> };

/** Every reply the declared successful responses allow. */
export type Replies<R> = { [S in keyof R & number]: ReplyFor<S, R[S]> }[keyof R & number];

/**
 * One operation of the API, declared as data: the router mounts it, validates its input with its
 * schemas and the OpenAPI document describes it, from this one declaration.
 */
export interface OperationSpec<A extends Access, B, Q, P, R extends Record<number, ResponseSpec>> {
  id: string;
  method: Method;
  /** OpenAPI form, e.g. `/api/users/{id}`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  access: A;
  params?: P;
  query?: Q;
  body?: B;
  /** Successful responses; the problem responses follow from what the operation does. */
  responses: R;
  /** Problem statuses beyond those implied by access, parameters and body (e.g. 409, 423). */
  problems?: number[];
  /** Largest request body read, in kB; 100 unless the operation takes a whole file. */
  bodyLimitKb?: number;
  /** Methods refused on this path with a reason, e.g. DELETE of a user (users are never deleted). */
  refuses?: Partial<Record<Method, { id: string; reason: string }>>;
  /** Checked against `responses`, never the other way round: the declaration is what the document says. */
  handle(input: Input<A, B, Q, P>): Promise<NoInfer<Replies<R>>>;
}

export type Operation = Omit<
  OperationSpec<
    Access,
    Schema | undefined,
    Schema | undefined,
    Schema | undefined,
    Record<number, ResponseSpec>
  >,
  'handle'
> & { handle(input: Input<Access, unknown, unknown, unknown>): Promise<Reply> };

export function operation<
  A extends Access,
  B extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  P extends Schema | undefined = undefined,
  R extends Record<number, ResponseSpec> = Record<number, ResponseSpec>,
>(spec: OperationSpec<A, B, Q, P, R>): Operation {
  return spec as unknown as Operation;
}

// Words in a body (`status: 'ok'`) keep their literal type, so they can meet a schema's const or enum.
export const ok = <const B>(body: B) => ({ status: 200 as const, body });
export const created = <const B>(body: B, location?: string) => ({
  status: 201 as const,
  body,
  ...(location !== undefined && { headers: { Location: location } }),
});
export const noContent = () => ({ status: 204 }) as const;
/**
 * A response held open and written over time: server-sent events. The writer's parameter is typed
 * here: left to be inferred inside a handler's reply, it makes the compiler fail on the operation.
 */
export const stream = (write: (res: import('express').Response) => void) => ({
  status: 200 as const,
  stream: write,
});
/** A file to be saved rather than shown: its bytes or text, its media type and the name to save it as. */
export const download = (body: string | Buffer, contentType: string, fileName: string) => ({
  status: 200 as const,
  body,
  contentType,
  headers: { 'Content-Disposition': `attachment; filename="${fileName}"` },
});

export const json = <S extends Schema>(description: string, schema: S) => ({
  description,
  content: { 'application/json': schema },
});
