import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sha256Hex, signature, signRequest, type AwsCredentials } from '../../src/audit/sigV4.ts';

/**
 * A small S3-compatible object store for tests, path-style addressing only. It checks the
 * Signature Version 4 of every request (and the body against x-amz-content-sha256), and keeps
 * versions and object lock as S3 does: a bucket with object lock is versioned; a locked version
 * can neither be overwritten nor deleted before its retain-until date; `If-None-Match: *` on a
 * key that exists answers 412. It answers what the checkpoint sink asks: GET ?object-lock,
 * GET ?versions (in pages of `pageSize`), PUT, GET (?versionId) and DELETE of an object.
 */

export interface StoredVersion {
  versionId: string;
  body: string | null;
  deleteMarker: boolean;
  contentType?: string;
  lockMode?: string;
  retainUntil?: Date;
}

export interface TestS3Server {
  endpoint: string;
  region: string;
  credentials: AwsCredentials;
  /** The versions of each key in a bucket, oldest first. */
  bucket(name: string): Map<string, StoredVersion[]>;
  /** A request signed with the store's credentials, as their holder could send it. */
  send(
    method: string,
    path: string,
    init?: { headers?: Record<string, string>; body?: string },
  ): Promise<{ status: number; text: string }>;
  /** How many requests were refused for a bad signature or unknown key. */
  refusedSignatures: number;
  close(): Promise<void>;
}

const REGION = 'eu-central-1';

