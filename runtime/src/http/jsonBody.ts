import express, { type RequestHandler } from 'express';
import { HttpProblem } from './problem.ts';

/** What most operations read at most; an operation that takes a whole file declares more. */
export const DEFAULT_BODY_LIMIT_KB = 100;

/** body-parser's errors as problems; others (an aborted request) stay plain 4xx errors. */
function asProblem(error: unknown, limitKb: number): unknown {
  switch ((error as { type?: unknown }).type) {
    case 'entity.parse.failed':
      return new HttpProblem('malformed-json', 'The request body could not be parsed as JSON');
    case 'entity.too.large':
      return new HttpProblem('payload-too-large', `The request body is larger than ${limitKb} kB`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpProblem('unsupported-media-type', 'Send the request body as uncompressed UTF-8 JSON');
    default:
      return error;
  }
}

/**
 * Reads a JSON body of at most `limitKb` where there is one; any other content type is refused
 * with 415. Compressed bodies are refused rather than inflated: the limit then bounds what is read.
 */
export function jsonBody(limitKb = DEFAULT_BODY_LIMIT_KB): RequestHandler {
  const parseJson = express.json({ limit: `${limitKb}kb`, inflate: false, strict: true, type: () => true });
  return (req, res, next) => {
    const type = req.is('application/json');
    if (type === null || req.get('content-length') === '0') {
      next();
      return;
    }
    if (type === false) {
      throw new HttpProblem('unsupported-media-type', 'Send the request body as application/json');
    }
    parseJson(req, res, (error?: unknown) =>
      next(error === undefined ? undefined : asProblem(error, limitKb)),
    );
  };
}
