import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4 for requests with the signature in the Authorization header, as S3 and
 * the stores compatible with it (MinIO, Ceph RGW …) take them. The canonical request uses the
 * path as S3 does: each segment URI-encoded once, never normalised.
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** The session token of temporary credentials (AWS_SESSION_TOKEN). */
  sessionToken?: string;
}

export const ALGORITHM = 'AWS4-HMAC-SHA256';

export const sha256Hex = (data: string | Uint8Array): string =>
  createHash('sha256').update(data).digest('hex');

const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - . _ ~ (and `/` in a path). */
export function uriEncode(text: string, keepSlash = false): string {
  const encoded = encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return keepSlash ? encoded.replace(/%2F/g, '/') : encoded;
}

/** `20150830T123600Z`: the time as X-Amz-Date carries it. */
export const amzDate = (at: Date): string =>
  at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/** The query as the canonical request lists it: names and values encoded, sorted. */
export function canonicalQuery(params: Iterable<[string, string]>): string {
  return [...params]
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

export interface CanonicalInput {
  method: string;
  /** The path as sent, already encoded (`/examplebucket/test%24file.text`). */
  path: string;
  query: Iterable<[string, string]>;
  /** The signed headers, names in any case. */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body (or `UNSIGNED-PAYLOAD`). */
  payloadHash: string;
}

export interface Scope {
  /** X-Amz-Date, `20150830T123600Z`. */
  amzDate: string;
  region: string;
  service: string;
}

/** The signature of a request, hex: what the Authorization header carries and a server recomputes. */
export function signature(
  input: CanonicalInput,
  scope: Scope,
  secretAccessKey: string,
): { signature: string; signedHeaders: string; credentialScope: string } {
  const headers = Object.entries(input.headers)
    .map(([name, value]) => [name.toLowerCase(), value.trim().replace(/\s+/g, ' ')] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = headers.map(([name]) => name).join(';');
  const canonicalRequest = [
    input.method,
    input.path,
    canonicalQuery(input.query),
    ...headers.map(([name, value]) => `${name}:${value}`),
    '',
    signedHeaders,
    input.payloadHash,
  ].join('\n');
  const day = scope.amzDate.slice(0, 8);
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = [ALGORITHM, scope.amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), scope.region), scope.service),
    'aws4_request',
  );
  return {
    signature: createHmac('sha256', key).update(stringToSign).digest('hex'),
    signedHeaders,
    credentialScope,
  };
}

/**
 * Signs a request to `url`: returns its headers plus Host, X-Amz-Date, the session token if any,
 * and Authorization, every one of them signed. S3 wants `x-amz-content-sha256` among `headers`.
 */
export function signRequest(
  request: { method: string; url: URL; headers: Record<string, string>; payloadHash: string },
  credentials: AwsCredentials,
  options: { region: string; service: string; at: Date },
): Record<string, string> & { authorization: string; 'x-amz-date': string } {
  const headers: Record<string, string> & { 'x-amz-date': string } = {
    ...request.headers,
    host: request.url.host,
    'x-amz-date': amzDate(options.at),
    ...(credentials.sessionToken && { 'x-amz-security-token': credentials.sessionToken }),
  };
  const signed = signature(
    {
      method: request.method,
      path: request.url.pathname,
      query: request.url.searchParams,
      headers,
      payloadHash: request.payloadHash,
    },
    { amzDate: headers['x-amz-date'], region: options.region, service: options.service },
    credentials.secretAccessKey,
  );
  return {
    ...headers,
    authorization: `${ALGORITHM} Credential=${credentials.accessKeyId}/${signed.credentialScope}, SignedHeaders=${signed.signedHeaders}, Signature=${signed.signature}`,
  };
}
