import { createHash } from 'node:crypto';
import {
  CheckpointExistsError,
  checkpointName,
  CHECKPOINT_NAME,
  type CheckpointSink,
} from './checkpointSink.ts';
import { sha256Hex, signRequest, uriEncode, type AwsCredentials } from './sigV4.ts';

/**
 * Checkpoints in an S3-compatible object store with object lock (AWS S3, MinIO, Ceph RGW …): each
 * one an object written once (`If-None-Match: *`) under a retention in COMPLIANCE mode, which
 * nobody, the holder of the credentials and the store's root included, can shorten, overwrite or
 * delete before it runs out (GOVERNANCE: only who holds the bypass permission can).
 *
 * Object lock keeps every version: whoever holds the credentials can still put a newer version
 * over a key or a delete marker on it, but not remove the first one. So the sink lists versions
 * and reads the oldest version of each checkpoint, the one written first and locked.
 */

export type ObjectLockMode = 'COMPLIANCE' | 'GOVERNANCE';

export interface S3SinkOptions {
  /** The store's address, `https://s3.eu-central-1.amazonaws.com` or `http://minio:9000`. */
  endpoint: string;
  region: string;
  bucket: string;
  /** Put before each object's name; empty, or ending in `/`. */
  prefix: string;
  /** `path`: endpoint/bucket/key (MinIO, Ceph); `virtual`: bucket.endpoint/key (AWS). */
  addressing: 'path' | 'virtual';
  credentials: AwsCredentials;
  lockMode: ObjectLockMode;
  /** How long each checkpoint stays locked, from when it is written. */
  retentionDays: number;
  /** The clock for retention dates and signatures (default: the system's). */
  now?: () => Date;
}

/** A request the store refused: status, S3 error code and message, in one line. */
export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface S3Sink extends CheckpointSink {
  /** Refuses (`S3Error`) a bucket without object lock enabled: checkpoints there could be deleted. */
  checkObjectLock(): Promise<void>;
}

const DAY_MS = 86_400_000;

