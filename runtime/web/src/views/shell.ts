// The administration pages still name the signed-in person's type from here.
export type { Me } from '../app/me.ts';
