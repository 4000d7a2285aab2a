import { t, type MessageKey } from '@attest/task-form/i18n';
import { useState } from 'preact/hooks';
import { api, type Schemas } from '../../../api/client.ts';
import { mountPage } from '../../../app/page.tsx';
import { type Me } from '../../../app/me.ts';
import { formatInstant } from '../../../time.ts';
import { Notice, type NoticeState } from '../../../ui/Message.tsx';
import { useDialog } from '../../../ui/ModalForm.tsx';
import { problemText } from '../../../ui/problem.ts';
import { SignatureDialog, type SignatureInput } from '../../../ui/SignatureDialog.tsx';
import { Table } from '../../../ui/Table.tsx';
import { PageHead, signedAct } from '../common.tsx';
import { SubjectTrail } from '../SubjectTrail.tsx';

type Plugin = Schemas['Plugin'];
type AuditEvent = Schemas['AuditEvent'];

/** Whether an enabled plugin was loaded since it was enabled, as its trail tells. */
type Load = { kind: 'loaded' | 'pending'; at: string } | { kind: 'failed'; at: string; error: string };

export interface PluginsData {
  plugins: Plugin[];
  /** By plugin name, for the enabled ones whose trail could be read. */
  loads: Map<string, Load>;
}

const trailOf = async (name: string): Promise<AuditEvent[]> =>
  (await api.get('/api/plugins/{plugin}/audit', { path: { plugin: name } })).events;

/** The last of enabling, loading or failing to load in a plugin's trail. */
function loadOf(events: AuditEvent[]): Load | undefined {
  const last = [...events]
    .reverse()
    .find((e) => ['plugin.enabled', 'plugin.loaded', 'plugin.load_failed'].includes(e.type));
  if (!last) return undefined;
  if (last.type === 'plugin.load_failed')
    return { kind: 'failed', at: last.at, error: String(last.payload.failure ?? '') };
  return { kind: last.type === 'plugin.loaded' ? 'loaded' : 'pending', at: last.at };
}

export async function loadPluginsPage(): Promise<PluginsData> {
  const { plugins } = await api.get('/api/plugins');
  const loads = new Map<string, Load>();
  await Promise.all(
    plugins
      .filter((p) => p.state === 'enabled')
      .map(async (p) => {
        try {
          const load = loadOf(await trailOf(p.name));
          if (load) loads.set(p.name, load);
        } catch {
          // Without the authority to read audit trails the page shows the state alone.
        }
      }),
  );
  return { plugins, loads };
}

/**
 * Shows the page once its data is in, so a failure to load reaches the app's error handling. The
 * route loads this module when the page is first opened and calls this, its default export.
 */
export default async function showPlugins(container: HTMLElement, me: Me): Promise<void> {
  mountPage(container, <PluginsPage me={me} initial={await loadPluginsPage()} />);
}

const STATE_KEYS: Record<Plugin['state'], MessageKey> = {
  enabled: 'admin.plugins.state.enabled',
  disabled: 'admin.plugins.state.disabled',
  changed: 'admin.plugins.state.changed',
  invalid: 'admin.plugins.state.invalid',
};
const STATE_TONES: Record<Plugin['state'], string> = {
  enabled: 'admin-ok',
  disabled: 'admin-muted',
  changed: 'danger',
  invalid: 'danger',
};
const KIND_KEYS: Record<'device' | 'handler', MessageKey> = {
  device: 'admin.plugins.kind.device',
  handler: 'admin.plugins.kind.handler',
};

const short = (hash: string) => `${hash.slice(0, 12)}…`;

/** A SHA-256, shortened, shown in full on request and copied where the browser allows it. */
function Hash(props: { hash: string }) {
  const [full, setFull] = useState(false);
  const [copied, setCopied] = useState(false);
  const clipboard = globalThis.navigator?.clipboard;
  return (
    <div class="admin-hash-cell">
      <code class="admin-hash" data-hash={props.hash} title={props.hash}>
        {full ? props.hash : short(props.hash)}
      </code>
      <div class="admin-row-actions">
        <button type="button" data-action="hash" aria-expanded={full} onClick={() => setFull(!full)}>
          {t(full ? 'admin.plugins.hashShort' : 'admin.plugins.hashFull')}
        </button>
        {clipboard ? (
          <button
            type="button"
            data-action="copy"
            onClick={() => {
              clipboard.writeText(props.hash).then(
                () => setCopied(true),
                () => setFull(true),
              );
            }}
          >
            {t(copied ? 'admin.plugins.copied' : 'admin.plugins.copy')}
          </button>
        ) : null}
      </div>
    </div>
  );
}

function StateCell(props: { plugin: Plugin; load: Load | undefined }) {
  const { plugin: p, load } = props;
  return (
    <>
      <span class={`badge ${STATE_TONES[p.state]}`} data-state={p.state}>
        {t(STATE_KEYS[p.state])}
      </span>
      {p.enabled && p.state === 'enabled' ? (
        <span class="admin-sub">
          {t('admin.plugins.enabledBy', {
            version: p.enabled.version,
            name: p.enabled.by ? `${p.enabled.by.printedName} (${p.enabled.by.username})` : '—',
            at: formatInstant(p.enabled.at),
          })}
        </span>
      ) : null}
      {p.enabled && p.state === 'changed' ? (
        <span class="admin-sub">
          {t('admin.plugins.changedFrom', { version: p.enabled.version, hash: short(p.enabled.sha256) })}
        </span>
      ) : null}
      {p.problems.map((problem, i) => (
        <span key={i} class="admin-sub field-error" data-problem>
          {problem}
        </span>
      ))}
      {load?.kind === 'failed' ? (
        <span class="admin-sub field-error" data-load="failed">
          {t('admin.plugins.loadFailed', { at: formatInstant(load.at), error: load.error })}
        </span>
      ) : load?.kind === 'loaded' ? (
        <span class="admin-sub" data-load="loaded">
          {t('admin.plugins.loaded', { at: formatInstant(load.at) })}
        </span>
      ) : load?.kind === 'pending' ? (
        <span class="admin-sub" data-load="pending">
          {t('admin.plugins.loadsNext')}
        </span>
      ) : null}
    </>
  );
}