/** The text of the first `<tag>` in `xml`, unescaped. */
function tag(xml: string, name: string): string | undefined {
  const found = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  return found
    ?.replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Each `<tag>…</tag>` element of `xml`, as text. */
const elements = (xml: string, name: string): string[] =>
  xml.match(new RegExp(`<${name}>[\\s\\S]*?</${name}>`, 'g')) ?? [];

/** The URL of an object (or of the bucket, for an empty key) with the query given. */
export function objectUrl(
  options: Pick<S3SinkOptions, 'endpoint' | 'bucket' | 'addressing'>,
  key: string,
  query: Record<string, string> = {},
): URL {
  const endpoint = new URL(options.endpoint);
  const path =
    options.addressing === 'virtual'
      ? `/${uriEncode(key, true)}`
      : `/${uriEncode(options.bucket)}/${uriEncode(key, true)}`;
  const host = options.addressing === 'virtual' ? `${options.bucket}.${endpoint.host}` : endpoint.host;
  const search = Object.entries(query)
    .map(([name, value]) => (value === '' ? uriEncode(name) : `${uriEncode(name)}=${uriEncode(value)}`))
    .join('&');
  return new URL(`${endpoint.protocol}//${host}${path}${search ? `?${search}` : ''}`);
}

export function s3Sink(options: S3SinkOptions): S3Sink {
  const now = options.now ?? (() => new Date());
  const where = `s3://${options.bucket}/${options.prefix}`;
  let keyPublished: string | null = null;

  async function request(
    method: 'GET' | 'PUT',
    key: string,
    init: { query?: Record<string, string>; headers?: Record<string, string>; body?: string } = {},
  ): Promise<{ status: number; text: string }> {
    const url = objectUrl(options, key, init.query);
    const body = init.body === undefined ? undefined : Buffer.from(init.body, 'utf8');
    const payloadHash = sha256Hex(body ?? '');
    const headers = signRequest(
      { method, url, headers: { ...init.headers, 'x-amz-content-sha256': payloadHash }, payloadHash },
      options.credentials,
      { region: options.region, service: 's3', at: now() },
    );
    delete headers.host;
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(body && { body }) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new S3Error(
        0,
        cause?.code ?? 'Unreachable',
        `cannot reach the object store at ${options.endpoint} (${cause?.code ?? cause?.message ?? (error as Error).message})`,
      );
    }
    return { status: response.status, text: await response.text() };
  }

  /** The store's refusal of `what`, as one line: status, S3 error code, message. */
  function refused(what: string, response: { status: number; text: string }): S3Error {
    const code = tag(response.text, 'Code') ?? `HTTP ${response.status}`;
    const message = tag(response.text, 'Message');
    return new S3Error(
      response.status,
      code,
      `the object store refused ${what} in ${where}: ${response.status} ${code}${message ? `: ${message.replace(/\s+/g, ' ')}` : ''}`,
    );
  }

  /** Writes `name` once under object lock; false if it exists already. */
  async function putOnce(name: string, text: string, contentType: string): Promise<boolean> {
    const retainUntil = new Date(now().getTime() + options.retentionDays * DAY_MS);
    const response = await request('PUT', options.prefix + name, {
      body: text,
      headers: {
        'content-type': contentType,
        'content-md5': createHash('md5').update(text, 'utf8').digest('base64'),
        'if-none-match': '*',
        'x-amz-object-lock-mode': options.lockMode,
        'x-amz-object-lock-retain-until-date': retainUntil.toISOString(),
      },
    });
    // 409: another upload of the same key was in flight; it or a retry will settle who wrote it.
    if (response.status === 412 || response.status === 409) return false;
    if (response.status !== 200) throw refused(`writing ${name}`, response);
    return true;
  }

  /** Every key under `prefix` with the id of its oldest version (the one locked first). */
  async function versions(prefix = options.prefix): Promise<Map<string, string>> {
    const oldest = new Map<string, string>();
    let marker: Record<string, string> = {};
    for (;;) {
      const response = await request('GET', '', {
        query: { versions: '', prefix, ...marker },
      });
      if (response.status !== 200) throw refused('listing the checkpoints', response);
      // Versions of a key come newest first: the last one seen is the oldest.
      for (const version of elements(response.text, 'Version')) {
        oldest.set(tag(version, 'Key')!, tag(version, 'VersionId')!);
      }
      if (tag(response.text, 'IsTruncated') !== 'true') return oldest;
      marker = {
        'key-marker': tag(response.text, 'NextKeyMarker') ?? '',
        'version-id-marker': tag(response.text, 'NextVersionIdMarker') ?? '',
      };
    }
  }

  async function readOldest(name: string): Promise<string> {
    const versionId = (await versions(options.prefix + name)).get(options.prefix + name);
    if (versionId === undefined) {
      throw new S3Error(404, 'NoSuchKey', `${name} is not in ${where}`);
    }
    const response = await request('GET', options.prefix + name, { query: { versionId } });
    if (response.status !== 200) throw refused(`reading ${name}`, response);
    return response.text;
  }

  let listed: Map<string, string> | null = null;

  return {
    description: `object store ${where} at ${options.endpoint}`,
    async checkObjectLock() {
      const response = await request('GET', '', { query: { 'object-lock': '' } });
      const lockless = `the bucket ${options.bucket} has no object lock: checkpoints there could be deleted; use a bucket created with object lock enabled`;
      if (response.status === 404 && tag(response.text, 'Code') === 'ObjectLockConfigurationNotFoundError') {
        throw new S3Error(404, 'ObjectLockConfigurationNotFoundError', lockless);
      }
      if (response.status !== 200) throw refused('reading the object lock configuration', response);
      if (tag(response.text, 'ObjectLockEnabled') !== 'Enabled') {
        throw new S3Error(200, 'ObjectLockNotEnabled', lockless);
      }
    },
    async list() {
      listed = await versions();
      const prefixLength = options.prefix.length;
      return [...listed.keys()]
        .map((key) => CHECKPOINT_NAME.exec(key.slice(prefixLength))?.[1])
        .filter((n): n is string => n !== undefined)
        .map(Number)
        .sort((a, b) => a - b);
    },
    async read(seq) {
      const name = checkpointName(seq);
      // The versions just listed, else listed again.
      const versionId = listed?.get(options.prefix + name);
      if (versionId === undefined) return readOldest(name);
      const response = await request('GET', options.prefix + name, { query: { versionId } });
      if (response.status !== 200) throw refused(`reading ${name}`, response);
      return response.text;
    },
    async write(seq, text) {
      if (!(await putOnce(checkpointName(seq), text, 'application/json'))) {
        throw new CheckpointExistsError(seq);
      }
    },
    async publishKey(keyId, pem) {
      if (keyPublished === keyId) return;
      const name = `checkpoint-key-${keyId.slice(0, 16)}.pem`;
      if (!(await putOnce(name, pem, 'application/x-pem-file')) && (await readOldest(name)) !== pem) {
        throw new S3Error(
          412,
          'PreconditionFailed',
          `${where}${name} holds another public key than this one`,
        );
      }
      keyPublished = keyId;
    },
  };
}
