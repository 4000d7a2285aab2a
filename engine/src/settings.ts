/** Security settings; each has a default a plant can change (A4, A5). */
export interface PasswordPolicy {
  minLength: number;
  /** How many of the four classes (lower, upper, digit, other) a password must contain. */
  minClasses: number;
  /** How many earlier passwords may not be reused. */
  historyCount: number;
  /** Days after which a password must be changed; 0 turns ageing off. */
  maxAgeDays: number;
}

export interface Settings {
  passwordPolicy: PasswordPolicy;
  /** Consecutive failed logins or signature attempts that lock an account. */
  lockoutThreshold: number;
  /** Minutes without a request after which a session is locked and needs a new login. */
  inactivityMinutes: number;
  /** Hours after which a session ends whatever its activity. */
  sessionMaxHours: number;
  /** argon2id cost; the defaults follow OWASP's recommendation for argon2id. */
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
}

export const defaultSettings: Settings = {
  passwordPolicy: { minLength: 12, minClasses: 3, historyCount: 5, maxAgeDays: 90 },
  lockoutThreshold: 5,
  inactivityMinutes: 15,
  sessionMaxHours: 12,
  argon2: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
};

export function resolveSettings(overrides: DeepPartial<Settings> = {}): Settings {
  return {
    ...defaultSettings,
    ...overrides,
    passwordPolicy: { ...defaultSettings.passwordPolicy, ...overrides.passwordPolicy },
    argon2: { ...defaultSettings.argon2, ...overrides.argon2 },
  } as Settings;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
