import type { Engine } from '@attest/engine';
import { auditQuery, auditReply, auditResponses, readTrail } from '../auditExport.ts';
import { listOf, ref } from '../components.ts';
import { json, ok, operation } from '../operation.ts';
import { LIMITS, name as named, object, password, requiredText, text } from '../schema.ts';

const name = named(
  '^(@[a-z0-9-~][a-z0-9-._~]*/)?[a-z0-9-~][a-z0-9-._~]*$',
  214,
  'The plugin’s npm package name, e.g. @attest/scale-mtsics (a scoped name URL-encoded)',
);

/** The plugin registry (G2): list, enable and disable, each change an administrator's signature. */
export function pluginOperations(engine: Engine) {
  return [
    operation({
      id: 'listPlugins',
      method: 'get',
      path: '/api/plugins',
      tag: 'plugins',
      summary: 'The plugins found, with version, hash and whether they are enabled and loaded (G2)',
      description: 'Needs the permission config.manage.',
      access: 'session',
      responses: { 200: json('The plugins by name', listOf('plugins', 'Plugin', 'Plugins by name')) },
      handle: async ({ principal }) => ok({ plugins: await engine.plugins.list(principal) }),
    }),
    operation({
      id: 'enablePlugin',
      method: 'post',
      path: '/api/plugins/{plugin}/enable',
      tag: 'plugins',
      summary: 'Enable a plugin as it is now: an administrator’s e-signed act over its version and hash (G2)',
      description:
        'Needs config.manage and the password again. Only this version and SHA-256 are loaded; a plugin ' +
        'whose package changes afterwards is refused at start, audited, until it is enabled again. ' +
        'It is loaded at the next start of the runtime.',
      access: 'session',
      params: object({ plugin: name }, ['plugin']),
      body: object(
        {
          password: password('The administrator’s own password, typed again (B1)'),
          reason: text(LIMITS.reason, 'Why, e.g. the validation it passed'),
        },
        ['password'],
      ),
      responses: { 200: json('The plugin as it now is', ref('Plugin')) },
      problems: [404, 409, 423],
      handle: async ({ principal, params, body }) =>
        ok(await engine.plugins.enable(principal, params.plugin, body)),
    }),
    operation({
      id: 'disablePlugin',
      method: 'post',
      path: '/api/plugins/{plugin}/disable',
      tag: 'plugins',
      summary: 'Disable a plugin: an administrator’s e-signed act with a reason',
      description:
        'Needs config.manage and the password again; the plugin is not loaded from the next start.',
      access: 'session',
      params: object({ plugin: name }, ['plugin']),
      body: object(
        {
          password: password('The administrator’s own password, typed again (B1)'),
          reason: requiredText(LIMITS.reason, 'Why it is disabled'),
        },
        ['password', 'reason'],
      ),
      responses: { 200: json('The plugin as it now is', ref('Plugin')) },
      problems: [404, 409, 423],
      handle: async ({ principal, params, body }) =>
        ok(await engine.plugins.disable(principal, params.plugin, body)),
    }),
    operation({
      id: 'pluginAuditTrail',
      method: 'get',
      path: '/api/plugins/{plugin}/audit',
      tag: 'plugins',
      summary: 'The audit trail of a plugin: found, changed, refused, enabled, disabled, loaded (C4, G2)',
      description: 'Needs config.manage and audit.read.',
      access: 'session',
      params: object({ plugin: name }, ['plugin']),
      query: auditQuery,
      responses: auditResponses,
      handle: async ({ principal, params, query }) => {
        const subject = async () => (await engine.plugins.get(principal, params.plugin)).id;
        return auditReply(await readTrail(engine, principal, subject, query), query.format, params.plugin);
      },
    }),
  ];
}
