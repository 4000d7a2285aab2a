import type { Knex } from 'knex';
import type { Clock } from '../kernel/clock.ts';
import type { Settings } from '../kernel/settings.ts';
import type { User } from './userRepository.ts';

/** The languages of the user interface. */
export const LANGUAGES = ['en', 'zh-CN'] as const;

export interface IdentityDeps {
  knex: Knex;
  clock: Clock;
  settings: Settings;
}

export interface LoginResult {
  sessionId: string;
  user: User;
  /** The password is a one-time password or has aged: nothing but a change is allowed. */
  mustChangePassword: boolean;
}

export interface NewUser {
  username: string;
  printedName: string;
  email?: string | null;
  roles: string[];
  language?: string;
}

/** A password typed again to sign an act (B1), and why, where a reason is required. */
export interface SignatureInput {
  password: string;
  reason?: string | null;
}
