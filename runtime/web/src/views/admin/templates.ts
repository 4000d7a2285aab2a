import { h, show } from '@attest/task-form/dom';
import { t, type MessageKey } from '@attest/task-form/i18n';
import { Problem, request } from '../../api.ts';
import { formatInstant } from '../../time.ts';
import type { Me } from '../shell.ts';
import { notice, pageHead, problemText, table } from './common.ts';
import { onAsync } from '../../events.ts';

export interface TemplateVersion {
  id: string;
  templateId: string;
  version: string;
  kind: string;
  title: string;
  description: string;
  status: TemplateStatus;
  contentHash: string;
  /** The package passed every check when last saved; only then may it be submitted. */
  compiles: boolean;
  numbering: string;
  roles: string[];
  retention: string;
  recordDue: string | null;
  parameters: Record<string, string | number | boolean>;
  changeReason: string;
  forms: string[];
  createdAt: string;
  createdBy: string;
  approvedAt: string | null;
  approvedBy: string | null;
  effectiveAt: string | null;
  definitionId: string | null;
}

export type TemplateStatus = 'draft' | 'in_review' | 'approved' | 'effective' | 'superseded' | 'retired';

const STATUS_KEYS: Record<TemplateStatus, MessageKey> = {
  draft: 'admin.status.draft',
  in_review: 'admin.status.in_review',
  approved: 'admin.status.approved',
  effective: 'admin.status.effective',
  superseded: 'admin.status.superseded',
  retired: 'admin.status.retired',
};
export const templateStatusLabel = (status: string) =>
  status in STATUS_KEYS ? t(STATUS_KEYS[status as TemplateStatus]) : status;

/** A version's lifecycle status as a coloured badge (D1). */
export const statusBadge = (status: string) =>
  h('span', { class: `badge lifecycle ${status}`, 'data-status': status }, templateStatusLabel(status));

/** Orders versions like numbers: 1.10.0 after 1.9.0. */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (x![i] !== y![i]) return (x![i] ?? 0) - (y![i] ?? 0);
  return 0;
}

export const versionHref = (v: { templateId: string; version: string }) =>
  `#/template/${encodeURIComponent(v.templateId)}/${encodeURIComponent(v.version)}`;

/**
 * Templates and their versions with where each is in its lifecycle (D1), and the import of a
 * package as a new draft version for those who author templates.
 */
export async function templatesView(container: HTMLElement, me: Me): Promise<void> {
  const status = h(
    'select',
    { id: 'template-status', 'aria-label': t('admin.templates.status') },
    h('option', { value: '' }, t('admin.templates.anyStatus')),
    ...Object.keys(STATUS_KEYS).map((s) => h('option', { value: s }, templateStatusLabel(s))),
  );
  const listing = h('div', { id: 'template-list' });
  const load = async () => {
    const query = status.value ? `?status=${status.value}` : '';
    const { templates } = await request<{ templates: TemplateVersion[] }>('GET', `/api/templates${query}`);
    show(listing, ...templateGroups(templates));
  };
  status.addEventListener('change', () => void load());
  show(
    container,
    pageHead(t('admin.templates.title')),
    h('p', { class: 'note admin-intro' }, t('admin.templates.intro')),
    me.permissions.includes('templates.manage') ? importPanel(load) : null,
    h(
      'div',
      { class: 'filters admin-filters' },
      h('label', { for: 'template-status' }, t('admin.templates.status')),
      status,
    ),
    listing,
  );
  await load();
}

