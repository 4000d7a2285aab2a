import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  checkpointKey,
  directorySink,
  generateCheckpointKeyPem,
  isTimeZone,
  s3Sink,
  type CheckpointKey,
  type CheckpointSink,
  type DeepPartial,
  type S3SinkOptions,
  type Settings,
} from '@attest/engine';
import type { TrustProxy } from './http/app.ts';

/** Everything the runtime reads from its environment, checked once at start. */
export interface RuntimeConfig {
  databaseUrl: string | undefined;
  dataDir: string;
  host: string;
  port: number;
  jwtSecret: string;
  /** Where the JWT secret came from, for the start banner. */
  jwtSecretSource: 'environment' | 'data directory' | 'generated for this process';
  settings: DeepPartial<Settings>;
  logLevel: string;
  trustProxy: TrustProxy | undefined;
  /** Bearer token Prometheus presents at /api/metrics; unset, the metrics are not served. */
  metricsToken: string | undefined;
  /** A folder of plugin packages the plant installs, besides the workspace's own (ATTEST_PLUGIN_DIR). */
  pluginDir: string | undefined;
  checkpoint: CheckpointConfig;
}

/** Signed checkpoints of the audit trail: the key that signs them and the sink they go to. */
export interface CheckpointConfig {
  /** The PEM file of the key. */
  keyFile: string;
  /** Set in the environment, or the default place (where it is generated on first use). */
  keySource: 'environment' | 'default';
  /** An append-only directory, or a bucket of an S3-compatible object store with object lock. */
  sink: { kind: 'directory'; dir: string } | { kind: 's3'; options: S3SinkOptions };
  intervalMs: number;
}

/** Checkpoints stay locked as long as the records they vouch for are kept: P10Y in the shipped templates. */
export const DEFAULT_RETENTION_DAYS = 3653;

