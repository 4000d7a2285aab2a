import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { appendEvents } from '../audit/auditTrail.ts';
import { eventRepository } from '../audit/eventRepository.ts';
import type { AuditEvent, EventDraft, Subject } from '../audit/types.ts';
import type { Clock } from '../clock.ts';
import { ConflictError, InputError, NotFoundError, type FieldError } from '../errors.ts';
import { compileBpmn } from '../bpmn/compile.ts';
import type { ProcessGraph } from '../bpmn/graph.ts';
import { unenforced, type ProcessService } from '../bpmn/processService.ts';
import { compileForm } from '../forms/compiler.ts';
import type { FormService } from '../forms/formService.ts';
import type { IdentityService } from '../identity/identityService.ts';
import { eventActor, requirePermission, type Principal } from '../identity/permissions.ts';
import { segregation } from '../identity/segregation.ts';
import { userRepository } from '../identity/userRepository.ts';
import { writeSignature } from '../signatures/signatureWriter.ts';
import { optionalText } from '../textInput.ts';
import { diffPackages, type TemplateDiff } from './diff.ts';
import {
  packageHash,
  readPackageDir,
  readPackageFromFiles,
  readPackageTgz,
  type PackageFile,
  type TemplatePackage,
} from './package.ts';
import { writeTgz } from './tar.ts';
import { templateRepository, type TemplateStatus, type TemplateVersionRow } from './templateRepository.ts';

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

/** Where a package comes from: a folder on the server, a .tgz, or files already read. */
export type PackageSource = { dir: string } | { tgz: Buffer } | { files: PackageFile[] };

const subject = (row: { id: string }): Subject => ({ id: row.id, type: 'template' });

