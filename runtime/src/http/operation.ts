import type { Request } from 'express';
import type { Principal } from '@attest/engine';
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

/**
 * One operation of the API, declared as data: the router mounts it, validates its input with its
 * schemas and the OpenAPI document describes it, from this one declaration.
 */
export interface OperationSpec<A extends Access, B, Q, P> {
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
  responses: Record<number, ResponseSpec>;
  /** Problem statuses beyond those implied by access, parameters and body (e.g. 409, 423). */
  problems?: number[];
  /** Largest request body read, in kB; 100 unless the operation takes a whole file. */
  bodyLimitKb?: number;
  /** Methods refused on this path with a reason, e.g. DELETE of a user (users are never deleted). */
  refuses?: Partial<Record<Method, { id: string; reason: string }>>;
  handle(input: Input<A, B, Q, P>): Promise<Reply>;
}

export type Operation = OperationSpec<Access, Schema | undefined, Schema | undefined, Schema | undefined>;

export function operation<
  A extends Access,
  B extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  P extends Schema | undefined = undefined,
>(spec: OperationSpec<A, B, Q, P>): Operation {
  return spec as unknown as Operation;
}

export const ok = (body: unknown): Reply => ({ status: 200, body });
export const created = (body: unknown, location?: string): Reply => ({
  status: 201,
  body,
  ...(location !== undefined && { headers: { Location: location } }),
});
export const noContent = (): Reply => ({ status: 204 });
/** A file to be saved rather than shown: its bytes or text, its media type and the name to save it as. */
export const download = (body: string | Buffer, contentType: string, fileName: string): Reply => ({
  status: 200,
  body,
  contentType,
  headers: { 'Content-Disposition': `attachment; filename="${fileName}"` },
});

export const json = (description: string, schema: Schema): ResponseSpec => ({
  description,
  content: { 'application/json': schema },
});
