import { readFile, stat } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import {
  DEMO_USERS,
  createEngine,
  generateOneTimePassword,
  migrateOwner,
  openDatabase,
  PasswordChangeRequiredError,
  seedDemoUsers,
  type Engine,
  type VerifyReport,
} from '@attest/engine';
import { backup, BackupError, restore, sidecarOf } from './backup.ts';
import {
  ConfigError,
  loadCheckpointKey,
  loadConfig,
  openCheckpointSink,
  type RuntimeConfig,
} from './config.ts';
import { describeDemoPlant, seedDemoMaterials, type DemoPlant } from './demoMaterials.ts';
import { seedDemoTemplates } from './demoTemplates.ts';
import { SHIPPED_TEMPLATES, WORKSPACE_PLUGINS } from './paths.ts';
import { loadPlugins } from './plugins.ts';
import { createDeviceHub } from './devices/hub.ts';
import { startDemoScale } from './demoScale.ts';
import { simulate, SIMULATOR_NAMES, type SimulatorName } from './simulate.ts';

const USAGE = `Usage: attest <command> [options]

Commands:
  start [--demo] [--port N]   migrate, then serve the API (with --demo: seed the demo users and make
                              the shipped templates effective)
  migrate                     bring the database schema up to date
  seed-demo [--demo]          create the built-in roles and the demo users
  create-admin --username U --name "Printed Name"
                              create a first administrator with a one-time password
  unlock --username U --reason "Why"
                              break glass: lift the lockout of U (say the only administrator) when no
                              other administrator can; audited with the operating-system user
  import <path> --user U      import a template package (a version folder or a .tgz) as a draft, as
                              user U; the password is ATTEST_PASSWORD or typed (not shown)
  verify                      recompute every audit-trail hash chain, check the state against it and
                              the chains against the signed checkpoints outside the database
  checkpoint                  sign a checkpoint of the audit trail now (written to the checkpoint sink)
  backup <file>               sign a checkpoint, then dump the database into <file> and its checkpoints
                              into <file>.checkpoints/
  restore <file> [--force]    restore a backup into an empty database (--force: replace this one), then
                              verify it against the checkpoint of the backup
  simulate <scale|opcua|modbus> [--port N]
                              serve a connector's simulated device on the loopback (a free port with
                              --port 0) and print how to register it, until Ctrl-C

The database is the PostgreSQL server at DATABASE_URL, or the embedded one in ATTEST_DATA_DIR (./data).
Checkpoints are signed with the Ed25519 key ATTEST_CHECKPOINT_KEY and written to the directory
ATTEST_CHECKPOINT_DIR, or to the object store with object lock ATTEST_CHECKPOINT_SINK (s3://bucket/prefix).`;

class UsageError extends Error {}

/**
 * The engine on the configured database. `sign`: it takes checkpoints (generating the key at its
 * default place on first use, and refusing an object store without object lock) and verifies
 * against them; `verify`: it verifies against them if there is a key.
 */
async function openEngine(
  config: RuntimeConfig,
  migrate = true,
  checkpoints: 'none' | 'verify' | 'sign' = 'none',
): Promise<Engine> {
  const key =
    checkpoints === 'none' ? null : loadCheckpointKey(config.checkpoint, checkpoints === 'sign').key;
  const sink = key && (await openCheckpointSink(config.checkpoint, checkpoints === 'sign'));
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, migrate });
  return createEngine({
    database,
    settings: config.settings,
    ...(key && sink && { checkpoints: { key, sink } }),
  });
}

function where(config: RuntimeConfig): string {
  return config.databaseUrl
    ? `PostgreSQL server ${new URL(config.databaseUrl).host}`
    : `embedded, in ${config.dataDir}`;
}

function printLogins(demo: boolean): void {
  console.log(
    demo
      ? 'Demo logins (demo mode: the printed passwords need not be changed):'
      : 'Demo logins (each password must be changed at the first login):',
  );
  for (const u of DEMO_USERS) {
    console.log(
      `  ${u.username.padEnd(8)} ${u.password.padEnd(19)} ${u.roles.join(', ').padEnd(10)} ${u.printedName}`,
    );
  }
}

