import { t } from '@attest/task-form/i18n';
import { useRef, useState } from 'preact/hooks';
import { Problem } from '../../../api.ts';
import { api } from '../../../api/client.ts';
import { useSerialReload } from '../../../app/hooks.ts';
import { formatInstant } from '../../../time.ts';
import { Table } from '../../../ui/Table.tsx';
import { mountPage } from '../../../app/page.tsx';
import { type Me } from '../../../app/me.ts';
import { Notice, type NoticeState } from '../../../ui/Message.tsx';
import { problemText } from '../../../ui/problem.ts';
import { PageHead } from '../common.tsx';
import {
  compareVersions,
  STATUS_KEYS,
  StatusBadge,
  templateStatusLabel,
  versionHref,
  type TemplateStatus,
  type TemplateVersion,
} from './lifecycle.tsx';

export async function loadTemplates(status: TemplateStatus | '' = ''): Promise<TemplateVersion[]> {
  return (await api.get('/api/templates', { query: { status: status || undefined } })).templates;
}

/**
 * Shows the page once its data is in, so a failure to load reaches the app's error handling. The
 * route loads this module when the page is first opened and calls this, its default export.
 */
export default async function showTemplates(container: HTMLElement, me: Me): Promise<void> {
  mountPage(container, <TemplatesPage me={me} initial={await loadTemplates()} />);
}

/**
 * Templates and their versions with where each is in its lifecycle (D1), and the import of a
 * package as a new draft version for those who author templates.
 */
export function TemplatesPage(props: { me: Me; initial: TemplateVersion[] }) {
  const [versions, setVersions] = useState(props.initial);
  const status = useRef<TemplateStatus | ''>('');
  const reload = useSerialReload(async () => setVersions(await loadTemplates(status.current)));
  return (
    <>
      <PageHead title={t('admin.templates.title')} />
      <p class="note admin-intro">{t('admin.templates.intro')}</p>
      {props.me.permissions.includes('templates.manage') ? <ImportPanel imported={reload} /> : null}
      <div class="filters admin-filters">
        <label for="template-status">{t('admin.templates.status')}</label>
        <select
          id="template-status"
          aria-label={t('admin.templates.status')}
          onChange={(event) => {
            // The choices are the lifecycle's statuses, or none.
            status.current = event.currentTarget.value as TemplateStatus | '';
            reload();
          }}
        >
          <option value="">{t('admin.templates.anyStatus')}</option>
          {Object.keys(STATUS_KEYS).map((s) => (
            <option key={s} value={s}>
              {templateStatusLabel(s)}
            </option>
          ))}
        </select>
      </div>
      <div id="template-list">
        <TemplateGroups versions={versions} />
      </div>
    </>
  );
}

function TemplateGroups(props: { versions: TemplateVersion[] }) {
  if (props.versions.length === 0) return <p class="empty">{t('admin.templates.empty')}</p>;
  const byTemplate = new Map<string, TemplateVersion[]>();
  for (const v of props.versions) byTemplate.set(v.templateId, [...(byTemplate.get(v.templateId) ?? []), v]);
  return (
    <>
      {[...byTemplate.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([templateId, list]) => {
          list.sort((a, b) => compareVersions(b.version, a.version));
          const newest = list[0]!;
          return (
            <section key={templateId} class="admin-template" data-template={templateId}>
              <h2>
                {newest.title}
                <span class="admin-sub">{templateId}</span>
              </h2>
              <Table
                class="admin-versions"
                rows={list}
                rowKey={(v) => v.version}
                rowProps={(v) => ({ 'data-version': v.version, 'data-status': v.status })}
                columns={[
                  {
                    heading: t('admin.templates.version'),
                    cell: (v) => (
                      <a href={versionHref(v)} class="admin-link">
                        {v.version}
                      </a>
                    ),
                  },
                  { heading: t('admin.templates.versionTitle'), cell: (v) => v.title },
                  { heading: t('admin.templates.status'), cell: (v) => <StatusBadge status={v.status} /> },
                  { heading: t('admin.templates.created'), cell: (v) => formatInstant(v.createdAt) },
                  { heading: t('admin.templates.approved'), cell: (v) => formatInstant(v.approvedAt) },
                  { heading: t('admin.templates.effective'), cell: (v) => formatInstant(v.effectiveAt) },
                ]}
              />
            </section>
          );
        })}
    </>
  );
}

const PACKAGE_FILES = ['manifest.json', 'process.bpmn', 'README.md'];

