import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { appendEvents } from '../audit/auditTrail.ts';
import { eventRepository } from '../audit/eventRepository.ts';
import type { AuditEvent, EventDraft, Subject } from '../audit/types.ts';
import type { Clock } from '../kernel/clock.ts';
import { ConflictError, InputError, NotFoundError, type FieldError } from '../kernel/errors.ts';
import type { ProcessService } from '../bpmn/service/processService.ts';
import { isUniqueViolation } from '../db/database.ts';
import type { FormService } from '../forms/formService.ts';
import type { IdentityService } from '../identity/identityService.ts';
import { eventActor, requirePermission, type Principal } from '../kernel/permissions.ts';
import { segregation } from '../signatures/segregation.ts';
import { writeSignature } from '../signatures/signatureWriter.ts';
import { templateSignedContent } from './signedContent.ts';
import { optionalText } from '../kernel/textInput.ts';
import { diffPackages, type TemplateDiff } from './diff.ts';
import {
  packageHash,
  readPackageDir,
  readDraftFiles,
  readPackageFromFiles,
  readPackageTgz,
  type PackageFile,
  type ReadPackage,
  type TemplateManifest,
  type TemplatePackage,
} from './package.ts';
import { packageProblems } from './packageCheck.ts';
import { writeTgz } from './tar.ts';
import { templateRepository, type TemplateStatus, type TemplateVersionRow } from './templateRepository.ts';
import { isObject } from '../kernel/isObject.ts';

/** A template version as people see it: what it is and where it is in its lifecycle (D1). */
export interface TemplateVersionView {
  id: string;
  templateId: string;
  version: string;
  kind: string;
  title: string;
  description: string;
  status: TemplateStatus;
  contentHash: string;
  /** The package passed every check of an import when it was last saved; only then may it be submitted. */
  compiles: boolean;
  numbering: string;
  roles: string[];
  retention: string;
  recordDue: string | null;
  parameters: Record<string, string | number | boolean>;
  /** The names of its parameter sets (e.g. product recipes); a record starts from one when there are any. */
  parameterSets: string[];
  changeReason: string;
  forms: string[];
  createdAt: string;
  createdBy: string;
  approvedAt: string | null;
  approvedBy: string | null;
  effectiveAt: string | null;
  definitionId: string | null;
}

/** A draft as saved: the version, whether it was created or revised, and what keeps it from review. */
export interface TemplateDraftView extends TemplateVersionView {
  created: boolean;
  revised: boolean;
  /** Every problem of the package, at its pointer (`/manifest/…`, `/process/…`, `/forms/<key>/…`). */
  problems: FieldError[];
}

/** Where a package comes from: a folder on the server, a .tgz, or files already read. */
export type PackageSource = { dir: string } | { tgz: Buffer } | { files: PackageFile[] };

const subject = (row: { id: string }): Subject => ({ id: row.id, type: 'template' });

const textOf = (value: unknown) => (typeof value === 'string' ? value : '');
function toView(row: TemplateVersionRow): TemplateVersionView {
  // A draft's manifest may not be valid yet: the view shows what of it is there.
  const m = row.manifest as { [K in keyof TemplateManifest]?: unknown };
  return {
    id: row.id,
    templateId: row.template_id,
    version: row.version,
    kind: row.kind,
    title: row.title,
    description: textOf(m.description),
    status: row.status,
    contentHash: row.content_hash,
    compiles: row.compiles,
    numbering: textOf(m.numbering),
    roles: Array.isArray(m.roles) ? m.roles.filter((r) => typeof r === 'string') : [],
    retention: textOf(m.retention),
    recordDue: typeof m.recordDue === 'string' ? m.recordDue : null,
    parameters: isObject(m.parameters)
      ? (Object.fromEntries(
          Object.entries(m.parameters).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v)),
        ) as TemplateVersionView['parameters'])
      : {},
    parameterSets: isObject(m.parameterSets) ? Object.keys(m.parameterSets) : [],
    changeReason: textOf(m.changeReason),
    forms: Object.keys(row.files)
      .filter((p) => p.startsWith('forms/'))
      .map((p) => p.slice('forms/'.length, -'.json'.length))
      .sort(),
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    approvedAt: row.approved_at?.toISOString() ?? null,
    approvedBy: row.approved_by,
    effectiveAt: row.effective_at?.toISOString() ?? null,
    definitionId: row.definition_id,
  };
}

