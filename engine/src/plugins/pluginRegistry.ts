import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { appendEvents } from '../audit/auditTrail.ts';
import { SYSTEM_ACTOR, type EventDraft, type Subject } from '../audit/types.ts';
import type { Clock } from '../kernel/clock.ts';
import { ConflictError, NotFoundError } from '../kernel/errors.ts';
import { eventActor, requirePermission, type Principal } from '../kernel/permissions.ts';
import { requireText } from '../kernel/textInput.ts';
import type { Reauthenticate } from '../signatures/signatureService.ts';
import { writeSignature } from '../signatures/signatureWriter.ts';
import { discoverPlugins, type DiscoveredPlugin, type PluginRoot } from './discovery.ts';
import { pluginContent } from './signedContent.ts';

/**
 * Where a plugin stands: its manifest refused (`invalid`), found and not enabled (`disabled`),
 * enabled as it is now (`enabled`), or changed since it was enabled (`changed`: not loaded).
 */
export type PluginState = 'invalid' | 'disabled' | 'enabled' | 'changed';

export interface PluginView {
  /** The subject of its audit trail. */
  id: string;
  name: string;
  version: string;
  sha256: string;
  kind: 'device' | 'handler' | null;
  apiVersion: number | null;
  entry: string | null;
  settingsSchema: Record<string, unknown> | null;
  source: PluginRoot['source'];
  path: string;
  problems: string[];
  discoveredAt: string;
  state: PluginState;
  enabled: {
    version: string;
    sha256: string;
    by: { username: string; printedName: string } | null;
    at: string;
    signatureId: string;
  } | null;
}

/** A plugin that may be loaded: enabled, and its package exactly as it was enabled. */
export interface LoadablePlugin {
  name: string;
  version: string;
  kind: 'device' | 'handler';
  /** The entry module's absolute path. */
  path: string;
  entry: string;
}

export interface PluginRegistry {
  /** Finds the plugins in the roots and records what is new or changed, each in its audit trail. */
  sync(roots: PluginRoot[]): Promise<PluginView[]>;
  list(principal: Principal): Promise<PluginView[]>;
  get(principal: Principal, name: string): Promise<PluginView>;
  /** An administrator's signed act (Approved, with a reason): this version and hash may be loaded (G2). */
  enable(
    principal: Principal,
    name: string,
    input: { password: unknown; reason?: unknown },
  ): Promise<PluginView>;
  /** An administrator's signed act with a reason: the plugin is no longer loaded. */
  disable(
    principal: Principal,
    name: string,
    input: { password: unknown; reason: unknown },
  ): Promise<PluginView>;
  /**
   * The enabled plugins to load now. One whose contents or version changed since it was enabled is
   * refused, and the refusal is audited (`plugin.refused`), each time.
   */
  loadable(): Promise<LoadablePlugin[]>;
  /** Records that a plugin was loaded, or why it failed to load (C4). */
  loaded(name: string, failure?: string): Promise<void>;
}

interface PluginRow {
  id: string;
  name: string;
  version: string;
  sha256: string;
  kind: 'device' | 'handler' | null;
  api_version: number | null;
  entry: string | null;
  settings_schema: Record<string, unknown> | null;
  source: PluginRoot['source'];
  path: string;
  problems: string[];
  discovered_at: Date;
  enabled_version: string | null;
  enabled_sha256: string | null;
  enabled_by: string | null;
  enabled_at: Date | null;
  signature_id: string | null;
}

const subject = (row: { id: string }): Subject => ({ id: row.id, type: 'plugin' });

export function stateOf(
  row: Pick<PluginRow, 'problems' | 'enabled_sha256' | 'enabled_version' | 'sha256' | 'version'>,
): PluginState {
  if (row.problems.length > 0) return 'invalid';
  if (row.enabled_sha256 === null) return 'disabled';
  return row.enabled_sha256 === row.sha256 && row.enabled_version === row.version ? 'enabled' : 'changed';
}

