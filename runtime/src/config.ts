import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isTimeZone, type DeepPartial, type Settings } from '@attest/engine';
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
}

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
  const lockoutThreshold = integer(env, 'ATTEST_LOCKOUT_THRESHOLD', 1, 100);
  const inactivityMinutes = integer(env, 'ATTEST_INACTIVITY_MINUTES', 1, 24 * 60);
  const minLength = integer(env, 'ATTEST_PASSWORD_MIN_LENGTH', 8, 128);
  const maxAgeDays = integer(env, 'ATTEST_PASSWORD_MAX_AGE_DAYS', 0, 3650);
  const dualControl = env.ATTEST_DUAL_CONTROL || 'on';
  if (dualControl !== 'on' && dualControl !== 'off') {
    throw new ConfigError(`ATTEST_DUAL_CONTROL must be on or off, not "${dualControl}"`);
  }
  // The plant's zone: as configured, else the zone of the server the plant runs it on.
  const zoneName = env.ATTEST_TIME_ZONE || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const timeZone = zoneName;
  if (!isTimeZone(timeZone))
    throw new ConfigError(
      `ATTEST_TIME_ZONE must be an IANA time zone such as Asia/Shanghai, not "${zoneName}"`,
    );
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
      dualControl: dualControl === 'on',
      passwordPolicy: {
        ...(minLength !== undefined && { minLength }),
        ...(maxAgeDays !== undefined && { maxAgeDays }),
      },
      plant: { timeZone },
      printout: { font },
    },
    logLevel: env.LOG_LEVEL || 'info',
    trustProxy: trustProxy(env.ATTEST_TRUST_PROXY),
  };
}