const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startS3Server(
  options: {
    /** Buckets by name: with object lock (versioned) or without. */
    buckets?: Record<string, { objectLock: boolean }>;
    credentials?: AwsCredentials;
    pageSize?: number;
  } = {},
): Promise<TestS3Server> {
  const credentials = options.credentials ?? {
    accessKeyId: 'AKIATESTATTEST000001',
    secretAccessKey: 'test/secret/key/that/only/this/server/knows',
  };
  const pageSize = options.pageSize ?? 1000;
  const buckets = new Map(
    Object.entries(options.buckets ?? { checkpoints: { objectLock: true } }).map(([name, b]) => [
      name,
      { objectLock: b.objectLock, keys: new Map<string, StoredVersion[]>() },
    ]),
  );
  const state = { refusedSignatures: 0 };

  function authenticate(req: IncomingMessage, rawPath: string, url: URL, body: Buffer): void {
    const header = req.headers.authorization ?? '';
    const parsed =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
        header,
      );
    if (!parsed) throw new Refusal(403, 'AccessDenied', 'Missing or malformed Authorization header');
    const [, accessKeyId, day, region, service, signedHeaders, given] = parsed as unknown as string[];
    if (accessKeyId !== credentials.accessKeyId) {
      state.refusedSignatures += 1;
      throw new Refusal(
        403,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
      );
    }
    if (region !== REGION || service !== 's3') {
      throw new Refusal(
        400,
        'AuthorizationHeaderMalformed',
        `The authorization header is malformed; the region '${region}' is wrong; expecting '${REGION}'`,
      );
    }
    const names = signedHeaders!.split(';');
    for (const required of ['host', 'x-amz-date', 'x-amz-content-sha256']) {
      if (!names.includes(required)) throw new Refusal(403, 'AccessDenied', `${required} must be signed`);
    }
    const amzDate = String(req.headers['x-amz-date']);
    if (amzDate.slice(0, 8) !== day) throw new Refusal(403, 'AccessDenied', 'the date is not the scope’s');
    const payloadHash = String(req.headers['x-amz-content-sha256']);
    if (payloadHash !== sha256Hex(body)) {
      throw new Refusal(
        400,
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    }
    if (credentials.sessionToken && req.headers['x-amz-security-token'] !== credentials.sessionToken) {
      throw new Refusal(403, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
    }
    const headers = Object.fromEntries(names.map((n) => [n, String(req.headers[n] ?? '')]));
    const expected = signature(
      { method: req.method!, path: rawPath, query: url.searchParams, headers, payloadHash },
      { amzDate, region, service },
      credentials.secretAccessKey,
    ).signature;
    if (!timingSafeEqual(Buffer.from(expected), Buffer.from(given!))) {
      state.refusedSignatures += 1;
      throw new Refusal(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      );
    }
  }

  const locked = (v: StoredVersion) => v.retainUntil !== undefined && v.retainUntil.getTime() > Date.now();

  function listVersions(keys: Map<string, StoredVersion[]>, url: URL): string {
    const prefix = url.searchParams.get('prefix') ?? '';
    const keyMarker = url.searchParams.get('key-marker') ?? '';
    const versionMarker = url.searchParams.get('version-id-marker') ?? '';
    const all = [...keys.keys()]
      .filter((k) => k.startsWith(prefix))
      .sort()
      .flatMap((key) =>
        [...keys.get(key)!].reverse().map((version, i) => ({ key, version, latest: i === 0 })),
      );
    let start = 0;
    if (keyMarker) {
      const at = all.findIndex((e) => e.key === keyMarker && e.version.versionId === versionMarker);
      start = at >= 0 ? at + 1 : all.findIndex((e) => e.key > keyMarker);
      if (start < 0) start = all.length;
    }
    const page = all.slice(start, start + pageSize);
    const truncated = start + pageSize < all.length;
    const last = page[page.length - 1];
    const entries = page.map(({ key, version, latest }) => {
      const element = version.deleteMarker ? 'DeleteMarker' : 'Version';
      return `<${element}><Key>${escape(key)}</Key><VersionId>${version.versionId}</VersionId><IsLatest>${latest}</IsLatest></${element}>`;
    });
    return xml(
      `<ListVersionsResult><Prefix>${escape(prefix)}</Prefix><IsTruncated>${truncated}</IsTruncated>${
        truncated && last
          ? `<NextKeyMarker>${escape(last.key)}</NextKeyMarker><NextVersionIdMarker>${last.version.versionId}</NextVersionIdMarker>`
          : ''
      }${entries.join('')}</ListVersionsResult>`,
    );
  }

  function put(
    req: IncomingMessage,
    bucket: { objectLock: boolean; keys: Map<string, StoredVersion[]> },
    key: string,
    body: Buffer,
  ): void {
    const versions = bucket.keys.get(key) ?? [];
    const current = versions[versions.length - 1];
    if (req.headers['if-none-match'] === '*' && current && !current.deleteMarker) {
      throw new Refusal(
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
      );
    }
    const md5 = req.headers['content-md5'];
    if (md5 !== undefined && md5 !== createHash('md5').update(body).digest('base64')) {
      throw new Refusal(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
    }
    const mode = req.headers['x-amz-object-lock-mode'] as string | undefined;
    const until = req.headers['x-amz-object-lock-retain-until-date'] as string | undefined;
    if (mode !== undefined || until !== undefined) {
      if (!bucket.objectLock) {
        throw new Refusal(400, 'InvalidRequest', 'Bucket is missing Object Lock Configuration');
      }
      if (md5 === undefined) {
        throw new Refusal(
          400,
          'InvalidRequest',
          'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters',
        );
      }
      if ((mode !== 'COMPLIANCE' && mode !== 'GOVERNANCE') || !until || !(Date.parse(until) > Date.now())) {
        throw new Refusal(400, 'InvalidArgument', 'The retain until date must be in the future');
      }
    }
    const version: StoredVersion = {
      versionId: bucket.objectLock ? randomUUID() : 'null',
      body: body.toString('utf8'),
      deleteMarker: false,
      contentType: req.headers['content-type'],
      ...(mode && { lockMode: mode, retainUntil: new Date(until!) }),
    };
    if (!bucket.objectLock) {
      bucket.keys.set(key, [version]);
      return;
    }
    bucket.keys.set(key, [...versions, version]);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const rawPath = req.url!.split('?')[0]!;
    const url = new URL(req.url!, 'http://store');
    authenticate(req, rawPath, url, body);
    const [, bucketName, ...rest] = rawPath.split('/');
    const bucket = buckets.get(decodeURIComponent(bucketName ?? ''));
    if (!bucket) throw new Refusal(404, 'NoSuchBucket', 'The specified bucket does not exist');
    const key = rest.map(decodeURIComponent).join('/');
    const send = (status: number, text = '', type = 'application/xml') => {
      res.writeHead(status, { 'content-type': type });
      res.end(text);
    };
    if (key === '') {
      if (req.method === 'GET' && url.searchParams.has('object-lock')) {
        if (!bucket.objectLock) {
          throw new Refusal(
            404,
            'ObjectLockConfigurationNotFoundError',
            'Object Lock configuration does not exist for this bucket',
          );
        }
        return send(
          200,
          xml(
            '<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>',
          ),
        );
      }
      if (req.method === 'GET' && url.searchParams.has('versions'))
        return send(200, listVersions(bucket.keys, url));
      throw new Refusal(501, 'NotImplemented', 'This test store does not do that');
    }
    const versions = bucket.keys.get(key) ?? [];
    const versionId = url.searchParams.get('versionId');
    const chosen = versionId
      ? versions.find((v) => v.versionId === versionId)
      : versions[versions.length - 1];
    switch (req.method) {
      case 'PUT':
        put(req, bucket, key, body);
        return send(200);
      case 'GET':
        if (!chosen || chosen.deleteMarker)
          throw new Refusal(404, 'NoSuchKey', 'The specified key does not exist.');
        return send(200, chosen.body!, chosen.contentType);
      case 'DELETE':
        if (!versionId) {
          if (bucket.objectLock) {
            bucket.keys.set(key, [...versions, { versionId: randomUUID(), body: null, deleteMarker: true }]);
          } else bucket.keys.delete(key);
          return send(204);
        }
        if (!chosen) throw new Refusal(404, 'NoSuchVersion', 'The specified version does not exist.');
        if (locked(chosen))
          throw new Refusal(403, 'AccessDenied', 'Access Denied because object protected by object lock.');
        bucket.keys.set(
          key,
          versions.filter((v) => v !== chosen),
        );
        return send(204);
      default:
        throw new Refusal(
          405,
          'MethodNotAllowed',
          'The specified method is not allowed against this resource.',
        );
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const refusal =
        error instanceof Refusal ? error : new Refusal(500, 'InternalError', (error as Error).message);
      res.writeHead(refusal.status, { 'content-type': 'application/xml' });
      res.end(
        req.method === 'HEAD'
          ? undefined
          : xml(
              `<Error><Code>${refusal.code}</Code><Message>${escape(refusal.message)}</Message><RequestId>test</RequestId></Error>`,
            ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    region: REGION,
    credentials,
    bucket: (name) => buckets.get(name)!.keys,
    async send(method, path, init = {}) {
      const url = new URL(`${endpoint}${path}`);
      const payloadHash = sha256Hex(init.body ?? '');
      const headers = signRequest(
        { method, url, headers: { ...init.headers, 'x-amz-content-sha256': payloadHash }, payloadHash },
        credentials,
        { region: REGION, service: 's3', at: new Date() },
      );
      delete headers.host;
      const response = await fetch(url, {
        method,
        headers,
        ...(init.body !== undefined && { body: init.body }),
      });
      return { status: response.status, text: await response.text() };
    },
    get refusedSignatures() {
      return state.refusedSignatures;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
