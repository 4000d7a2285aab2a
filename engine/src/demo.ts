import type { IdentityService } from './identity/identityService.ts';
import type { User } from './identity/userRepository.ts';

/** The demo logins `npm start` prints: one personal account per role, never shared (A7). */
export const DEMO_USERS = [
  { username: 'olivia', printedName: 'Olivia Ortega', roles: ['operator'], password: 'Attest-Operator-1' },
  { username: 'oscar', printedName: 'Oscar Osei', roles: ['operator'], password: 'Attest-Operator-2' },
  { username: 'quinn', printedName: 'Quinn Quaye', roles: ['qa'], password: 'Attest-Review-1' },
  { username: 'petra', printedName: 'Petra Pohl', roles: ['qp'], password: 'Attest-Release-1' },
  { username: 'adrian', printedName: 'Adrian Alder', roles: ['admin'], password: 'Attest-Admin-1' },
] as const;

/**
 * Creates the built-in roles and the demo users if they are missing. Outside demo mode each user
 * must change the printed password at first login.
 */
export async function seedDemoUsers(identity: IdentityService, options: { demo: boolean }): Promise<User[]> {
  const created: User[] = [];
  for (const u of DEMO_USERS) {
    try {
      created.push(
        await identity.bootstrapUser({ ...u, roles: [...u.roles], mustChangePassword: !options.demo }),
      );
    } catch (error) {
      if ((error as { kind?: string }).kind !== 'conflict') throw error;
    }
  }
  return created;
}