/** The package a stored version holds, read back from its files. */
export function packageOf(row: TemplateVersionRow): TemplatePackage {
  const forms = Object.entries(row.files)
    .filter(([p]) => p.startsWith('forms/'))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([p, text]) => ({
      key: p.slice('forms/'.length, -'.json'.length),
      definition: JSON.parse(text) as Record<string, unknown>,
    }));
  return {
    manifest: row.manifest,
    process: row.files['process.bpmn']!,
    forms,
    readme: row.files['README.md']!,
  };
}

function parseVersion(version: string) {
  const [major, minor, patch] = version.split('.').map(Number) as [number, number, number];
  return { major, minor, patch };
}

/** The template registry: the lifecycle of a template version from import to retirement. */
export interface TemplateService {
  import(
    principal: Principal,
    source: PackageSource,
  ): Promise<TemplateVersionView & { created: boolean; revised: boolean }>;
  saveDraft(
    principal: Principal,
    templateId: string,
    version: string,
    input: { files: Readonly<Record<string, string>>; baseHash: string | null },
  ): Promise<TemplateDraftView>;
  submit(principal: Principal, templateId: string, version: string): Promise<TemplateVersionView>;
  approve(
    principal: Principal,
    templateId: string,
    version: string,
    input: { password?: unknown },
  ): Promise<TemplateVersionView>;
  reject(
    principal: Principal,
    templateId: string,
    version: string,
    input: { password?: unknown; reason?: unknown },
  ): Promise<TemplateVersionView>;
  makeEffective(principal: Principal, templateId: string, version: string): Promise<TemplateVersionView>;
  retire(
    principal: Principal,
    templateId: string,
    version: string,
    input: { reason?: unknown },
  ): Promise<TemplateVersionView>;
  list(
    principal: Principal,
    filter?: { templateId?: string; status?: TemplateStatus },
  ): Promise<TemplateVersionView[]>;
  get(principal: Principal, templateId: string, version: string): Promise<TemplateVersionView>;
  export(
    principal: Principal,
    templateId: string,
    version: string,
  ): Promise<{ files: PackageFile[]; tgz: Buffer; contentHash: string; fileName: string }>;
  files(
    principal: Principal,
    templateId: string,
    version: string,
  ): Promise<{ version: TemplateVersionView; files: Record<string, string> }>;
  diff(
    principal: Principal,
    templateId: string,
    from: string,
    to: string,
  ): Promise<TemplateDiff & { from: string; to: string }>;
  history(principal: Principal, templateId: string, version: string): Promise<AuditEvent[]>;
}

/**
 * The template registry (D1–D3): packages imported as drafts, checked as the engine will run
 * them; submitted for review; approved or rejected with an electronic signature by someone other
 * than the author; made effective (its forms and process deployed, the version before superseded);
 * retired. Every transition is an event in the version's own audit chain. A version past draft
 * never changes: the database refuses it.
 */
