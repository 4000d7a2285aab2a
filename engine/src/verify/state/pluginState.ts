import type { Knex } from 'knex';
import { chainsOf, firstDifference, iso, type Findings } from './findings.ts';

/**
 * Plugins against their audit trails (G2): what was found (version, hash) and what a signed act
 * enabled, by whom, when, with which signature. A plugin enabled in the table without its signed
 * `plugin.enabled`, or with another hash than the one signed, is a difference.
 */
export async function checkPlugins(knex: Knex, findings: Findings): Promise<void> {
  const chains = await chainsOf(knex, ['plugin'], null, 'plugins');
  for (const row of await knex('plugins').select('*').orderBy('id')) {
    const replayed = {
      name: null as unknown,
      version: null as unknown,
      sha256: null as unknown,
      enabled_version: null as unknown,
      enabled_sha256: null as unknown,
      enabled_by: null as string | null,
      enabled_at: null as string | null,
      signature_id: null as unknown,
    };
    for (const e of chains.get(row.id) ?? []) {
      const p = e.payload;
      if (
        ['plugin.discovered', 'plugin.changed'].includes(e.type) ||
        (e.type === 'plugin.refused' && p.path)
      ) {
        Object.assign(replayed, { name: p.name, version: p.version, sha256: p.sha256 });
      } else if (e.type === 'plugin.enabled') {
        Object.assign(replayed, {
          enabled_version: p.version,
          enabled_sha256: p.sha256,
          enabled_by: e.actorId,
          enabled_at: e.at,
          signature_id: p.signatureId,
        });
      } else if (e.type === 'plugin.disabled') {
        Object.assign(replayed, {
          enabled_version: null,
          enabled_sha256: null,
          enabled_by: null,
          enabled_at: null,
          signature_id: null,
        });
      }
    }
    const column = firstDifference([
      ['name', row.name, replayed.name],
      ['version', row.version, replayed.version],
      ['sha256', row.sha256, replayed.sha256],
      ['enabled_version', row.enabled_version, replayed.enabled_version],
      ['enabled_sha256', row.enabled_sha256, replayed.enabled_sha256],
      ['enabled_by', row.enabled_by, replayed.enabled_by],
      ['enabled_at', iso(row.enabled_at), replayed.enabled_at],
      ['signature_id', row.signature_id, replayed.signature_id],
    ]);
    if (column) findings.differs('plugins', row.id, `${row.name}: ${column} differs from its audit trail`);
  }
}
