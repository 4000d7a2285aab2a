import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { appendEvents } from '../audit/auditTrail.ts';
import { contentHash } from '../kernel/canonicalJson.ts';
import type { Clock } from '../kernel/clock.ts';
import { InputError, NotFoundError } from '../kernel/errors.ts';
import { eventActor, requirePermission, type Principal } from '../kernel/permissions.ts';
import { compileForm } from './compiler.ts';
import { formRepository, type FormRow } from './formRepository.ts';
import { FormRuntime } from './pipeline.ts';
import type { FormioDefinition, JsonSchema } from './types.ts';

type Db = Knex | Knex.Transaction;

export interface FormVersion {
  id: string;
  key: string;
  version: number;
  title: string | null;
  contentHash: string;
  createdAt: string;
  updatedAt: string;
  /** When a deployed process first used it: from then on it never changes (D3). */
  lockedAt: string | null;
}

export interface FormDetail extends FormVersion {
  definition: Record<string, unknown>;
  /** What every submission is validated against: JSON Schema 2020-12 with `x-attest` keywords. */
  schema: JsonSchema;
  /** The definition for formio.js: instructions sanitized, GMP components as the inputs they build on. */
  render: FormioDefinition;
}

const FORM_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,79}$/;
/** How a user task names a form: `key`, the latest version when deployed, or `key@version`. */
const FORM_REFERENCE = /^([A-Za-z][A-Za-z0-9_.-]{0,79})(?:@([1-9][0-9]{0,5}))?$/;

const toVersion = (r: FormRow): FormVersion => ({
  id: r.id,
  key: r.key,
  version: r.version,
  title: r.title,
  contentHash: r.content_hash,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  lockedAt: r.locked_at?.toISOString() ?? null,
});

export interface FormService {
  /** Imports a form definition as a new version, or revises one no deployed process uses yet. */
  save(
    principal: Principal,
    input: { key: unknown; definition: unknown },
    db?: Knex,
  ): Promise<FormVersion & { created: boolean; revised: boolean }>;
  list(principal: Principal): Promise<FormVersion[]>;
  get(principal: Principal, key: string, version?: number): Promise<FormDetail>;
  /** Pins a process's form reference to one version, inside deployment; a string: why it cannot be. */
  pin(
    trx: Knex.Transaction,
    principal: Principal,
    reference: string,
  ): Promise<{ id: string; key: string; version: number } | string>;
  /** A form version with its compiled runtime, cached: versions never change once used. */
  runtime(db: Db, formId: string): Promise<{ row: FormRow; runtime: FormRuntime }>;
}

/**
 * Form versions: imported from Form.io JSON, compiled (refused whole when any component cannot be
 * enforced), stored by key and version with the hash of their content. A version may be revised
 * while no deployed process uses it; once one does, it is frozen (the database refuses a change)
 * and a change is a new version. Every import and revision is an audited configuration change.
 */