async function start(config: RuntimeConfig, demo: boolean): Promise<void> {
  const logger = pino({ level: config.logLevel });
  const { startServer } = await import('./server.ts');
  const { key, generated } = loadCheckpointKey(config.checkpoint);
  if (!key?.privateKey)
    throw new ConfigError('ATTEST_CHECKPOINT_KEY must be a private key to sign checkpoints');
  const engine = await openEngine(config, true, 'sign');
  const sink = engine.checkpoints!.sink.description;
  if (generated && config.databaseUrl) {
    logger.warn(
      { keyFile: config.checkpoint.keyFile, sink },
      'ATTEST_CHECKPOINT_KEY is not set: generated a checkpoint key here; set ATTEST_CHECKPOINT_KEY and the sink so that every runtime shares one key and one sink, kept away from the database',
    );
  }
  let plant: DemoPlant | null = null;
  if (demo) {
    await seedDemoUsers(engine.identity, { demo: true });
    await seedDemoTemplates(engine, SHIPPED_TEMPLATES);
    plant = await seedDemoMaterials(engine, SHIPPED_TEMPLATES);
  }
  const roots = [
    { dir: WORKSPACE_PLUGINS, source: 'workspace' as const },
    ...(config.pluginDir ? [{ dir: config.pluginDir, source: 'folder' as const }] : []),
  ];
  // The demo's scale is enabled and registered before the plugins load, so it is read at once.
  const scale = demo ? await startDemoScale(engine, roots, logger) : null;
  const { connectors } = await loadPlugins(engine, roots, logger);
  const server = await startServer({
    engine,
    port: config.port,
    host: config.host,
    jwtSecret: config.jwtSecret,
    logger,
    trustProxy: config.trustProxy,
    metricsToken: config.metricsToken,
    checkpointIntervalMs: config.checkpoint.intervalMs,
    devices: createDeviceHub(engine, connectors, logger),
  });
  console.log(
    `Attest is running at ${server.url}  (health: ${server.url}/api/health, ready: ${server.url}/api/ready)`,
  );
  console.log(`Database: ${where(config)}`);
  console.log(
    `Audit checkpoints: every ${config.checkpoint.intervalMs / 1000} s into ${sink}, key ${config.checkpoint.keyFile}`,
  );
  if (config.jwtSecretSource === 'generated for this process') {
    console.log('ATTEST_JWT_SECRET is not set: tokens are valid for this process only.');
  }
  if (config.settings.development) {
    console.log('DEVELOPMENT MODE: processes may be deployed and started outside the template lifecycle.');
  }
  if (demo) printLogins(true);
  if (plant) console.log(describeDemoPlant(plant));
  if (scale)
    console.log(
      `Demo scale ${scale.code}: a simulated MT-SICS scale on 127.0.0.1:${scale.port} with 80.020 kg on its pan; ` +
        'take its weight with "Take reading" in a batch record’s dispensing step.',
    );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new requests or jobs, finishing the ones in flight');
    try {
      await server.close();
      await scale?.stop();
      await engine.close();
      logger.info('shut down');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutting down failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/** Reads a password from the terminal without showing it; Ctrl-C cancels. */
function promptHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  return new Promise((done, fail) => {
    let typed = '';
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error) fail(error);
      else done(typed);
    };
    const onData = (chunk: string) => {
      for (const c of chunk) {
        if (c === '\r' || c === '\n' || c === '\u0004') return finish();
        if (c === '\u0003') return finish(new Error('cancelled'));
        if (c === '\u007f' || c === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += c;
      }
    };
    process.stderr.write(prompt);
    input.setEncoding('utf8');
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
  });
}

/** The password of the person the CLI acts for: ATTEST_PASSWORD, else typed at the terminal. */
async function passwordFor(username: string): Promise<string> {
  const fromEnv = process.env.ATTEST_PASSWORD;
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) {
    throw new UsageError('set ATTEST_PASSWORD, or run in a terminal to type the password');
  }
  return promptHidden(`Password for ${username}: `);
}

/** Imports a template package as a person, in a session of its own that ends when it is done. */
async function importTemplate(config: RuntimeConfig, path: string, username: string): Promise<string> {
  const where = resolve(process.env.INIT_CWD ?? process.cwd(), path);
  const found = await stat(where).catch(() => null);
  if (!found) throw new Error(`there is no folder or .tgz at ${where}`);
  const password = await passwordFor(username);
  const engine = await openEngine(config);
  try {
    const { sessionId } = await engine.identity.login({ username, password, client: 'attest import' });
    const principal = await engine.identity.authenticate(sessionId, { allowPasswordChange: true });
    try {
      if (principal.mustChangePassword) throw new PasswordChangeRequiredError();
      const source = found.isDirectory() ? { dir: where } : { tgz: await readFile(where) };
      const saved = await engine.templates.import(principal, source);
      const state = `(${saved.status.replace('_', ' ')}, sha256 ${saved.contentHash})`;
      const outcome = saved.created ? '' : saved.revised ? ' revised' : ' unchanged';
      return `Imported ${saved.templateId} ${saved.version} ${state}${outcome}`;
    } finally {
      await engine.identity.logout(principal);
    }
  } finally {
    await engine.close();
  }
}

