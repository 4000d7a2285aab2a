import express, { type RequestHandler, type Response, type Router } from 'express';
import type { Principal } from '@attest/engine';
import { sessionOf } from './auth.ts';
import { jsonBody } from './jsonBody.ts';
import type { Access, Method, Operation, Reply } from './operation.ts';
import { HttpProblem } from './problem.ts';
import { requestValidator } from './validation.ts';

export interface RouterDeps {
  authenticate: (access: Exclude<Access, 'public'>) => RequestHandler;
}

/** `/api/users/{id}` → `/api/users/:id` */
const expressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

function send(res: Response, reply: Reply): void {
  if (reply.stream) return reply.stream(res);
  res.status(reply.status);
  if (reply.headers) res.set(reply.headers);
  if (reply.body === undefined) res.end();
  else if (reply.contentType) res.type(reply.contentType).send(reply.body);
  else res.json(reply.body);
}

function handler(op: Operation): RequestHandler {
  return async (req, res) => {
    const session = sessionOf(res);
    const reply = await op.handle({
      principal: session?.principal as Principal,
      mustChangePassword: session?.mustChangePassword ?? false,
      body: req.body,
      query: req.query,
      params: req.params,
      req,
    });
    send(res, reply);
  };
}

/**
 * Any other method on a known path: OPTIONS lists what is allowed, the rest is 405 with the
 * reason where the path declares one (e.g. users are never deleted).
 */
function otherMethods(allowed: string[], refusals: Map<string, string>): RequestHandler {
  const allow = allowed.join(', ');
  return (req, res) => {
    if (req.method === 'OPTIONS') {
      res.set('Allow', allow).status(204).end();
      return;
    }
    const reason = refusals.get(req.method) ?? `${req.method} is not allowed here; use ${allow}`;
    throw new HttpProblem('method-not-allowed', reason, { Allow: allow });
  };
}

/**
 * Mounts each operation as: authentication → JSON body → validation →
 * handler. Authentication comes first, so nobody without a session learns anything from the
 * validation of their input.
 */
export function operationRouter(operations: Operation[], deps: RouterDeps): Router {
  const router = express.Router({ caseSensitive: true });
  const paths = new Map<string, { allowed: Set<string>; refusals: Map<string, string> }>();
  for (const op of operations) {
    // Metrics and logs name the operation and its route template, never the raw path.
    const chain: RequestHandler[] = [
      (_req, res, next) => {
        res.locals.operation = { id: op.id, path: op.path };
        next();
      },
    ];
    if (op.access !== 'public') chain.push(deps.authenticate(op.access));
    if (op.method !== 'get') chain.push(jsonBody(op.bodyLimitKb));
    chain.push(requestValidator(op), handler(op));
    router[op.method](expressPath(op.path), ...chain);

    const path = paths.get(op.path) ?? { allowed: new Set<string>(), refusals: new Map<string, string>() };
    path.allowed.add(op.method.toUpperCase());
    if (op.method === 'get') path.allowed.add('HEAD');
    for (const [method, refusal] of Object.entries(op.refuses ?? {}) as [Method, { reason: string }][]) {
      path.refusals.set(method.toUpperCase(), refusal.reason);
    }
    paths.set(op.path, path);
  }
  for (const [path, { allowed, refusals }] of paths) {
    router.all(expressPath(path), otherMethods([...allowed].sort(), refusals));
  }
  return router;
}