export function createFormService({ knex, clock }: { knex: Knex; clock: Clock }): FormService {
  const runtimes = new Map<string, FormRuntime>();

  /** The compiled form of a version, built once per content and kept. */
  function runtimeOf(row: FormRow): FormRuntime {
    const cacheKey = `${row.id}:${row.content_hash}`;
    let runtime = runtimes.get(cacheKey);
    if (!runtime) {
      runtime = new FormRuntime(compileForm(row.definition));
      runtimes.set(cacheKey, runtime);
    }
    return runtime;
  }

  /** Frozen versions never change: read once, then kept (tasks only use frozen versions). */
  const frozen = new Map<string, { row: FormRow; runtime: FormRuntime }>();

  async function runtime(db: Db, formId: string): Promise<{ row: FormRow; runtime: FormRuntime }> {
    const kept = frozen.get(formId);
    if (kept) return kept;
    const row = await formRepository.find(db, formId);
    if (!row) throw new NotFoundError(`There is no form ${formId}`);
    const found = { row, runtime: runtimeOf(row) };
    if (row.locked_at) frozen.set(formId, found);
    return found;
  }

  async function save(
    principal: Principal,
    input: { key: unknown; definition: unknown },
    db: Knex = knex,
  ): Promise<FormVersion & { created: boolean; revised: boolean }> {
    requirePermission(principal, 'templates.manage');
    if (typeof input.key !== 'string' || !FORM_KEY.test(input.key)) {
      throw new InputError('The form key is not valid', [
        {
          pointer: '/key',
          keyword: 'pattern',
          message: 'must start with a letter and hold only letters, digits, _, . and - (up to 80)',
        },
      ]);
    }
    const key = input.key;
    const compiled = compileForm(input.definition);
    const definition = input.definition as Record<string, unknown>;
    const title = typeof definition.title === 'string' ? definition.title.slice(0, 200) : null;
    const hash = contentHash(definition);
    const row = await db.transaction(async (trx) => {
      const same = await formRepository.byHash(trx, key, hash);
      if (same) return { row: same, created: false, revised: false };
      const latest = await formRepository.byKey(trx, key);
      const now = clock.now();
      if (latest && !latest.locked_at) {
        const revised = await formRepository.revise(trx, latest.id, {
          definition,
          content_hash: hash,
          title,
          updated_at: now,
        });
        if (revised > 0) {
          await appendEvents(trx, clock, { id: latest.id, type: 'form' }, eventActor(principal), [
            {
              type: 'form.revised',
              payload: {
                key,
                version: latest.version,
                changes: [{ path: '/contentHash', old: latest.content_hash, new: hash }],
                definition,
              },
            },
          ]);
          return {
            row: { ...latest, definition, content_hash: hash, title, updated_at: now },
            created: false,
            revised: true,
          };
        }
      }
      const fresh: FormRow = {
        id: randomUUID(),
        key,
        version: (latest?.version ?? 0) + 1,
        title,
        definition,
        content_hash: hash,
        created_at: now,
        created_by: principal.userId,
        updated_at: now,
        locked_at: null,
      };
      await formRepository.insert(trx, fresh);
      await appendEvents(trx, clock, { id: fresh.id, type: 'form' }, eventActor(principal), [
        {
          type: 'form.created',
          payload: {
            key,
            version: fresh.version,
            contentHash: hash,
            fields: compiled.fields.length,
            definition,
          },
        },
      ]);
      return { row: fresh, created: true, revised: false };
    });
    runtimeOf(row.row);
    return { ...toVersion(row.row), created: row.created, revised: row.revised };
  }

  async function list(principal: Principal): Promise<FormVersion[]> {
    requirePermission(principal, 'audit.read');
    return (await formRepository.list(knex)).map(toVersion);
  }

  async function get(principal: Principal, key: string, version?: number): Promise<FormDetail> {
    requirePermission(principal, 'audit.read');
    const row = await formRepository.byKey(knex, key, version);
    if (!row) throw new NotFoundError(`There is no form ${key}${version ? ` version ${version}` : ''}`);
    const { compiled } = runtimeOf(row);
    return {
      ...toVersion(row),
      definition: row.definition,
      schema: compiled.schema,
      render: compiled.render,
    };
  }

  /**
   * The form version a user task names, for deployment: `key@n` exactly, `key` the latest. The
   * version is frozen in the deploying transaction; an unknown form refuses the deployment.
   */
  async function pin(
    trx: Knex.Transaction,
    principal: Principal,
    reference: string,
  ): Promise<{ id: string; key: string; version: number } | string> {
    const m = FORM_REFERENCE.exec(reference);
    if (!m) return `attest:formKey "${reference}" must be a form key, optionally with @version`;
    const version = m[2] ? Number(m[2]) : undefined;
    const row = await formRepository.byKey(trx, m[1]!, version);
    if (!row) return `the form ${reference} does not exist; import it first`;
    const at = clock.now();
    if (await formRepository.lock(trx, row.id, at)) {
      await appendEvents(trx, clock, { id: row.id, type: 'form' }, eventActor(principal), [
        {
          type: 'form.locked',
          payload: { key: row.key, version: row.version, contentHash: row.content_hash },
        },
      ]);
    }
    return { id: row.id, key: row.key, version: row.version };
  }

  return { save, list, get, pin, runtime };
}
