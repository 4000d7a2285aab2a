/**
 * Domain errors. They know nothing of HTTP; the runtime maps each `kind` to a status code and an
 * RFC 9457 problem document.
 */
export interface FieldError {
  /** JSON pointer into the input, e.g. `/password`. */
  pointer: string;
  keyword: string;
  message: string;
}

export type ErrorKind =
  | 'input'
  | 'unauthenticated'
  | 'not-allowed'
  | 'not-found'
  | 'conflict'
  | 'locked'
  | 'too-many-requests'
  | 'password-change-required'
  | 'device';

export class AttestError extends Error {
  readonly kind: ErrorKind;
  readonly errors: FieldError[];
  constructor(kind: ErrorKind, message: string, errors: FieldError[] = []) {
    super(message);
    this.name = new.target.name;
    this.kind = kind;
    this.errors = errors;
  }
}

export class InputError extends AttestError {
  constructor(message: string, errors: FieldError[] = []) {
    super('input', message, errors);
  }
}

export class AuthenticationError extends AttestError {
  constructor(message = 'Authentication failed') {
    super('unauthenticated', message);
  }
}

export class NotAllowedError extends AttestError {
  constructor(message: string) {
    super('not-allowed', message);
  }
}

export class NotFoundError extends AttestError {
  constructor(message: string) {
    super('not-found', message);
  }
}

export class ConflictError extends AttestError {
  constructor(message: string) {
    super('conflict', message);
  }
}

export class AccountLockedError extends AttestError {
  constructor(message = 'The account is locked; an administrator must reset its password') {
    super('locked', message);
  }
}

/** Attempts are held back for a while (failed logins, A4); trying again after the wait is fine. */
export class TooManyAttemptsError extends AttestError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super('too-many-requests', message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class PasswordChangeRequiredError extends AttestError {
  constructor(message = 'The password must be changed before anything else can be done') {
    super('password-change-required', message);
  }
}

/** A device did not answer, answered what cannot be used, or cannot be reached now (E6). */
export class DeviceError extends AttestError {
  constructor(message: string) {
    super('device', message);
  }
}