export function createPluginRegistry(deps: {
  knex: Knex;
  clock: Clock;
  reauthenticate: Reauthenticate;
}): PluginRegistry {
  const { knex, clock, reauthenticate } = deps;

  const facts = (p: DiscoveredPlugin) => ({
    version: p.version,
    sha256: p.sha256,
    kind: p.manifest?.kind ?? null,
    api_version: p.manifest?.apiVersion ?? null,
    entry: p.manifest?.entry ?? null,
    settings_schema: p.manifest?.settings ?? null,
    source: p.source,
    path: p.path,
    problems: p.problems,
  });

  async function sync(roots: PluginRoot[]): Promise<PluginView[]> {
    const found = await discoverPlugins(roots);
    await knex.transaction(async (trx) => {
      for (const p of found) {
        const row = (await trx('plugins').where({ name: p.name }).forUpdate().first()) as
          PluginRow | undefined;
        const next = facts(p);
        const payload = {
          name: p.name,
          version: p.version,
          sha256: p.sha256,
          kind: next.kind,
          source: p.source,
          path: p.path,
          problems: p.problems,
        };
        if (!row) {
          const id = randomUUID();
          await trx('plugins').insert({
            id,
            name: p.name,
            ...next,
            settings_schema: json(next.settings_schema),
            problems: JSON.stringify(next.problems),
            discovered_at: clock.now(),
          });
          await appendEvents(trx, clock, { id, type: 'plugin' }, SYSTEM_ACTOR, [
            { type: p.problems.length > 0 ? 'plugin.refused' : 'plugin.discovered', payload },
          ]);
          continue;
        }
        const same =
          row.version === p.version &&
          row.sha256 === p.sha256 &&
          row.path === p.path &&
          JSON.stringify(row.problems) === JSON.stringify(p.problems);
        if (same) continue;
        await trx('plugins')
          .where({ id: row.id })
          .update({
            ...next,
            settings_schema: json(next.settings_schema),
            problems: JSON.stringify(next.problems),
            discovered_at: clock.now(),
          });
        const drafts: EventDraft[] = [
          {
            type: p.problems.length > 0 ? 'plugin.refused' : 'plugin.changed',
            payload: { ...payload, previous: { version: row.version, sha256: row.sha256 } },
          },
        ];
        await appendEvents(trx, clock, subject(row), SYSTEM_ACTOR, drafts);
      }
    });
    return views(knex);
  }

  async function list(principal: Principal): Promise<PluginView[]> {
    requirePermission(principal, 'config.manage');
    return views(knex);
  }

  async function signed(
    principal: Principal,
    name: string,
    input: { password: unknown; reason?: unknown },
    act: 'enable' | 'disable',
  ): Promise<PluginView> {
    requirePermission(principal, 'config.manage');
    const reason =
      act === 'disable' || (input.reason !== undefined && input.reason !== null && input.reason !== '')
        ? requireText(input.reason, '/reason', 1000)
        : null;
    const check = (row: PluginRow | undefined): PluginRow => {
      if (!row) throw new NotFoundError(`There is no plugin ${name}`);
      const state = stateOf(row);
      if (act === 'enable' && state === 'invalid')
        throw new ConflictError(`Plugin ${name} is refused: ${row.problems.join('; ')}`);
      if (act === 'enable' && state === 'enabled')
        throw new ConflictError(`Plugin ${name} ${row.version} is enabled already, as it is now`);
      if (act === 'disable' && row.enabled_sha256 === null)
        throw new ConflictError(`Plugin ${name} is not enabled`);
      return row;
    };
    check(await knex('plugins').where({ name }).first());
    const signer = await reauthenticate(principal, input.password);
    await knex.transaction(async (trx) => {
      const row = check(await trx('plugins').where({ name }).forUpdate().first());
      // The signature covers the plugin as the act leaves it, what is enabled included.
      const enabled = {
        enabled_version: act === 'enable' ? row.version : null,
        enabled_sha256: act === 'enable' ? row.sha256 : null,
      };
      const signature = await writeSignature(
        trx,
        clock,
        subject(row),
        await pluginContent(trx, { ...row, ...enabled }),
        { userId: signer.id, username: signer.username, printedName: signer.printed_name },
        'Approved',
        reason,
      );
      const [event] = await appendEvents(trx, clock, subject(row), eventActor(principal), [
        {
          type: act === 'enable' ? 'plugin.enabled' : 'plugin.disabled',
          payload: { name: row.name, version: row.version, sha256: row.sha256, signatureId: signature.id },
          reason,
        },
      ]);
      await trx('plugins')
        .where({ id: row.id })
        .update({
          ...enabled,
          enabled_by: act === 'enable' ? signer.id : null,
          enabled_at: act === 'enable' ? event!.at : null,
          signature_id: act === 'enable' ? signature.id : null,
        });
    });
    return (await views(knex)).find((v) => v.name === name)!;
  }

  async function loadable(): Promise<LoadablePlugin[]> {
    const rows = (await knex('plugins').whereNotNull('enabled_sha256').orderBy('name')) as PluginRow[];
    const ready: LoadablePlugin[] = [];
    for (const row of rows) {
      if (stateOf(row) === 'enabled') {
        ready.push({
          name: row.name,
          version: row.version,
          kind: row.kind!,
          path: row.path,
          entry: row.entry!,
        });
        continue;
      }
      const reason =
        row.problems.length > 0
          ? `its manifest is refused: ${row.problems.join('; ')}`
          : `its package changed since it was enabled (${row.enabled_version}, ${row.enabled_sha256}; now ${row.version}, ${row.sha256}): it must be enabled again`;
      await appendEvents(knex, clock, subject(row), SYSTEM_ACTOR, [
        {
          type: 'plugin.refused',
          payload: { name: row.name, version: row.version, sha256: row.sha256, reason },
        },
      ]);
    }
    return ready;
  }

  async function loaded(name: string, failure?: string): Promise<void> {
    const row = (await knex('plugins').where({ name }).first()) as PluginRow | undefined;
    if (!row) throw new NotFoundError(`There is no plugin ${name}`);
    await appendEvents(knex, clock, subject(row), SYSTEM_ACTOR, [
      {
        type: failure === undefined ? 'plugin.loaded' : 'plugin.load_failed',
        payload: {
          name,
          version: row.version,
          sha256: row.sha256,
          ...(failure !== undefined && { failure }),
        },
      },
    ]);
  }

  async function get(principal: Principal, name: string): Promise<PluginView> {
    const found = (await list(principal)).find((p) => p.name === name);
    if (!found) throw new NotFoundError(`There is no plugin ${name}`);
    return found;
  }

  return {
    sync,
    list,
    get,
    enable: (principal, name, input) => signed(principal, name, input, 'enable'),
    disable: (principal, name, input) => signed(principal, name, input, 'disable'),
    loadable,
    loaded,
  };
}

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

async function views(db: Knex): Promise<PluginView[]> {
  const rows = (await db('plugins as p')
    .leftJoin('users as u', 'u.id', 'p.enabled_by')
    .orderBy('p.name')
    .select('p.*', 'u.username as enabled_username', 'u.printed_name as enabled_name')) as (PluginRow & {
    enabled_username: string | null;
    enabled_name: string | null;
  })[];
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    version: r.version,
    sha256: r.sha256,
    kind: r.kind,
    apiVersion: r.api_version,
    entry: r.entry,
    settingsSchema: r.settings_schema,
    source: r.source,
    path: r.path,
    problems: r.problems,
    discoveredAt: r.discovered_at.toISOString(),
    state: stateOf(r),
    enabled:
      r.enabled_sha256 === null
        ? null
        : {
            version: r.enabled_version!,
            sha256: r.enabled_sha256,
            by: r.enabled_username ? { username: r.enabled_username, printedName: r.enabled_name! } : null,
            at: r.enabled_at!.toISOString(),
            signatureId: r.signature_id!,
          },
  }));
}