function printReport(report: VerifyReport): void {
  const rate = `${report.eventsPerSecond.toLocaleString('en')} events/s`;
  console.log(
    `Checked ${report.events} events in ${report.records} chains in ${report.seconds.toFixed(2)} s (${rate}).`,
  );
  // Rows written before their events carried digests: the trail cannot prove them either way.
  for (const u of report.unattested) console.log(`NOT ATTESTED: ${u.table} ${u.id}: ${u.problem}`);
  printCheckpoints(report.checkpoints);
  if (report.ok) {
    console.log('OK: every hash chain is intact and the current state matches the audit trail.');
    return;
  }
  const first = report.breaks[0];
  if (first)
    console.log(`BROKEN: ${first.recordType} ${first.recordId} at seq ${first.seq}: ${first.problem}`);
  for (const b of report.breaks.slice(1))
    console.log(`  also: ${b.recordType} ${b.recordId} at seq ${b.seq}: ${b.problem}`);
  for (const m of report.mismatches) console.log(`MISMATCH: ${m.table} ${m.id}: ${m.problem}`);
  for (const p of report.checkpoints?.problems ?? []) {
    console.log(
      p.where === 'checkpoint'
        ? `CHECKPOINT ${p.id}: ${p.problem}`
        : `TAMPERED: ${p.where} ${p.id}: ${p.problem}`,
    );
  }
}

function age(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return seconds < 172_800 ? `${Math.round(seconds / 3600)} h` : `${Math.round(seconds / 86_400)} days`;
}

