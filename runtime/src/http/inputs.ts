import { LIMITS, name, object, password, text } from './schema.ts';

/** The signer's password typed again, and why: granting roles and defining them are e-signed acts (A3, B1). */
export const signature = object(
  { password: password('The signer’s own password, typed again'), reason: text(LIMITS.reason, 'Why') },
  ['password'],
  'The electronic signature of the act',
);

export const roleName = name('^[a-z][a-z0-9_-]+$', 63, 'Role name, e.g. operator');
