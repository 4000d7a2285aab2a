import type { Schemas } from '../api/client.ts';

/** Who is signed in, as `GET /api/auth/me` tells: their roles, permissions and plant. */
export type Me = Schemas['Me'];

/** A permission the engine knows, e.g. `records.void`. */
export type Permission = Me['permissions'][number];
