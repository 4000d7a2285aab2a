import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import {
  AttestError,
  NotFoundError,
  TooManyAttemptsError,
  type ErrorKind,
  type FieldError,
} from '@attest/engine';

/** Problems only the HTTP layer knows of: the engine never sees these requests. */
type HttpProblemKind =
  | 'malformed-json'
  | 'bad-request'
  | 'method-not-allowed'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'internal'
  | 'unavailable';

export type ProblemKind = ErrorKind | HttpProblemKind;

/** Every problem type the API emits: its status and a title that never varies between occurrences. */
export const PROBLEMS: Record<ProblemKind, { status: number; title: string }> = {
  input: { status: 400, title: 'The input is not valid' },
  'malformed-json': { status: 400, title: 'The request body is not valid JSON' },
  'bad-request': { status: 400, title: 'Bad request' },
  unauthenticated: { status: 401, title: 'Not authenticated' },
  'not-allowed': { status: 403, title: 'Not allowed' },
  'password-change-required': { status: 403, title: 'Password change required' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported content type' },
  locked: { status: 423, title: 'Account locked' },
  'too-many-requests': { status: 429, title: 'Too many attempts' },
  internal: { status: 500, title: 'Internal server error' },
  device: { status: 502, title: 'The device could not be read' },
  unavailable: { status: 503, title: 'Service unavailable' },
};

const problemType = (kind: ProblemKind) => `urn:attest:problem:${kind}`;

/** A problem raised by the HTTP layer itself, with any headers the status calls for. */
export class HttpProblem extends Error {
  readonly kind: HttpProblemKind;
  readonly headers: Record<string, string>;
  constructor(kind: HttpProblemKind, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpProblem';
    this.kind = kind;
    this.headers = headers;
  }
}

interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  errors?: FieldError[];
}

const UNEXPECTED = 'Something went wrong on the server; the request id identifies it in the log';

function classify(error: unknown): { kind: ProblemKind; detail: string; errors: FieldError[] } {
  if (error instanceof AttestError) return { kind: error.kind, detail: error.message, errors: error.errors };
  if (error instanceof HttpProblem) return { kind: error.kind, detail: error.message, errors: [] };
  // http-errors from express itself, e.g. an aborted request or a path that does not decode.
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { kind: 'bad-request', detail: 'The request could not be read', errors: [] };
  }
  return { kind: 'internal', detail: UNEXPECTED, errors: [] };
}

const pathOf = (req: Request) => req.originalUrl.split('?')[0] as string;

function problemDocument(
  req: Request,
  kind: ProblemKind,
  detail: string,
  errors: FieldError[] = [],
): ProblemDocument {
  const { status, title } = PROBLEMS[kind];
  return {
    type: problemType(kind),
    title,
    status,
    detail,
    instance: pathOf(req),
    requestId: String(req.id),
    ...(errors.length > 0 && { errors }),
  };
}

/**
 * The one place errors become responses: engine errors by their kind, the HTTP layer's own
 * problems, and anything unexpected as a 500 whose detail reveals nothing (it is logged instead).
 */
export const problemResponder: ErrorRequestHandler = (error, req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  const { kind, detail, errors } = classify(error);
  // pino-http logs the request with this error, under the request id the client was given.
  if (kind === 'internal') res.err = error instanceof Error ? error : new Error(String(error));
  const document = problemDocument(req, kind, detail, errors);
  if (error instanceof HttpProblem) res.set(error.headers);
  if (error instanceof TooManyAttemptsError) res.set('Retry-After', String(error.retryAfterSeconds));
  if (document.status === 401) res.set('WWW-Authenticate', 'Bearer realm="attest"');
  res.status(document.status).type('application/problem+json').send(JSON.stringify(document));
};

export const unknownRoute: RequestHandler = (req) => {
  throw new NotFoundError(`There is no route ${req.method} ${pathOf(req)}`);
};