function toView(row: TemplateVersionRow): TemplateVersionView {
  const m = row.manifest;
  return {
    id: row.id,
    templateId: row.template_id,
    version: row.version,
    kind: row.kind,
    title: row.title,
    description: m.description,
    status: row.status,
    contentHash: row.content_hash,
    numbering: m.numbering,
    roles: m.roles,
    retention: m.retention,
    recordDue: m.recordDue ?? null,
    parameters: m.parameters ?? {},
    changeReason: m.changeReason,
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

export type TemplateService = ReturnType<typeof createTemplateService>;

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
  processes: Pick<ProcessService, 'deploy'>;
}) {
  const { knex, clock, identity, forms, processes } = deps;

  async function read(source: PackageSource) {
    if ('dir' in source) return readPackageDir(source.dir);
    if ('tgz' in source) return readPackageTgz(source.tgz);
    return readPackageFromFiles(source.files);
  }

  /**
   * Everything the engine will check when the version becomes effective, checked now so a
   * draft shows its problems at once: the process compiles and names the template's id, every
   * user task's form is in the package, candidate roles are the manifest's and exist, every form
   * compiles.
   */
  async function check(pkg: TemplatePackage, db: Knex): Promise<void> {
    const { manifest } = pkg;
    const errors: FieldError[] = [];
    let graph: ProcessGraph | undefined;
    try {
      const { processes: compiled } = await compileBpmn(pkg.process);
      if (compiled.length !== 1) {
        errors.push({
          pointer: '/process',
          keyword: 'structure',
          message: `A template has exactly one executable process; process.bpmn has ${compiled.length}`,
        });
      } else {
        graph = compiled[0]!;
        if (graph.key !== manifest.id) {
          errors.push({
            pointer: '/process',
            keyword: 'value',
            message: `The process id is "${graph.key}"; a template's process must have the template's id "${manifest.id}"`,
          });
        }
        errors.push(...unenforced(graph).map((e) => ({ ...e, pointer: `/process${e.pointer}` })));
        // A record starts it (D2): a message, signal or timer would start an instance without one.
        for (const id of graph.triggeredStarts) {
          errors.push({
            pointer: `/process/elements/${id}`,
            keyword: 'unsupported',
            message: `${id} starts the process by a ${graph.nodes[id]!.event?.type}; a template's process starts only as a record, from its none start event`,
          });
        }
      }
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      errors.push(...error.errors.map((e) => ({ ...e, pointer: `/process${e.pointer}` })));
    }
    const formKeys = new Set(pkg.forms.map((f) => f.key));
    for (const f of pkg.forms) {
      try {
        compileForm(f.definition);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        errors.push(...error.errors.map((e) => ({ ...e, pointer: `/forms/${f.key}${e.pointer}` })));
      }
    }
    const roles = new Set(manifest.roles);
    for (const node of Object.values(graph?.nodes ?? {})) {
      const task = node.userTask;
      if (!task) continue;
      const where = `/process/elements/${node.id}`;
      if (task.formKey !== null && !formKeys.has(task.formKey)) {
        errors.push({
          pointer: where,
          keyword: 'reference',
          message: `${node.id} uses the form "${task.formKey}", which is not in the package's forms folder`,
        });
      }
      for (const role of task.candidateRoles.filter((r) => !roles.has(r))) {
        errors.push({
          pointer: where,
          keyword: 'reference',
          message: `${node.id} is for the role "${role}", which the manifest's roles do not list`,
        });
      }
    }
    const known = new Set(await userRepository.existingRoles(db, manifest.roles));
    for (const [i, role] of manifest.roles.entries()) {
      if (!known.has(role)) {
        errors.push({
          pointer: `/manifest/roles/${i}`,
          keyword: 'reference',
          message: `The role "${role}" does not exist here; define it before importing the template`,
        });
      }
    }
    for (const [taskId, sops] of Object.entries(manifest.qualifications ?? {})) {
      if (sops.length === 0) continue;
      errors.push({
        pointer: `/manifest/qualifications/${taskId}`,
        keyword: 'unsupported',
        message: `${taskId} requires qualifications (${sops.join(', ')}), which this version of Attest cannot check yet`,
      });
    }
    if (errors.length > 0) {
      const listed = errors.slice(0, 8).map((e) => e.message);
      if (errors.length > 8) listed.push(`and ${errors.length - 8} more`);
      throw new InputError(`The template cannot be imported: ${listed.join('; ')}`, errors);
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
    const { pkg, hash, files } = await read(source);
    await check(pkg, knex);
    const manifest = pkg.manifest;
    const texts = Object.fromEntries(files.map((f) => [f.path, f.content.toString('utf8')]));
    return knex.transaction(async (trx) => {
      const now = clock.now();
      const existing = await templateRepository.find(trx, manifest.id, manifest.version);
      if (existing) {
        if (existing.content_hash === hash) return { ...toView(existing), created: false, revised: false };
        if (existing.status !== 'draft') {
          throw new ConflictError(
            `Version ${manifest.version} of ${manifest.id} is ${label(existing.status)}: a released version never changes; import the change as a new version (D3)`,
          );
        }
        const next = {
          manifest,
          files: texts,
          content_hash: hash,
          kind: manifest.kind,
          title: manifest.title,
          updated_at: now,
        };
        if (!(await templateRepository.revise(trx, existing, next)))
          throw new ConflictError(
            `The draft ${manifest.id} ${manifest.version} changed meanwhile; try again`,
          );
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
        return { ...toView({ ...existing, ...next }), created: false, revised: true };
      }
      const row: TemplateVersionRow = {
        id: randomUUID(),
        template_id: manifest.id,
        version: manifest.version,
        ...parseVersion(manifest.version),
        kind: manifest.kind,
        title: manifest.title,
        manifest,
        files: texts,
        content_hash: hash,
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
            kind: manifest.kind,
            title: manifest.title,
            contentHash: hash,
            status: 'draft',
            changeReason: manifest.changeReason,
          },
        },
      ]);
      return { ...toView(row), created: true, revised: false };
    });
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
    } = {},
  ): Promise<void> {
    const now = clock.now();
    const moved = await templateRepository.transition(trx, row.id, row.status, {
      ...extra.patch,
      status: to,
      updated_at: now,
    });
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
    await knex.transaction((trx) => move(trx, principal, row, 'in_review'));
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
      await writeSignature(trx, clock, subject(row), signer, 'Approved', null);
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
      await writeSignature(trx, clock, subject(row), signer, 'Rejected', reason);
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
    submit,
    approve,
    reject,
    makeEffective,
    retire,
    list,
    get,
    export: exportPackage,
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