/** Where a chosen file goes in the package: its path in the version folder. */
function packagePath(file: File): string {
  if (file.webkitRelativePath) return file.webkitRelativePath.split('/').slice(1).join('/');
  if (PACKAGE_FILES.includes(file.name) || !file.name.endsWith('.json')) return file.name;
  return `forms/${file.name}`;
}

const isArchive = (file: File) => /\.(tgz|tar\.gz)$/i.test(file.name);

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

const sizeText = (bytes: number) =>
  bytes < 1024
    ? t('admin.import.bytes', { size: bytes })
    : t('admin.import.kb', { size: Math.ceil(bytes / 1024) });

/** The import of a package (D1, D3): the files of a version folder, or a .tgz of one. */
function ImportPanel(props: { imported(): void }) {
  const form = useRef<HTMLFormElement>(null);
  const files = useRef<HTMLInputElement>(null);
  const folder = useRef<HTMLInputElement>(null);
  const [picked, setPicked] = useState<File[]>([]);
  const [sending, setSending] = useState(false);
  const [notice, setNotice] = useState<NoticeState | null>(null);

  const pick = (input: HTMLInputElement, other: HTMLInputElement | null) => {
    if (other) other.value = '';
    setPicked([...(input.files ?? [])].filter((f) => !f.name.startsWith('.')));
    setNotice(null);
  };

  const submit = async () => {
    if (picked.length === 0) return;
    const archives = picked.filter(isArchive);
    if (archives.length > 0 && picked.length > 1) {
      setNotice({ kind: 'error', content: t('admin.import.oneArchive') });
      return;
    }
    setSending(true);
    try {
      const body =
        archives.length === 1
          ? { tgz: base64(new Uint8Array(await archives[0]!.arrayBuffer())) }
          : {
              files: Object.fromEntries(
                await Promise.all(picked.map(async (f) => [packagePath(f), await f.text()] as const)),
              ),
            };
      const saved = await api.post('/api/templates', { body });
      const what = { template: saved.templateId, version: saved.version };
      setNotice({
        kind: 'success',
        content: [
          t(
            saved.created
              ? 'admin.import.created'
              : saved.revised
                ? 'admin.import.revised'
                : 'admin.import.unchanged',
            what,
          ),
          ' ',
          <a href={versionHref(saved)} id="import-open">
            {t('admin.import.open', what)}
          </a>,
        ],
      });
      form.current?.reset();
      setPicked([]);
      props.imported();
    } catch (error) {
      if (error instanceof Problem && error.errors.length > 0) {
        setNotice({
          kind: 'error',
          content: [
            <strong>{t('admin.import.refused')}</strong>,
            <ul>
              {error.errors.map((e, i) => (
                <li key={i} data-pointer={e.pointer}>
                  {e.pointer ? <code>{e.pointer}</code> : ''}
                  {` ${e.message}`}
                </li>
              ))}
            </ul>,
          ],
        });
      } else {
        setNotice({ kind: 'error', content: problemText(error) });
      }
    } finally {
      setSending(false);
    }
  };

  return (
    <form
      ref={form}
      class="panel admin-import"
      id="template-import"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        submit().catch(reportError);
      }}
    >
      <h2>{t('admin.import.title')}</h2>
      <p>{t('admin.import.intro')}</p>
      <div class="admin-pick">
        <div class="field">
          <label for="import-files">{t('admin.import.files')}</label>
          <input
            ref={files}
            type="file"
            id="import-files"
            multiple
            accept=".json,.bpmn,.md,.tgz,.gz,application/gzip"
            onChange={(event) => pick(event.currentTarget, folder.current)}
          />
        </div>
        <div class="field">
          <label for="import-folder">{t('admin.import.folder')}</label>
          <input
            ref={folder}
            type="file"
            id="import-folder"
            {...{ webkitdirectory: true }}
            onChange={(event) => pick(event.currentTarget, files.current)}
          />
        </div>
      </div>
      <ul class="admin-files" id="import-chosen">
        {picked.map((f, i) => (
          <li key={i}>
            <code>{isArchive(f) ? f.name : packagePath(f)}</code>
            {` · ${sizeText(f.size)}`}
          </li>
        ))}
      </ul>
      <Notice id="import-message" block notice={notice} />
      <div class="admin-form-actions">
        <button type="submit" class="primary" id="import-submit" disabled={sending || picked.length === 0}>
          {t('admin.import.submit')}
        </button>
      </div>
    </form>
  );
}