export class ConfigError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, not "${raw}"`);
  return n;
}

/** `true`, a number of hops, or addresses and subnets (`loopback, 10.0.0.0/8`). */
function trustProxy(raw: string | undefined): TrustProxy | undefined {
  if (!raw) return undefined;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}

/**
 * Reads the configuration. The embedded database lives in ATTEST_DATA_DIR (default ./data of the
 * directory npm was started from); the token secret comes from ATTEST_JWT_SECRET or, for the
 * embedded database, is created once in the data directory.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: { port?: number } = {},
): RuntimeConfig {
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  const dataDir = resolve(env.INIT_CWD ?? process.cwd(), env.ATTEST_DATA_DIR || 'data');
  const port = overrides.port ?? integer(env, 'PORT', 0, 65535) ?? 3000;
  let jwtSecret = env.ATTEST_JWT_SECRET ?? '';
  let jwtSecretSource: RuntimeConfig['jwtSecretSource'] = 'environment';
  if (jwtSecret && jwtSecret.length < 32)
    throw new ConfigError('ATTEST_JWT_SECRET must be at least 32 characters long');
  if (!jwtSecret && !databaseUrl) {
    const file = join(dataDir, 'jwt-secret');
    if (!existsSync(file)) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
    }
    jwtSecret = readFileSync(file, 'utf8').trim();
    jwtSecretSource = 'data directory';
  } else if (!jwtSecret) {
    // Several processes on one server must share the secret; a generated one serves one process only.
    jwtSecret = randomBytes(32).toString('hex');
    jwtSecretSource = 'generated for this process';
  }
  const metricsToken = env.ATTEST_METRICS_TOKEN || undefined;
  if (metricsToken && metricsToken.length < 32)
    throw new ConfigError('ATTEST_METRICS_TOKEN must be at least 32 characters long');
  const lockoutThreshold = integer(env, 'ATTEST_LOCKOUT_THRESHOLD', 1, 100);
  const inactivityMinutes = integer(env, 'ATTEST_INACTIVITY_MINUTES', 1, 24 * 60);
  const minLength = integer(env, 'ATTEST_PASSWORD_MIN_LENGTH', 8, 128);
  const maxAgeDays = integer(env, 'ATTEST_PASSWORD_MAX_AGE_DAYS', 0, 3650);
  const dualControl = env.ATTEST_DUAL_CONTROL || 'true';
  if (dualControl !== 'true' && dualControl !== 'false') {
    throw new ConfigError(`ATTEST_DUAL_CONTROL must be true or false, not "${dualControl}"`);
  }
  // The plant's zone: as configured, else the zone of the server the plant runs it on.
  const zoneName = env.ATTEST_TIME_ZONE || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const timeZone = zoneName;
  if (!isTimeZone(timeZone))
    throw new ConfigError(
      `ATTEST_TIME_ZONE must be an IANA time zone such as Asia/Shanghai, not "${zoneName}"`,
    );
  const development = env.ATTEST_DEVELOPMENT || 'false';
  if (development !== 'true' && development !== 'false')
    throw new ConfigError(`ATTEST_DEVELOPMENT must be true or false, not "${development}"`);
  const checkpoint = checkpointConfig(env, dataDir, databaseUrl);
  const pluginDir = env.ATTEST_PLUGIN_DIR || undefined;
  if (pluginDir && !existsSync(pluginDir))
    throw new ConfigError(`ATTEST_PLUGIN_DIR names a folder that does not exist: ${pluginDir}`);
  const font = env.ATTEST_PRINTOUT_FONT || null;
  if (font && !existsSync(font))
    throw new ConfigError(`ATTEST_PRINTOUT_FONT names a font file that does not exist: ${font}`);
  return {
    databaseUrl,
    dataDir,
    host: env.HOST || '127.0.0.1',
    port,
    jwtSecret,
    jwtSecretSource,
    settings: {
      ...(lockoutThreshold !== undefined && { lockoutThreshold }),
      ...(inactivityMinutes !== undefined && { inactivityMinutes }),
      dualControl: dualControl === 'true',
      passwordPolicy: {
        ...(minLength !== undefined && { minLength }),
        ...(maxAgeDays !== undefined && { maxAgeDays }),
      },
      plant: { timeZone },
      printout: { font },
      development: development === 'true',
    },
    logLevel: env.LOG_LEVEL || 'info',
    trustProxy: trustProxy(env.ATTEST_TRUST_PROXY),
    metricsToken,
    pluginDir,
    checkpoint,
  };
}

/**
 * Where the checkpoint key and sink are. ATTEST_CHECKPOINT_KEY names an Ed25519 private key
 * (PKCS#8 PEM), or a public key alone where checkpoints are only verified (an auditor's copy);
 * unset, it is data/checkpoint-key.pem (embedded database) or ./checkpoint-key.pem (a server). The
 * sink is the object store ATTEST_CHECKPOINT_SINK (s3://bucket/prefix), else the directory
 * ATTEST_CHECKPOINT_DIR, else data/checkpoints or ./checkpoints.
 */
function checkpointConfig(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  databaseUrl: string | undefined,
): CheckpointConfig {
  const cwd = env.INIT_CWD ?? process.cwd();
  const home = databaseUrl ? cwd : dataDir;
  const seconds = integer(env, 'ATTEST_CHECKPOINT_INTERVAL', 10, 24 * 3600) ?? 300;
  return {
    keyFile: resolve(cwd, env.ATTEST_CHECKPOINT_KEY || join(home, 'checkpoint-key.pem')),
    keySource: env.ATTEST_CHECKPOINT_KEY ? 'environment' : 'default',
    sink: env.ATTEST_CHECKPOINT_SINK
      ? { kind: 's3', options: s3Config(env, env.ATTEST_CHECKPOINT_SINK) }
      : { kind: 'directory', dir: resolve(cwd, env.ATTEST_CHECKPOINT_DIR || join(home, 'checkpoints')) },
    intervalMs: seconds * 1000,
  };
}

/** The bucket and prefix of ATTEST_CHECKPOINT_SINK, the store's address and the credentials. */
function s3Config(env: NodeJS.ProcessEnv, sink: string): S3SinkOptions {
  if (env.ATTEST_CHECKPOINT_DIR)
    throw new ConfigError('set ATTEST_CHECKPOINT_SINK or ATTEST_CHECKPOINT_DIR, not both');
  const [, bucket, path = ''] = /^s3:\/\/([^/]*)\/?(.*)$/.exec(sink) ?? [];
  if (bucket === undefined)
    throw new ConfigError(`ATTEST_CHECKPOINT_SINK must be s3://bucket/prefix, not "${sink}"`);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new ConfigError(
      `ATTEST_CHECKPOINT_SINK must name a bucket of 3 to 63 lowercase letters, digits, dots and hyphens, not "${bucket}"`,
    );
  const region = env.ATTEST_S3_REGION || env.AWS_REGION || 'us-east-1';
  if (!/^[a-z0-9-]+$/.test(region))
    throw new ConfigError(`ATTEST_S3_REGION must be a region such as eu-central-1, not "${region}"`);
  const endpoint = env.ATTEST_S3_ENDPOINT || `https://s3.${region}.amazonaws.com`;
  const url = URL.canParse(endpoint) ? new URL(endpoint) : null;
  if (!url || !/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.username)
    throw new ConfigError(
      `ATTEST_S3_ENDPOINT must be an http:// or https:// address such as http://minio:9000, not "${endpoint}"`,
    );
  const addressing = env.ATTEST_S3_ADDRESSING || (env.ATTEST_S3_ENDPOINT ? 'path' : 'virtual');
  if (addressing !== 'path' && addressing !== 'virtual')
    throw new ConfigError(`ATTEST_S3_ADDRESSING must be path or virtual, not "${addressing}"`);
  const lockMode = env.ATTEST_CHECKPOINT_LOCK_MODE || 'COMPLIANCE';
  if (lockMode !== 'COMPLIANCE' && lockMode !== 'GOVERNANCE')
    throw new ConfigError(`ATTEST_CHECKPOINT_LOCK_MODE must be COMPLIANCE or GOVERNANCE, not "${lockMode}"`);
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'])
    if (!env[name]) throw new ConfigError(`${name} must be set to write checkpoints to ${sink}`);
  return {
    endpoint: url.origin,
    region,
    bucket,
    prefix: path === '' || path.endsWith('/') ? path : `${path}/`,
    addressing,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID!,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY!,
      ...(env.AWS_SESSION_TOKEN && { sessionToken: env.AWS_SESSION_TOKEN }),
    },
    lockMode,
    retentionDays: integer(env, 'ATTEST_CHECKPOINT_RETENTION_DAYS', 1, 36_500) ?? DEFAULT_RETENTION_DAYS,
  };
}