export function createTemplateService(deps: {
  knex: Knex;
  clock: Clock;
  identity: IdentityService;
  forms: FormService;
  /** Deploys a version's process when it becomes effective. */
  processes: { deploy: ProcessService['deployTemplate'] };
}): TemplateService {
  const { knex, clock, identity, forms, processes } = deps;

  async function read(source: PackageSource) {
    if ('dir' in source) return readPackageDir(source.dir);
    if ('tgz' in source) return readPackageTgz(source.tgz);
    return readPackageFromFiles(source.files);
  }

  /**
   * Refuses a package with problems (see `packageProblems`): everything the engine will check when
   * the version becomes effective, checked before it may be imported or submitted.
   */
  async function check(pkg: TemplatePackage, intro: string): Promise<void> {
    const errors = await packageProblems(pkg, knex);
    if (errors.length > 0) {
      const listed = errors.slice(0, 8).map((e) => e.message);
      if (errors.length > 8) listed.push(`and ${errors.length - 8} more`);
      throw new InputError(`${intro}: ${listed.join('; ')}`, errors);
    }
  }

  const texts = (files: PackageFile[]) =>
    Object.fromEntries(files.map((f) => [f.path, f.content.toString('utf8')]));

  /** A new draft version and its `template.imported` event. */
  async function insertDraft(
    trx: Knex.Transaction,
    principal: Principal,
    { pkg, hash, files }: ReadPackage,
    compiles: boolean,
  ): Promise<TemplateVersionRow> {
    const { manifest } = pkg;
    const now = clock.now();
    const row: TemplateVersionRow = {
      id: randomUUID(),
      template_id: manifest.id,
      version: manifest.version,
      ...parseVersion(manifest.version),
      kind: textOf(manifest.kind),
      title: textOf(manifest.title),
      manifest,
      files: texts(files),
      content_hash: hash,
      compiles,
      status: 'draft',
      created_at: now,
      created_by: principal.userId,
      updated_at: now,
      approved_by: null,
      approved_at: null,
      effective_at: null,
      definition_id: null,
    };
    await templateRepository.insert(trx, row);
    await appendEvents(trx, clock, subject(row), eventActor(principal), [
      {
        type: 'template.imported',
        payload: {
          templateId: manifest.id,
          version: manifest.version,
          kind: row.kind,
          title: row.title,
          contentHash: hash,
          status: 'draft',
          changeReason: textOf(manifest.changeReason),
        },
      },
    ]);
    return row;
  }

  /**
   * New content for a draft and its `template.revised` event; null when the draft is no longer
   * what was read (someone saved or submitted it meanwhile).
   */
  async function reviseDraft(
    trx: Knex.Transaction,
    principal: Principal,
    existing: TemplateVersionRow,
    { pkg, hash, files }: ReadPackage,
    compiles: boolean,
  ): Promise<TemplateVersionRow | null> {
    const { manifest } = pkg;
    const next = {
      manifest,
      files: texts(files),
      content_hash: hash,
      compiles,
      kind: textOf(manifest.kind),
      title: textOf(manifest.title),
      updated_at: clock.now(),
    };
    if (!(await templateRepository.revise(trx, existing, next))) return null;
    await appendEvents(trx, clock, subject(existing), eventActor(principal), [
      {
        type: 'template.revised',
        payload: {
          templateId: manifest.id,
          version: manifest.version,
          changes: [{ path: '/contentHash', old: existing.content_hash, new: hash }],
        },
      },
    ]);
    return { ...existing, ...next };
  }

  /** A released version never changes: a change is a new version (D3). */
  function refuseReleased(row: TemplateVersionRow): void {
    if (row.status !== 'draft') {
      throw new ConflictError(
        `Version ${row.version} of ${row.template_id} is ${label(row.status)}: a released version never changes; import the change as a new version (D3)`,
      );
    }
  }

  /** Someone else saved the version since it was read: who, and when. */
  async function savedMeanwhile(db: Knex, templateId: string, version: string): Promise<ConflictError> {
    const row = await load(db, templateId, version);
    const last = await templateRepository.lastSave(db, row.id);
    const by = last ? ` by ${last.actorName} at ${last.at.toISOString()}` : '';
    return new ConflictError(`${templateId} ${version} was changed${by}; reload to see their changes`);
  }

  /** A version created by someone else at the same moment collides on its unique key. */
  async function guardCreation<T>(templateId: string, version: string, save: () => Promise<T>): Promise<T> {
    try {
      return await save();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      throw await savedMeanwhile(knex, templateId, version);
    }
  }

  /**
   * Imports a package as a draft. The same content again changes nothing; new content for a draft
   * revises it (audited); new content for a version past draft is refused: a change is a new
   * version (D3).
   */
  async function importPackage(
    principal: Principal,
    source: PackageSource,
  ): Promise<TemplateVersionView & { created: boolean; revised: boolean }> {
    requirePermission(principal, 'templates.manage');
    const incoming = await read(source);
    const { manifest } = incoming.pkg;
    await check(incoming.pkg, 'The template cannot be imported');
    return guardCreation(manifest.id, manifest.version, () =>
      knex.transaction(async (trx) => {
        const existing = await templateRepository.find(trx, manifest.id, manifest.version);
        if (!existing) {
          const row = await insertDraft(trx, principal, incoming, true);
          return { ...toView(row), created: true, revised: false };
        }
        if (existing.content_hash === incoming.hash) {
          return { ...toView(existing), created: false, revised: false };
        }
        refuseReleased(existing);
        const revised = await reviseDraft(trx, principal, existing, incoming, true);
        if (!revised) {
          throw new ConflictError(
            `The draft ${manifest.id} ${manifest.version} changed meanwhile; try again`,
          );
        }
        return { ...toView(revised), created: false, revised: true };
      }),
    );
  }

  /**
   * Saves a draft as the designer edits it (D1, G1): work in progress, kept even while it does not
   * compile, its problems answered with it. The first save (no base) creates the version; a later
   * one replaces its files when based on the content it holds now, so two people editing the same
   * draft never overwrite each other unseen: the second is told who saved meanwhile. The same
   * content again changes nothing. Each save is audited, as an import is.
   */
  async function saveDraft(
    principal: Principal,
    templateId: string,
    version: string,
    input: { files: Readonly<Record<string, string>>; baseHash: string | null },
  ): Promise<TemplateDraftView> {
    requirePermission(principal, 'templates.manage');
    const draft = readDraftFiles(input.files, { id: templateId, version });
    const problems = await packageProblems(draft.pkg, knex);
    const compiles = problems.length === 0;
    const saved = await guardCreation(templateId, version, () =>
      knex.transaction(async (trx) => {
        const existing = await templateRepository.find(trx, templateId, version);
        if (!existing) {
          if (input.baseHash !== null) {
            throw new ConflictError(
              `There is no version ${version} of ${templateId} to save over; save it without a base to create it`,
            );
          }
          return { row: await insertDraft(trx, principal, draft, compiles), created: true, revised: false };
        }
        if (existing.content_hash === draft.hash) return { row: existing, created: false, revised: false };
        refuseReleased(existing);
        const row =
          input.baseHash === existing.content_hash
            ? await reviseDraft(trx, principal, existing, draft, compiles)
            : null;
        if (!row) throw await savedMeanwhile(trx, templateId, version);
        return { row, created: false, revised: true };
      }),
    );
    return { ...toView(saved.row), compiles, created: saved.created, revised: saved.revised, problems };
  }

  async function load(db: Knex, templateId: string, version: string): Promise<TemplateVersionRow> {
    const row = await templateRepository.find(db, templateId, version);
    if (!row) throw new NotFoundError(`There is no version ${version} of template ${templateId}`);
    return row;
  }

  function expect(row: TemplateVersionRow, from: TemplateStatus[], act: string): void {
    if (!from.includes(row.status)) {
      throw new ConflictError(
        `${row.template_id} ${row.version} is ${label(row.status)}; only a version that is ${from.map(label).join(' or ')} can be ${act}`,
      );
    }
  }

  /** One status change, guarded by the status it was read in, and its event. */
  async function move(
    trx: Knex.Transaction,
    principal: Principal,
    row: TemplateVersionRow,
    to: TemplateStatus,
    extra: {
      patch?: Parameters<typeof templateRepository.transition>[3];
      payload?: Record<string, unknown>;
      reason?: string | null;
      /** Move only while it holds the content that was checked. */
      contentHash?: string;
    } = {},
  ): Promise<void> {
    const now = clock.now();
    const moved = await templateRepository.transition(
      trx,
      row.id,
      row.status,
      { ...extra.patch, status: to, updated_at: now },
      extra.contentHash,
    );
    if (!moved) throw new ConflictError(`${row.template_id} ${row.version} changed meanwhile; reload it`);
    const draft: EventDraft = {
      type: `template.${to === 'in_review' ? 'submitted' : to === 'draft' ? 'rejected' : to === 'effective' ? 'made_effective' : to}`,
      payload: {
        templateId: row.template_id,
        version: row.version,
        changes: [{ path: '/status', old: row.status, new: to }],
        ...extra.payload,
      },
      reason: extra.reason ?? null,
    };
    await appendEvents(trx, clock, subject(row), eventActor(principal), [draft]);
  }

  async function submit(
    principal: Principal,
    templateId: string,
    version: string,
  ): Promise<TemplateVersionView> {
    requirePermission(principal, 'templates.manage');
    const row = await load(knex, templateId, version);
    expect(row, ['draft'], 'submitted for review');
    // A draft may have been saved before it compiled, and roles may have changed since: checked again.
    await check(packageOf(row), `${templateId} ${version} cannot be submitted for review`);
    await knex.transaction((trx) =>
      move(trx, principal, row, 'in_review', {
        patch: { compiles: true, updated_at: clock.now() },
        contentHash: row.content_hash,
      }),
    );
    return get(principal, templateId, version);
  }

  /** The reviewer of a version is someone other than who wrote it (B5), with the authority to approve. */
  async function reviewer(principal: Principal, row: TemplateVersionRow, password: unknown) {
    requirePermission(principal, 'templates.approve');
    for (const author of await templateRepository.authors(knex, row.id))
      segregation.approverIsNotAuthor(author, principal.userId);
    const signer = await identity.reauthenticate(principal, password);
    return { userId: signer.id, username: signer.username, printedName: signer.printed_name };
  }

  /** Approves a version in review with an electronic signature, meaning Approved (D1, B1, B5). */
  async function approve(
    principal: Principal,
    templateId: string,
    version: string,
    input: { password?: unknown },
  ): Promise<TemplateVersionView> {
    const row = await load(knex, templateId, version);
    expect(row, ['in_review'], 'approved');
    const signer = await reviewer(principal, row, input.password);
    await knex.transaction(async (trx) => {
      const at = clock.now();
      await move(trx, principal, row, 'approved', {
        patch: { updated_at: at, approved_by: signer.userId, approved_at: at },
      });
      await writeSignature(
        trx,
        clock,
        subject(row),
        await templateSignedContent(trx, row.id),
        signer,
        'Approved',
        null,
      );
    });
    return get(principal, templateId, version);
  }

  /** Rejects a version in review back to draft: signed, meaning Rejected, with a reason (B3). */
  async function reject(
    principal: Principal,
    templateId: string,
    version: string,
    input: { password?: unknown; reason?: unknown },
  ): Promise<TemplateVersionView> {
    const reason = requiredReason(input.reason, 'reject');
    const row = await load(knex, templateId, version);
    expect(row, ['in_review'], 'rejected');
    const signer = await reviewer(principal, row, input.password);
    await knex.transaction(async (trx) => {
      await writeSignature(
        trx,
        clock,
        subject(row),
        await templateSignedContent(trx, row.id),
        signer,
        'Rejected',
        reason,
      );
      await move(trx, principal, row, 'draft', { reason });
    });
    return get(principal, templateId, version);
  }

  /**
   * Makes an approved version the effective one (D1, D2): its forms are imported and pinned, its
   * process deployed with exactly those form versions, and the version effective before it is
   * superseded, all in one transaction. Records started before stay on their version.
   */
  async function makeEffective(
    principal: Principal,
    templateId: string,
    version: string,
  ): Promise<TemplateVersionView> {
    requirePermission(principal, 'templates.manage');
    const row = await load(knex, templateId, version);
    expect(row, ['approved'], 'made effective');
    const pkg = packageOf(row);
    await knex.transaction(async (trx) => {
      const formVersions = new Map<string, number>();
      for (const f of pkg.forms) {
        const saved = await forms.save(principal, { key: f.key, definition: f.definition }, trx);
        formVersions.set(f.key, saved.version);
      }
      const { definitions } = await processes.deploy(principal, pkg.process, { db: trx, formVersions });
      const definition = definitions[0]!;
      const before = await templateRepository.effective(trx, templateId);
      if (before) {
        await move(trx, principal, before, 'superseded', { payload: { supersededBy: version } });
      }
      await move(trx, principal, row, 'effective', {
        patch: { updated_at: clock.now(), effective_at: clock.now(), definition_id: definition.id },
        payload: {
          definitionId: definition.id,
          processVersion: definition.version,
          forms: Object.fromEntries(formVersions),
          ...(before && { supersedes: before.version }),
        },
      });
    });
    return get(principal, templateId, version);
  }

  /** Retires a version: no new record starts from it; records in flight finish on it. */
  async function retire(
    principal: Principal,
    templateId: string,
    version: string,
    input: { reason?: unknown },
  ): Promise<TemplateVersionView> {
    requirePermission(principal, 'templates.manage');
    const reason = requiredReason(input.reason, 'retire');
    const row = await load(knex, templateId, version);
    expect(row, ['effective', 'superseded', 'approved', 'draft', 'in_review'], 'retired');
    await knex.transaction((trx) => move(trx, principal, row, 'retired', { reason }));
    return get(principal, templateId, version);
  }

  async function list(
    principal: Principal,
    filter: { templateId?: string; status?: TemplateStatus } = {},
  ): Promise<TemplateVersionView[]> {
    requirePermission(principal, 'audit.read');
    return (await templateRepository.list(knex, filter)).map(toView);
  }

  async function get(
    principal: Principal,
    templateId: string,
    version: string,
  ): Promise<TemplateVersionView> {
    requirePermission(principal, 'audit.read');
    return toView(await load(knex, templateId, version));
  }

  /** A version's files as text by path, sorted, with the version: what the designer opens and saves on. */
  async function files(
    principal: Principal,
    templateId: string,
    version: string,
  ): Promise<{ version: TemplateVersionView; files: Record<string, string> }> {
    requirePermission(principal, 'audit.read');
    const row = await load(knex, templateId, version);
    const sorted = Object.entries(row.files).sort(([a], [b]) => (a < b ? -1 : 1));
    return { version: toView(row), files: Object.fromEntries(sorted) };
  }

  /** A version as a package again: the files exactly as imported, and the .tgz of them. */
  async function exportPackage(
    principal: Principal,
    templateId: string,
    version: string,
  ): Promise<{ files: PackageFile[]; tgz: Buffer; contentHash: string; fileName: string }> {
    requirePermission(principal, 'audit.read');
    const row = await load(knex, templateId, version);
    const files = Object.entries(row.files)
      .map(([path, text]) => ({ path, content: Buffer.from(text, 'utf8') }))
      .sort((a, b) => (a.path < b.path ? -1 : 1));
    const prefix = `${row.template_id}/v${row.version}/`;
    const tgz = writeTgz(
      files.map((f) => ({ path: `${prefix}${f.path}`, content: f.content })),
      [`${row.template_id}/`, prefix, `${prefix}forms/`],
    );
    return { files, tgz, contentHash: packageHash(files), fileName: `${row.template_id}-${row.version}.tgz` };
  }

  /** What changed between two versions of a template: manifest, process elements, form fields (G1). */
  async function diff(
    principal: Principal,
    templateId: string,
    from: string,
    to: string,
  ): Promise<TemplateDiff & { from: string; to: string }> {
    requirePermission(principal, 'audit.read');
    const a = await load(knex, templateId, from);
    const b = await load(knex, templateId, to);
    return { from, to, ...(await diffPackages(packageOf(a), packageOf(b))) };
  }

  async function history(principal: Principal, templateId: string, version: string): Promise<AuditEvent[]> {
    requirePermission(principal, 'audit.read');
    const row = await load(knex, templateId, version);
    return eventRepository.list(knex, { recordId: row.id });
  }

  return {
    import: importPackage,
    saveDraft,
    submit,
    approve,
    reject,
    makeEffective,
    retire,
    list,
    get,
    export: exportPackage,
    files,
    diff,
    history,
  };
}

/** A reason the act cannot go without (B3). */
function requiredReason(value: unknown, act: string): string {
  const reason = optionalText(value, '/reason', 1000);
  if (!reason) {
    throw new InputError(`A reason is required to ${act} a template version`, [
      { pointer: '/reason', keyword: 'required', message: `is required to ${act}` },
    ]);
  }
  return reason;
}

function label(status: TemplateStatus): string {
  return status === 'in_review' ? 'in review' : status;
}
