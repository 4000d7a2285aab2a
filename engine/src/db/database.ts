import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { mkdirSync } from 'node:fs';
import { migrationSource } from './migrations/index.ts';

/** The role every runtime connection assumes: no UPDATE, DELETE or TRUNCATE on the audit trail. */
export const RUNTIME_ROLE = 'attest_runtime';

export interface DatabaseOptions {
  /** A PostgreSQL URL; when absent the embedded database (PGlite) is used. */
  url?: string | undefined;
  /** Folder of the embedded database; `memory://` keeps it in memory (tests). */
  dataDir?: string | undefined;
  /** Run pending migrations before handing out the connection (default true). */
  migrate?: boolean;
  /** Largest number of pooled connections to a PostgreSQL server. */
  poolSize?: number;
  /**
   * Connect as the owner of the schema instead of the runtime role: for migrations and for
   * administrators' maintenance only, never for serving requests.
   */
  owner?: boolean;
}

export interface Database {
  readonly kind: 'postgres' | 'embedded';
  /** Connections acting as the runtime role. */
  readonly knex: Knex;
  close(): Promise<void>;
}

// int8 and numeric counts come back as JavaScript numbers; ids stay well below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openServer(options.url, options) : openEmbedded(options);
}

async function openServer(url: string, options: DatabaseOptions): Promise<Database> {
  if (options.migrate !== false) {
    const owner = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
    try {
      await owner.migrate.latest({ migrationSource });
    } finally {
      await owner.destroy();
    }
  }
  const knex = knexFactory({
    client: 'pg',
    connection: url,
    pool: {
      min: 0,
      max: options.poolSize ?? 10,
      afterCreate(conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) {
        if (options.owner) done(null, conn);
        else conn.query(`SET ROLE ${RUNTIME_ROLE}`, (err) => done(err, conn));
      },
    },
  });
  return { kind: 'postgres', knex, close: () => knex.destroy() };
}

async function openEmbedded(options: DatabaseOptions): Promise<Database> {
  const [{ PGlite }, { default: ClientPgLite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('knex-pglite'),
  ]);
  const dataDir = options.dataDir ?? './data';
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const pglite = new PGlite(dataDir);
  const knex = knexFactory({
    client: ClientPgLite as unknown as typeof knexFactory.Client,
    connection: { pglite } as Knex.StaticConnectionConfig,
  });
  if (options.migrate !== false) await knex.migrate.latest({ migrationSource });
  // PGlite is one session: assuming the role here makes every later statement run as it.
  if (!options.owner) await knex.raw(`SET ROLE ${RUNTIME_ROLE}`);
  return {
    kind: 'embedded',
    knex,
    // Destroying knex-pglite's pool closes the PGlite instance too.
    close: () => knex.destroy(),
  };
}

/** Rolls the schema back and forth as the owner; used by `attest migrate` and the migration test. */
export async function migrateOwner(knex: Knex, direction: 'latest' | 'rollback-all'): Promise<string[]> {
  if (direction === 'latest') {
    const [, names] = (await knex.migrate.latest({ migrationSource })) as [number, string[]];
    return names;
  }
  const [, names] = (await knex.migrate.rollback({ migrationSource }, true)) as [number, string[]];
  return names;
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23505';
}
