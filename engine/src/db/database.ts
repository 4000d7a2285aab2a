import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  /** Answers whether the database takes queries now. */
  ping(): Promise<boolean>;
  /**
   * Calls `onNotify` for every notification on `channel` (NOTIFY, sent when the transaction that
   * sent it commits, from any process on a server); resolves, once listening, to what stops it.
   * On a server a lost listening connection is opened again, and `onNotify` is called once it is,
   * since what was sent meanwhile is lost. Closing the database stops every listener.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
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
  const listeners = new Set<() => Promise<void>>();
  return {
    kind: 'postgres',
    knex,
    ping: () => ping(knex),
    listen: async (channel, onNotify) => {
      const stop = await listenOnServer(url, checkedChannel(channel), onNotify);
      const remove = async () => {
        listeners.delete(remove);
        await stop();
      };
      listeners.add(remove);
      return remove;
    },
    close: async () => {
      await Promise.all([...listeners].map((stop) => stop()));
      await knex.destroy();
    },
  };
}

/** How long a lost listening connection waits before it is opened again. */
const RELISTEN_MS = 1000;

/**
 * A connection of its own that listens on `channel` (a pooled one would be handed to others).
 * The first connection must succeed; one lost later is opened again every second until it is.
 */
async function listenOnServer(
  url: string,
  channel: string,
  onNotify: () => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    c.on('notification', (message) => {
      if (message.channel === channel) onNotify();
    });
    // A broken connection ends too: 'end' opens it again.
    c.on('error', () => undefined);
    c.on('end', () => {
      if (client !== c || stopped) return;
      client = null;
      again();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch (error) {
      await c.end().catch(() => undefined);
      throw error;
    }
    if (stopped) await c.end();
    else client = c;
  };
  const again = () => {
    retry = setTimeout(() => {
      connect().then(
        () => {
          if (!stopped) onNotify();
        },
        () => {
          if (!stopped) again();
        },
      );
    }, RELISTEN_MS);
    retry.unref();
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    const c = client;
    client = null;
    await c?.end();
  };
}

/** Channels are the engine's own names; anything else is a programming error, never SQL. */
function checkedChannel(channel: string): string {
  if (!/^[a-z_]+$/.test(channel)) throw new Error(`Not a channel name: ${channel}`);
  return channel;
}

async function openEmbedded(options: DatabaseOptions): Promise<Database> {
  const [{ PGlite }, { default: ClientPgLite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('knex-pglite'),
  ]);
  const dataDir = options.dataDir ?? './data';
  const unlock = dataDir.startsWith('memory://') ? () => {} : lockDataDir(dataDir);
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
    ping: () => ping(knex),
    listen: async (channel, onNotify) => {
      // Through knex, so that it waits for the transaction in flight rather than joining it.
      await knex.raw(`LISTEN ${checkedChannel(channel)}`);
      const stop = pglite.onNotification((name) => {
        if (name === channel) onNotify();
      });
      return async () => stop();
    },
    close: async () => {
      // Destroying knex-pglite's pool closes the PGlite instance too.
      await knex.destroy();
      unlock();
    },
  };
}

/**
 * The embedded database serves one process: a second one opening the same folder would corrupt
 * it, so the folder is locked with the owner's pid (a lock left by a dead process is taken over).
 */
function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'attest.lock');
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch {
    const pid = Number(readFileSync(file, 'utf8'));
    if (pid && pid !== process.pid && processIsAlive(pid)) {
      throw new Error(
        `The embedded database in ${dataDir} is in use by process ${pid}; stop that process first`,
      );
    }
    writeFileSync(file, String(process.pid));
  }
  return () => rmSync(file, { force: true });
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
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

interface RawConnection {
  query(
    config: { name: string; text: string; values: unknown[] } | string,
    values?: unknown[],
  ): Promise<{ rows: unknown[] }>;
}

/**
 * Runs a statement on the connection knex holds (the transaction's own, or one from the pool) as a
 * named prepared statement, so the server parses and plans it once per connection. For the
 * statements on the hottest paths only; everything else goes through knex.
 */
export async function preparedQuery<Row>(
  db: Knex | Knex.Transaction,
  name: string,
  text: string,
  values: unknown[],
): Promise<Row[]> {
  const client = db.client as {
    acquireConnection(): Promise<RawConnection>;
    releaseConnection(c: RawConnection): Promise<void>;
  };
  const connection = await client.acquireConnection();
  try {
    // PGlite is the connection itself and prepares per call; node-postgres caches by name.
    const result =
      'waitReady' in connection
        ? await connection.query(text, values)
        : await connection.query({ name, text, values });
    return result.rows as Row[];
  } finally {
    await client.releaseConnection(connection);
  }
}

/** Migrations this code has that the database lacks, and those the database has that this code does not know. */
export async function schemaStatus(knex: Knex): Promise<{ pending: string[]; unknown: string[] }> {
  const known = await migrationSource.getMigrations([]);
  const applied = ((await knex('knex_migrations').select('name')) as { name: string }[]).map((r) => r.name);
  return {
    pending: known.filter((name) => !applied.includes(name)),
    unknown: applied.filter((name) => !known.includes(name)),
  };
}

async function ping(knex: Knex): Promise<boolean> {
  try {
    await knex.raw('SELECT 1');
    return true;
  } catch {
    return false;
  }
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23505';
}
