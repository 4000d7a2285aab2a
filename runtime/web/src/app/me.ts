/** Who is signed in, as `GET /api/auth/me` tells: their roles, permissions and plant. */
export interface Me {
  user: { id: string; username: string; printedName: string; language: string };
  roles: string[];
  permissions: string[];
  mustChangePassword: boolean;
  plant: {
    timeZone: string;
    /** Role changes and grants of GMP approval authority are proposed for a second administrator (A3). */
    dualControl: boolean;
    /** The permissions that are GMP approval authority. */
    gmpApproval: string[];
  };
}