function printCheckpoints(c: VerifyReport['checkpoints']): void {
  if (!c) return;
  if (!c.latest) {
    console.log(
      `No signed checkpoint in ${c.sink} yet: take one with "attest checkpoint" (the runtime takes them on its own).`,
    );
  } else {
    const restored = c.latest.kind === 'restored' ? ' (the restore of a backup)' : '';
    console.log(
      `Checked against checkpoint #${c.latest.seq}${restored} of ${c.sink}, signed ${c.latest.at} (${age(c.latest.ageSeconds)} ago) with key ${c.keyId.slice(0, 16)}; ${c.read} checkpoints read.`,
    );
  }
  if (c.latest && c.uncovered.events > 0) {
    console.log(
      `${c.uncovered.events} events in ${c.uncovered.chains} chains were written after it: the hash chains alone vouch for them until the next checkpoint.`,
    );
  }
  for (const s of c.superseded) {
    const which =
      s.from === s.to ? `Checkpoint #${s.from} describes` : `Checkpoints #${s.from} to #${s.to} describe`;
    console.log(`${which} data written after the backup restored at ${s.restoredAt}: that data is gone.`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      demo: { type: 'boolean', default: false },
      port: { type: 'string' },
      username: { type: 'string' },
      name: { type: 'string' },
      user: { type: 'string' },
      force: { type: 'boolean', default: false },
      reason: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const positional = ['import', 'backup', 'restore', 'simulate'].includes(command) ? 1 : 0;
  if (rest.length > positional) throw new UsageError(`unexpected argument "${rest[positional]}"`);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new UsageError(`--port must be a whole number from 0 to 65535, not "${values.port}"`);
  }
  const config = loadConfig(process.env, port === undefined ? {} : { port });

  switch (command) {
    case 'start':
      await start(config, values.demo);
      return -1;
    case 'migrate': {
      const db = await openDatabase({
        url: config.databaseUrl,
        dataDir: config.dataDir,
        owner: true,
        migrate: false,
      });
      try {
        const applied = await migrateOwner(db.knex, 'latest');
        console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The schema is up to date.');
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'seed-demo': {
      const engine = await openEngine(config);
      try {
        const created = await seedDemoUsers(engine.identity, { demo: values.demo });
        console.log(
          created.length ? `Created ${created.length} demo users.` : 'The demo users exist already.',
        );
        printLogins(values.demo);
      } finally {
        await engine.close();
      }
      return 0;
    }
    case 'create-admin': {
      if (!values.username || !values.name) throw new UsageError('create-admin needs --username and --name');
      const engine = await openEngine(config);
      try {
        const password = generateOneTimePassword();
        const user = await engine.identity.bootstrapUser({
          username: values.username,
          printedName: values.name,
          roles: ['admin'],
          password,
          mustChangePassword: true,
        });
        console.log(
          `Created administrator ${user.username}; one-time password: ${password} (must be changed at first login)`,
        );
      } finally {
        await engine.close();
      }
      return 0;
    }
    case 'unlock': {
      if (!values.username || !values.reason) throw new UsageError('unlock needs --username and --reason');
      const engine = await openEngine(config);
      try {
        const user = await engine.identity.breakGlassUnlock({
          username: values.username,
          reason: values.reason,
          osUser: userInfo().username,
          host: hostname(),
        });
        console.log(
          `Unlocked ${user.username}; recorded as break glass by ${userInfo().username}@${hostname()}`,
        );
      } finally {
        await engine.close();
      }
      return 0;
    }
    case 'import': {
      const [path] = rest;
      if (!path || !values.user) throw new UsageError('import needs a path and --user');
      console.log(await importTemplate(config, path, values.user));
      return 0;
    }
    case 'verify': {
      const engine = await openEngine(config, false, 'verify');
      try {
        const report = await engine.verify();
        printReport(report);
        if (engine.checkpoints) return report.ok ? 0 : 1;
        const { keyFile } = config.checkpoint;
        const sink = await openCheckpointSink(config.checkpoint, false);
        const orphans = (await sink.list()).length;
        if (orphans > 0) {
          console.log(
            `CHECKPOINT: ${sink.description} holds ${orphans} checkpoints but there is no key at ${keyFile} to check them`,
          );
          return 1;
        }
        console.log(`No checkpoint key at ${keyFile}: nothing was checked against signed checkpoints.`);
        return report.ok ? 0 : 1;
      } finally {
        await engine.close();
      }
    }
    case 'checkpoint': {
      const engine = await openEngine(config, false, 'sign');
      try {
        const { checkpoint, written } = await engine.checkpoints!.take();
        const what = written ? 'Signed checkpoint' : 'Nothing changed since checkpoint';
        console.log(
          `${what} #${checkpoint.seq} (${checkpoint.counts.events} events in ${checkpoint.counts.chains} chains, ${checkpoint.counts.records} records, root ${checkpoint.root.slice(0, 16)}…) in ${engine.checkpoints!.sink.description}`,
        );
      } finally {
        await engine.close();
      }
      return 0;
    }
    case 'backup': {
      const [file] = rest;
      if (!file) throw new UsageError('backup needs the file to write');
      const target = backupTarget(config);
      const path = resolve(process.env.INIT_CWD ?? process.cwd(), file);
      const manifest = await backup(target, path, () => openEngine(config, false, 'sign'));
      console.log(
        `Backed up the database (${where(config)}) to ${path} (${manifest.dump.bytes} bytes, sha256 ${manifest.dump.sha256}); checkpoints up to #${manifest.checkpoint.seq} in ${sidecarOf(path)}`,
      );
      return 0;
    }
    case 'restore': {
      const [file] = rest;
      if (!file) throw new UsageError('restore needs the backup file');
      const path = resolve(process.env.INIT_CWD ?? process.cwd(), file);
      const target = backupTarget(config);
      const manifest = await restore(
        target,
        path,
        values.force,
        () => openEngine(config, false, 'sign'),
        await openCheckpointSink(config.checkpoint, true),
        loadCheckpointKey(config.checkpoint, false).key,
      );
      console.log(
        `Restored ${path} (taken ${manifest.createdAt}, checkpoint #${manifest.checkpoint.seq}) into the database (${where(config)}); verifying it:`,
      );
      const engine = await openEngine(config, false, 'sign');
      try {
        const report = await engine.verify();
        printReport(report);
        return report.ok ? 0 : 1;
      } finally {
        await engine.close();
      }
    }
    case 'simulate': {
      const [which] = rest;
      if (!which || !SIMULATOR_NAMES.includes(which as SimulatorName))
        throw new UsageError(
          `simulate needs one of ${SIMULATOR_NAMES.join(', ')}${which ? `, not "${which}"` : ''}`,
        );
      await runSimulator(which as SimulatorName, port);
      return -1;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** Serves a simulator until SIGINT or SIGTERM, then stops it and exits. */
async function runSimulator(which: SimulatorName, port: number | undefined): Promise<void> {
  const { simulator } = await simulate(which, port, (line) => console.log(line));
  const stop = () =>
    void simulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function backupTarget(config: RuntimeConfig) {
  return {
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    keyFile: config.checkpoint.keyFile,
    sinkDir: config.checkpoint.sink.kind === 'directory' ? config.checkpoint.sink.dir : undefined,
  };
}

function oneLine(error: unknown): string {
  if (error instanceof UsageError) return `${error.message} (see attest --help)`;
  if (error instanceof ConfigError || error instanceof BackupError) return error.message;
  const e = error as { code?: string; message?: string };
  if (e.code === '42P01') return 'the database has no Attest schema yet; run "attest migrate" first';
  if (e.code === 'ECONNREFUSED') return `cannot reach the database server (${e.message})`;
  if (e.code === '3D000') return `the database does not exist (${e.message})`;
  return (e.message ?? String(error)).split('\n')[0] as string;
}

try {
  const code = await main(process.argv.slice(2));
  if (code >= 0) process.exit(code);
} catch (error) {
  console.error(`attest: ${oneLine(error)}`);
  process.exit(1);
}
