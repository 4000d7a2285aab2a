import express, { type RequestHandler } from 'express';
import { HttpProblem } from './problem.ts';

const LIMIT_KB = 100;

/** Compressed bodies are refused rather than inflated: the limit then bounds what is read. */
const parseJson = express.json({ limit: `${LIMIT_KB}kb`, inflate: false, strict: true, type: () => true });

/** body-parser's errors as problems; others (an aborted request) stay plain 4xx errors. */
function asProblem(error: unknown): unknown {
  switch ((error as { type?: unknown }).type) {
    case 'entity.parse.failed':
      return new HttpProblem('malformed-json', 'The request body could not be parsed as JSON');
    case 'entity.too.large':
      return new HttpProblem('payload-too-large', `The request body is larger than ${LIMIT_KB} kB`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpProblem('unsupported-media-type', 'Send the request body as uncompressed UTF-8 JSON');
    default:
      return error;
  }
}

/** Reads a JSON body where there is one; any other content type is refused with 415. */
export const jsonBody: RequestHandler = (req, res, next) => {
  const type = req.is('application/json');
  if (type === null || req.get('content-length') === '0') {
    next();
    return;
  }
  if (type === false) {
    throw new HttpProblem('unsupported-media-type', 'Send the request body as application/json');
  }
  parseJson(req, res, (error?: unknown) => next(error === undefined ? undefined : asProblem(error)));
};
