import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import {
  createEngine,
  openDatabase,
  type Clock,
  type DatabaseOptions,
  type DeepPartial,
  type Engine,
  type Settings,
} from '../../src/index.ts';
import { DEMO_USERS, seedDemoUsers } from '../../src/demo.ts';

/**
 * Cheap argon2 in tests: the cost is a setting, and the tests are about behaviour, not cost. The
 * engine's tests deploy and start processes of their own: development mode (template records are
 * bound to the template lifecycle in it too; the tests of the production refusals turn it off).
 */
export const TEST_SETTINGS: DeepPartial<Settings> = {
  argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
  development: true,
  // Tests fail logins on purpose from one address, many times; the throttle has tests of its own.
  loginThrottle: { accountFreeFailures: 1000, addressFreeFailures: 10_000 },
  // Most tests grant roles as one administrator; dual control has tests of its own.
  dualControl: false,
};

export const onServer = (): boolean => Boolean(process.env.DATABASE_URL);

/**
 * A fresh database of its own for one test file: a new database on the PostgreSQL server when
 * DATABASE_URL is set (dropped afterwards), otherwise an in-memory embedded one.
 */
export async function createTestDatabase(): Promise<{ options: DatabaseOptions; drop: () => Promise<void> }> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return { options: { dataDir: 'memory://' }, drop: async () => {} };
  const name = `attest_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    options: { url: url.toString() },
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export class TestClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(minutes: number): void {
    this.offsetMs += minutes * 60_000;
  }
}

export interface TestContext {
  engine: Engine;
  clock: TestClock;
  options: DatabaseOptions;
  /** Runs statements as the schema owner (a database superuser), bypassing the runtime role. */
  asOwner<T>(fn: (db: Knex | Knex.Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function startTestEngine(
  settings: DeepPartial<Settings> = {},
  options: { seed?: boolean } = {},
): Promise<TestContext> {
  const { options: dbOptions, drop } = await createTestDatabase();
  const database = await openDatabase(dbOptions);
  const clock = new TestClock();
  let engine: Engine;
  try {
    engine = createEngine({ database, clock, settings: { ...TEST_SETTINGS, ...settings } });
  } catch (error) {
    // Settings the engine refuses: nothing of the database stays open behind the refusal.
    await database.close();
    await drop();
    throw error;
  }
  if (options.seed !== false) await seedDemoUsers(engine.identity, { demo: true });
  const asOwner = async <T>(fn: (db: Knex | Knex.Transaction) => Promise<T>): Promise<T> => {
    if (!dbOptions.url) {
      return database.knex.transaction(async (trx) => {
        await trx.raw('SET LOCAL ROLE postgres');
        return fn(trx);
      });
    }
    const owner = knexFactory({ client: 'pg', connection: dbOptions.url, pool: { min: 0, max: 1 } });
    try {
      return await fn(owner);
    } finally {
      await owner.destroy();
    }
  };
  return {
    engine,
    clock,
    options: dbOptions,
    asOwner,
    close: async () => {
      await engine.close();
      await drop();
    },
  };
}

export function demoPassword(username: (typeof DEMO_USERS)[number]['username']): string {
  return DEMO_USERS.find((u) => u.username === username)!.password;
}

/** Logs a demo user in and returns the principal of the session. */
export async function loginAs(engine: Engine, username: (typeof DEMO_USERS)[number]['username']) {
  const { sessionId } = await engine.identity.login({ username, password: demoPassword(username) });
  return engine.identity.authenticate(sessionId);
}

/**
 * Creates a user as the demo administrator and completes the forced first password change, as a
 * new colleague would; returns the user, an open session's principal and the chosen password.
 */
export async function createColleague(
  ctx: TestContext,
  username: string,
  roles: string[],
  password = 'Quartz-Lamp-4829',
) {
  const adrian = await loginAs(ctx.engine, 'adrian');
  const { user, oneTimePassword } = await ctx.engine.identity.createUser(
    adrian,
    { username, printedName: `Test ${username}`, roles },
    { password: demoPassword('adrian'), reason: 'New starter' },
  );
  const first = await ctx.engine.identity.login({ username, password: oneTimePassword });
  const limited = await ctx.engine.identity.authenticate(first.sessionId, { allowPasswordChange: true });
  await ctx.engine.identity.changePassword(limited, oneTimePassword, password);
  return { user, principal: await ctx.engine.identity.authenticate(first.sessionId), password };
}