function templateGroups(versions: TemplateVersion[]): HTMLElement[] {
  if (versions.length === 0) return [h('p', { class: 'empty' }, t('admin.templates.empty'))];
  const byTemplate = new Map<string, TemplateVersion[]>();
  for (const v of versions) byTemplate.set(v.templateId, [...(byTemplate.get(v.templateId) ?? []), v]);
  return [...byTemplate.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([templateId, list]) => {
      list.sort((a, b) => compareVersions(b.version, a.version));
      const newest = list[0]!;
      return h(
        'section',
        { class: 'admin-template', 'data-template': templateId },
        h('h2', {}, newest.title, h('span', { class: 'admin-sub' }, templateId)),
        table(
          { class: 'admin-versions' },
          [
            t('admin.templates.version'),
            t('admin.templates.versionTitle'),
            t('admin.templates.status'),
            t('admin.templates.created'),
            t('admin.templates.approved'),
            t('admin.templates.effective'),
          ],
          list.map((v) =>
            h(
              'tr',
              { 'data-version': v.version, 'data-status': v.status },
              h('td', {}, h('a', { href: versionHref(v), class: 'admin-link' }, v.version)),
              h('td', {}, v.title),
              h('td', {}, statusBadge(v.status)),
              h('td', {}, formatInstant(v.createdAt)),
              h('td', {}, formatInstant(v.approvedAt)),
              h('td', {}, formatInstant(v.effectiveAt)),
            ),
          ),
        ),
      );
    });
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

interface Imported extends TemplateVersion {
  created: boolean;
  revised: boolean;
}

/** The import of a package (D1, D3): the files of a version folder, or a .tgz of one. */
function importPanel(imported: () => Promise<void>): HTMLElement {
  const files = h('input', {
    type: 'file',
    id: 'import-files',
    multiple: true,
    accept: '.json,.bpmn,.md,.tgz,.gz,application/gzip',
  });
  const folder = h('input', { type: 'file', id: 'import-folder', webkitdirectory: true });
  const chosen = h('ul', { class: 'admin-files', id: 'import-chosen' });
  const message = h('div', { class: 'message', id: 'import-message', hidden: true });
  const submit = h(
    'button',
    { type: 'submit', class: 'primary', id: 'import-submit', disabled: true },
    t('admin.import.submit'),
  );
  let picked: File[] = [];
  const pick = (input: HTMLInputElement, other: HTMLInputElement) => {
    other.value = '';
    picked = [...(input.files ?? [])].filter((f) => !f.name.startsWith('.'));
    message.hidden = true;
    show(
      chosen,
      ...picked.map((f) =>
        h('li', {}, h('code', {}, isArchive(f) ? f.name : packagePath(f)), ` · ${sizeText(f.size)}`),
      ),
    );
    submit.disabled = picked.length === 0;
  };
  files.addEventListener('change', () => pick(files, folder));
  folder.addEventListener('change', () => pick(folder, files));

  const form = h(
    'form',
    { class: 'panel admin-import', id: 'template-import', novalidate: true },
    h('h2', {}, t('admin.import.title')),
    h('p', {}, t('admin.import.intro')),
    h(
      'div',
      { class: 'admin-pick' },
      h('div', { class: 'field' }, h('label', { for: 'import-files' }, t('admin.import.files')), files),
      h('div', { class: 'field' }, h('label', { for: 'import-folder' }, t('admin.import.folder')), folder),
    ),
    chosen,
    message,
    h('div', { class: 'admin-form-actions' }, submit),
  );
  onAsync(form, 'submit', async (event) => {
    event.preventDefault();
    if (picked.length === 0) return;
    const archives = picked.filter(isArchive);
    if (archives.length > 0 && picked.length > 1) {
      notice(message, 'error', t('admin.import.oneArchive'));
      return;
    }
    submit.disabled = true;
    try {
      const body =
        archives.length === 1
          ? { tgz: base64(new Uint8Array(await archives[0]!.arrayBuffer())) }
          : {
              files: Object.fromEntries(
                await Promise.all(picked.map(async (f) => [packagePath(f), await f.text()] as const)),
              ),
            };
      const saved = await request<Imported>('POST', '/api/templates', body);
      const what = { template: saved.templateId, version: saved.version };
      notice(
        message,
        'success',
        t(
          saved.created
            ? 'admin.import.created'
            : saved.revised
              ? 'admin.import.revised'
              : 'admin.import.unchanged',
          what,
        ),
        ' ',
        h('a', { href: versionHref(saved), id: 'import-open' }, t('admin.import.open', what)),
      );
      form.reset();
      picked = [];
      chosen.replaceChildren();
      await imported();
    } catch (error) {
      if (error instanceof Problem && error.errors.length > 0) {
        notice(
          message,
          'error',
          h('strong', {}, t('admin.import.refused')),
          h(
            'ul',
            {},
            ...error.errors.map((e) =>
              h(
                'li',
                { 'data-pointer': e.pointer },
                e.pointer ? h('code', {}, e.pointer) : '',
                ` ${e.message}`,
              ),
            ),
          ),
        );
      } else {
        notice(message, 'error', problemText(error));
      }
    } finally {
      submit.disabled = picked.length === 0;
    }
  });
  return form;
}

const sizeText = (bytes: number) =>
  bytes < 1024
    ? t('admin.import.bytes', { size: bytes })
    : t('admin.import.kb', { size: Math.ceil(bytes / 1024) });