/**
 * The plugins found on the server (G2): what each is, its hash, whether it is enabled as it is now,
 * refused or failed to load; enabling and disabling, each an administrator's signed act; its trail.
 */
export function PluginsPage(props: { me: Me; initial: PluginsData }) {
  const { me } = props;
  const [data, setData] = useState(props.initial);
  const [notice, setNotice] = useState<NoticeState | null>(null);
  const [trail, setTrail] = useState<string | null>(null);
  // Each act reads the open trail again.
  const [acts, setActs] = useState(0);
  const [dialog, open] = useDialog();

  const sign = async (p: Plugin, act: 'enable' | 'disable') => {
    setNotice(null);
    const enabling = act === 'enable';
    const path = { plugin: p.name };
    const sent = signedAct(async (signature: SignatureInput) => {
      if (enabling) await api.post('/api/plugins/{plugin}/enable', { path, body: signature });
      else
        await api.post('/api/plugins/{plugin}/disable', {
          path,
          // The dialog asks the reason before it sends.
          body: { password: signature.password, reason: signature.reason ?? '' },
        });
    });
    const done = await open((close) => (
      <SignatureDialog
        id={enabling ? 'enable-dialog' : 'disable-dialog'}
        title={t(enabling ? 'admin.plugins.enableTitle' : 'admin.plugins.disableTitle', { name: p.name })}
        act={
          enabling
            ? t('admin.plugins.enableAct', { name: p.name, version: p.version, hash: p.sha256 })
            : t('admin.plugins.disableAct', { name: p.name })
        }
        meaning="Approved"
        wording="admin"
        signer={me.user}
        reason={enabling ? 'optional' : 'required'}
        {...(enabling ? {} : { reasonHint: t('admin.plugins.disableHint') })}
        sign={sent.send}
        onClose={close}
      />
    ));
    if (!done) return;
    const refused = sent.refused();
    if (refused) return setNotice({ kind: 'error', content: problemText(refused) });
    setData(await loadPluginsPage());
    setActs((n) => n + 1);
    setNotice({
      kind: 'success',
      content: t(enabling ? 'admin.plugins.enabled' : 'admin.plugins.disabled', {
        name: p.name,
        version: p.version,
      }),
    });
  };

  const { plugins, loads } = data;
  return (
    <>
      <PageHead title={t('admin.plugins.title')} />
      <p class="note admin-intro">{t('admin.plugins.intro')}</p>
      <Notice id="plugin-notice" notice={notice} />
      {plugins.length === 0 ? (
        <p class="empty" id="plugins-empty">
          {t('admin.plugins.empty')}
        </p>
      ) : (
        <Table
          id="plugins"
          rows={plugins}
          rowKey={(p) => p.name}
          rowProps={(p) => ({ 'data-plugin': p.name, 'data-state': p.state })}
          columns={[
            {
              heading: t('admin.plugins.name'),
              cell: (p) => (
                <>
                  <strong class="admin-name">{p.name}</strong>
                  <code class="admin-sub admin-id">{p.path}</code>
                </>
              ),
            },
            { heading: t('admin.plugins.version'), cell: (p) => p.version },
            {
              heading: t('admin.plugins.kind'),
              cell: (p) => t(p.kind ? KIND_KEYS[p.kind] : 'admin.plugins.kind.none'),
            },
            {
              heading: t('admin.plugins.hash'),
              cell: (p) => <Hash hash={p.sha256} />,
            },
            {
              heading: t('admin.plugins.state'),
              class: 'state admin-details',
              cell: (p) => <StateCell plugin={p} load={loads.get(p.name)} />,
            },
            {
              heading: t('admin.plugins.actions'),
              class: 'actions',
              cell: (p) => (
                <div class="admin-row-actions">
                  {p.state === 'disabled' || p.state === 'changed' ? (
                    <button
                      type="button"
                      class="primary"
                      data-action="enable"
                      onClick={() => void sign(p, 'enable').catch(reportError)}
                    >
                      {t(p.state === 'changed' ? 'admin.plugins.enableAgain' : 'admin.plugins.enable')}
                    </button>
                  ) : null}
                  {p.enabled ? (
                    <button
                      type="button"
                      data-action="disable"
                      onClick={() => void sign(p, 'disable').catch(reportError)}
                    >
                      {t('admin.plugins.disable')}
                    </button>
                  ) : null}
                  <button type="button" data-action="trail" onClick={() => setTrail(p.name)}>
                    {t('admin.trail.open')}
                  </button>
                </div>
              ),
            },
          ]}
        />
      )}
      {trail ? (
        <SubjectTrail
          key={`${trail}-${acts}`}
          id="plugin-trail"
          name={trail}
          load={() => trailOf(trail)}
          onClose={() => setTrail(null)}
        />
      ) : null}
      {dialog}
    </>
  );
}
