import {
  checkConflictMatrix,
  DEFAULT_PERMISSION_CONFLICTS,
  type PermissionConflict,
} from './permissionConflicts.ts';

/** Security settings; each has a default a plant can change (A4, A5). */
export interface PasswordPolicy {
  minLength: number;
  /** How many of the four classes (lower, upper, digit, other) a password must contain. */
  minClasses: number;
  /** How many earlier passwords may not be reused. */
  historyCount: number;
  /** Days after which a password must be changed; 0 turns ageing off. */
  maxAgeDays: number;
  /**
   * The least estimated strength (0–4, zxcvbn's score) against common and breached passwords:
   * 3 refuses anything guessed within about 10^8 tries.
   */
  minStrength: number;
}

/** How failed logins slow further attempts, per account and per client address (A4). */
export interface LoginThrottleSettings {
  /** Failed logins of one account in a row before each further attempt must wait. */
  accountFreeFailures: number;
  /** Failed logins from one address within the window before each further attempt must wait. */
  addressFreeFailures: number;
  /** Minutes after the latest failure when a count starts again. */
  windowMinutes: number;
  /** The first wait; it doubles with each further failure. */
  backoffSeconds: number;
  maxBackoffSeconds: number;
}

export interface Settings {
  passwordPolicy: PasswordPolicy;
  /**
   * Pairs of permissions nobody may hold together (B5), checked on every grant of roles and every
   * change of a role; by default user and role administration against every GMP approval.
   */
  permissionConflicts: PermissionConflict[];
  loginThrottle: LoginThrottleSettings;
  /**
   * Dual control of security administration (A3): a change of a role's permissions, or a grant of
   * GMP approval authority, takes effect only once a second administrator approves it.
   */
  dualControl: boolean;
  /** Consecutive failed logins or signature attempts that lock an account. */
  lockoutThreshold: number;
  /** Minutes without a request after which a session is locked and needs a new login. */
  inactivityMinutes: number;
  /** Hours after which a session ends whatever its activity. */
  sessionMaxHours: number;
  /** argon2id cost; the defaults follow OWASP's recommendation for argon2id. */
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  /** Times are stored in UTC (E1); people read them in the plant's IANA time zone, e.g. Asia/Shanghai. */
  plant: { timeZone: string };
  /**
   * A TrueType or OpenType font file for the record printout. Without one, characters the standard
   * PDF font lacks (Chinese, for one) are printed as code points rather than lost.
   */
  printout: { font: string | null };
  /**
   * Development mode: processes may be deployed and started outside the template lifecycle (a
   * designer trying a model). Never in production: there, processes run only from effective
   * template versions.
   */
  development: boolean;
}

export const defaultSettings: Settings = {
  passwordPolicy: { minLength: 12, minClasses: 3, historyCount: 5, maxAgeDays: 90, minStrength: 3 },
  permissionConflicts: DEFAULT_PERMISSION_CONFLICTS,
  loginThrottle: {
    accountFreeFailures: 2,
    addressFreeFailures: 20,
    windowMinutes: 15,
    backoffSeconds: 2,
    maxBackoffSeconds: 900,
  },
  dualControl: true,
  lockoutThreshold: 5,
  inactivityMinutes: 15,
  sessionMaxHours: 12,
  argon2: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
  plant: { timeZone: 'UTC' },
  printout: { font: null },
  development: false,
};

export function resolveSettings(overrides: DeepPartial<Settings> = {}): Settings {
  const settings = {
    ...defaultSettings,
    ...overrides,
    passwordPolicy: { ...defaultSettings.passwordPolicy, ...overrides.passwordPolicy },
    argon2: { ...defaultSettings.argon2, ...overrides.argon2 },
    loginThrottle: { ...defaultSettings.loginThrottle, ...overrides.loginThrottle },
    permissionConflicts: checkConflictMatrix(
      overrides.permissionConflicts ?? defaultSettings.permissionConflicts,
    ),
    plant: { timeZone: overrides.plant?.timeZone ?? defaultSettings.plant.timeZone },
    printout: { font: overrides.printout?.font ?? defaultSettings.printout.font },
    development: overrides.development === true,
  } as Settings;
  // Refused at start: a zone that only fails when the first time is printed would fail in front of a user.
  if (!isTimeZone(settings.plant.timeZone)) {
    throw new RangeError(
      `plant.timeZone must be an IANA time zone such as Asia/Shanghai, not "${settings.plant.timeZone}"`,
    );
  }
  if (settings.printout.font === '') {
    throw new RangeError('printout.font must be the path of a TrueType or OpenType font file, or null');
  }
  return settings;
}

/** A time zone Intl knows by its IANA name (or UTC). */
export function isTimeZone(name: unknown): name is string {
  if (typeof name !== 'string' || name === '') return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