/**
 * The configured sink. One that checkpoints are written to is checked first: an object store's
 * bucket must have object lock enabled, or the runtime refuses to start.
 */
export async function openCheckpointSink(
  config: CheckpointConfig,
  writing: boolean,
): Promise<CheckpointSink> {
  if (config.sink.kind === 'directory') return directorySink(config.sink.dir);
  const sink = s3Sink(config.sink.options);
  if (writing) await sink.checkObjectLock();
  return sink;
}

/**
 * The checkpoint key, read from its file; at the default place it is generated on first use by
 * what signs (`generated` then says so, for a warning: several runtimes must share one key and
 * one sink). Without `generate`, a key not there yet is null: nothing was ever signed with it.
 */
export function loadCheckpointKey(
  config: CheckpointConfig,
  generate = true,
): { key: CheckpointKey | null; generated: boolean } {
  let generated = false;
  if (!existsSync(config.keyFile)) {
    if (config.keySource === 'environment')
      throw new ConfigError(`ATTEST_CHECKPOINT_KEY names a key file that does not exist: ${config.keyFile}`);
    if (!generate) return { key: null, generated };
    mkdirSync(dirname(config.keyFile), { recursive: true });
    writeFileSync(config.keyFile, generateCheckpointKeyPem(), { mode: 0o600, flag: 'wx' });
    generated = true;
  }
  try {
    return { key: checkpointKey(readFileSync(config.keyFile, 'utf8')), generated };
  } catch (error) {
    throw new ConfigError(`${config.keyFile} is not an Ed25519 key in PEM: ${(error as Error).message}`);
  }
}
