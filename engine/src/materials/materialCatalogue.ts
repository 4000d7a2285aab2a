import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { appendEvents } from '../audit/auditTrail.ts';
import type { FieldChange } from '../audit/types.ts';
import type { Clock } from '../kernel/clock.ts';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '../kernel/errors.ts';
import { eventActor, requirePermission, type Principal } from '../kernel/permissions.ts';
import { optionalText, requireText } from '../kernel/textInput.ts';
import type { Reauthenticate } from '../signatures/signatureService.ts';
import { writeSignature } from '../signatures/signatureWriter.ts';
import { parseNumbering } from '../templates/package.ts';
import {
  BASE_UNITS,
  MATERIAL_TYPES,
  Problems,
  SAMPLING_PLANS,
  SUPPLIER_STATUSES,
  codeOf,
  materialSubject,
  monthsOf,
  oneOf,
  type BaseUnit,
  type MaterialType,
  type SamplingPlan,
  type SupplierStatus,
} from './materialFacts.ts';
import { parseCsv } from '../kernel/csv.ts';

/** A material as it is created or changed (every field, with the reason for it). */
export interface MaterialInput {
  code: string;
  name: string;
  type: MaterialType;
  baseUnit: BaseUnit;
  storageConditions?: string | null;
  retestMonths: number | null;
  shelfLifeMonths: number | null;
  samplingPlan: SamplingPlan;
  lotNumberPattern: string;
  reason: string;
}

/** One test of a specification: numeric limits (with a unit) or the results allowed. */
export interface SpecificationTest {
  name: string;
  method: string;
  unit: string | null;
  limits: { min: number | null; max: number | null } | null;
  allowedResults: string[] | null;
}

export interface SupplierView {
  code: string;
  name: string;
  status: SupplierStatus;
  signatureId: string;
  updatedAt: string;
}

export interface MaterialView {
  id: string;
  code: string;
  name: string;
  type: MaterialType;
  baseUnit: BaseUnit;
  storageConditions: string | null;
  retestMonths: number | null;
  shelfLifeMonths: number | null;
  samplingPlan: SamplingPlan;
  lotNumberPattern: string;
  specification: SpecificationTest[];
  /** 0 until a specification is approved. */
  specificationVersion: number;
  specificationSignatureId: string | null;
  suppliers: SupplierView[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A signed act: the password again, a reason, and the version the signer read. */
export interface SignedInput {
  password: unknown;
  reason: unknown;
  version: unknown;
}

export interface MaterialCatalogue {
  list(principal: Principal): Promise<MaterialView[]>;
  get(principal: Principal, code: string): Promise<MaterialView>;
  create(principal: Principal, input: MaterialInput): Promise<MaterialView>;
  change(
    principal: Principal,
    code: string,
    input: MaterialInput & { version: number },
  ): Promise<MaterialView>;
  /** The first load: CSV with a header row, every row checked first, all created or none. */
  importCsv(principal: Principal, input: { csv: unknown; reason: unknown }): Promise<MaterialView[]>;
  /** Sets a supplier's approval for the material: an e-signed act (Approved) by materials.manage. */
  setSupplier(
    principal: Principal,
    code: string,
    input: SignedInput & { supplierCode: unknown; supplierName: unknown; status: unknown },
  ): Promise<MaterialView>;
  /** Approves a new specification: an e-signed act (Approved) by materials.release. */
  approveSpecification(
    principal: Principal,
    code: string,
    input: SignedInput & { specification: unknown },
  ): Promise<MaterialView>;
}

export interface MaterialRow {
  id: string;
  code: string;
  name: string;
  type: MaterialType;
  base_unit: BaseUnit;
  storage_conditions: string | null;
  retest_months: number | null;
  shelf_life_months: number | null;
  sampling_plan: SamplingPlan;
  lot_number_pattern: string;
  specification: SpecificationTest[];
  specification_version: number;
  specification_signature_id: string | null;
  version: number;
  created_at: Date;
  created_by: string;
  updated_at: Date;
}

/** The facts of a material an event states and a row holds, by their names in the trail. */
export const MATERIAL_FACTS = [
  'code',
  'name',
  'type',
  'baseUnit',
  'storageConditions',
  'retestMonths',
  'shelfLifeMonths',
  'samplingPlan',
  'lotNumberPattern',
] as const;
type Facts = Pick<MaterialInput, (typeof MATERIAL_FACTS)[number]> & { storageConditions: string | null };

export const factsOfRow = (row: MaterialRow): Facts => ({
  code: row.code,
  name: row.name,
  type: row.type,
  baseUnit: row.base_unit,
  storageConditions: row.storage_conditions,
  retestMonths: row.retest_months,
  shelfLifeMonths: row.shelf_life_months,
  samplingPlan: row.sampling_plan,
  lotNumberPattern: row.lot_number_pattern,
});

const columns = (f: Facts) => ({
  code: f.code,
  name: f.name,
  type: f.type,
  base_unit: f.baseUnit,
  storage_conditions: f.storageConditions,
  retest_months: f.retestMonths,
  shelf_life_months: f.shelfLifeMonths,
  sampling_plan: f.samplingPlan,
  lot_number_pattern: f.lotNumberPattern,
});

/** Whoever works with materials or reads the audit trail may read them. */
export function mayReadMaterials(principal: Principal): void {
  for (const p of ['materials.manage', 'materials.receive', 'materials.release', 'audit.read'] as const)
    if (principal.permissions.has(p)) return;
  throw new NotAllowedError('Reading materials and lots needs a materials permission or audit.read');
}

/** A material's fields checked, all problems at once, pointers prefixed by `at` (a CSV line). */
function checkedFacts(input: MaterialInput, at = ''): Facts & { reason?: string } {
  const problems = new Problems();
  const code = codeOf(problems, input.code, `${at}/code`);
  const name = problems.field(() => requireText(input.name, `${at}/name`, 200));
  const type = oneOf(problems, input.type, `${at}/type`, MATERIAL_TYPES);
  const baseUnit = oneOf(problems, input.baseUnit, `${at}/baseUnit`, BASE_UNITS);
  const storageConditions = problems.field(() =>
    optionalText(input.storageConditions, `${at}/storageConditions`, 500),
  );
  const retestMonths = monthsOf(problems, input.retestMonths, `${at}/retestMonths`);
  const shelfLifeMonths = monthsOf(problems, input.shelfLifeMonths, `${at}/shelfLifeMonths`);
  const samplingPlan = oneOf(problems, input.samplingPlan, `${at}/samplingPlan`, SAMPLING_PLANS);
  const pattern = problems.field(() => requireText(input.lotNumberPattern, `${at}/lotNumberPattern`, 60));
  if (pattern?.includes('/'))
    problems.fail(
      `${at}/lotNumberPattern`,
      'pattern',
      'must not hold a /: lot numbers go into addresses and scans',
    );
  else if (pattern !== undefined && code !== undefined) {
    try {
      parseNumbering(pattern.replaceAll('{material}', code));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.fail(`${at}/lotNumberPattern`, 'pattern', error.errors[0]?.message ?? error.message);
    }
  }
  problems.check(at === '' ? 'The material' : `Line ${at.split('/')[2]}`);
  return {
    code: code!,
    name: name!,
    type: type!,
    baseUnit: baseUnit!,
    storageConditions: storageConditions ?? null,
    retestMonths,
    shelfLifeMonths,
    samplingPlan: samplingPlan!,
    lotNumberPattern: pattern!,
  };
}

/** A specification as QA writes it: at least one test, each with numeric limits or allowed results. */
function checkedSpecification(value: unknown): SpecificationTest[] {
  const problems = new Problems();
  if (!Array.isArray(value) || value.length === 0 || value.length > 100) {
    problems.fail('/specification', 'type', 'must be a list of 1 to 100 tests');
    problems.check('The specification');
  }
  const tests = (value as Record<string, unknown>[]).map((test, i) => {
    const at = `/specification/${i}`;
    if (typeof test !== 'object' || test === null) {
      problems.fail(at, 'type', 'must be a test: name, method, unit, limits or allowed results');
      return undefined;
    }
    const name = problems.field(() => requireText(test.name, `${at}/name`, 200));
    const method = problems.field(() => requireText(test.method, `${at}/method`, 200));
    const unit = problems.field(() => optionalText(test.unit, `${at}/unit`, 20)) ?? null;
    let limits: SpecificationTest['limits'] = null;
    let allowedResults: string[] | null = null;
    if (test.limits !== undefined && test.limits !== null) {
      const l = test.limits as Record<string, unknown>;
      const bound = (v: unknown) => (v === undefined || v === null ? null : v);
      const [min, max] = [bound(l.min), bound(l.max)];
      if (
        typeof l !== 'object' ||
        [min, max].some((v) => v !== null && (typeof v !== 'number' || !Number.isFinite(v))) ||
        (min === null && max === null) ||
        (min !== null && max !== null && (min as number) > (max as number))
      )
        problems.fail(`${at}/limits`, 'type', 'must have a numeric min, max or both, min not above max');
      else limits = { min: min as number | null, max: max as number | null };
    }
    if (test.allowedResults !== undefined && test.allowedResults !== null) {
      const a = test.allowedResults;
      if (!Array.isArray(a) || a.length === 0 || a.some((r) => typeof r !== 'string' || r.trim() === ''))
        problems.fail(`${at}/allowedResults`, 'type', 'must be a list of results in words');
      else allowedResults = (a as string[]).map((r) => r.trim());
    }
    if (
      (limits === null) === (allowedResults === null) &&
      !problems.errors.some((e) => e.pointer.startsWith(`${at}/`))
    )
      problems.fail(at, 'oneOf', 'must have either limits or allowed results');
    return { name: name!, method: method!, unit, limits, allowedResults };
  });
  problems.check('The specification');
  return tests as SpecificationTest[];
}

export function createMaterialCatalogue(deps: {
  knex: Knex;
  clock: Clock;
  reauthenticate: Reauthenticate;
}): MaterialCatalogue {
  const { knex, clock, reauthenticate } = deps;

  const supplierViews = async (db: Knex | Knex.Transaction, ids: string[]) => {
    const rows = await db('material_suppliers').whereIn('material_id', ids).orderBy('supplier_code');
    const by = new Map<string, SupplierView[]>();
    for (const r of rows) {
      const list = by.get(r.material_id) ?? [];
      list.push({
        code: r.supplier_code,
        name: r.supplier_name,
        status: r.status,
        signatureId: r.signature_id,
        updatedAt: new Date(r.updated_at).toISOString(),
      });
      by.set(r.material_id, list);
    }
    return by;
  };

  const views = async (db: Knex | Knex.Transaction, rows: MaterialRow[]): Promise<MaterialView[]> => {
    const suppliers = await supplierViews(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((row) => ({
      id: row.id,
      ...factsOfRow(row),
      specification: row.specification,
      specificationVersion: row.specification_version,
      specificationSignatureId: row.specification_signature_id,
      suppliers: suppliers.get(row.id) ?? [],
      version: row.version,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    }));
  };

  async function find(db: Knex | Knex.Transaction, code: string, lock = false): Promise<MaterialRow> {
    const q = db('materials')
      .where({ code: typeof code === 'string' ? code : '' })
      .first();
    const row = (await (lock ? q.forUpdate() : q)) as MaterialRow | undefined;
    if (!row) throw new NotFoundError(`There is no material ${code}`);
    return row;
  }

  async function list(principal: Principal): Promise<MaterialView[]> {
    mayReadMaterials(principal);
    return views(knex, (await knex('materials').orderBy('code')) as MaterialRow[]);
  }

  async function get(principal: Principal, code: string): Promise<MaterialView> {
    mayReadMaterials(principal);
    return (await views(knex, [await find(knex, code)]))[0]!;
  }

  async function insert(trx: Knex.Transaction, principal: Principal, facts: Facts, reason: string) {
    if (await trx('materials').where({ code: facts.code }).first('id'))
      throw new ConflictError(`A material ${facts.code} exists already`);
    const id = randomUUID();
    const [event] = await appendEvents(trx, clock, materialSubject(id), eventActor(principal), [
      {
        type: 'material.created',
        payload: { ...facts, specification: [], specificationVersion: 0, version: 1 },
        reason,
      },
    ]);
    await trx('materials').insert({
      id,
      ...columns(facts),
      specification: JSON.stringify([]),
      specification_version: 0,
      version: 1,
      created_at: event!.at,
      created_by: principal.userId,
      updated_at: event!.at,
    });
  }

  async function create(principal: Principal, input: MaterialInput): Promise<MaterialView> {
    requirePermission(principal, 'materials.manage');
    const facts = checkedFacts(input);
    const reason = requireText(input.reason, '/reason', 1000);
    await knex.transaction((trx) => insert(trx, principal, facts, reason));
    return get(principal, facts.code);
  }

  async function change(
    principal: Principal,
    code: string,
    input: MaterialInput & { version: number },
  ): Promise<MaterialView> {
    requirePermission(principal, 'materials.manage');
    const facts = checkedFacts(input);
    const reason = requireText(input.reason, '/reason', 1000);
    await knex.transaction(async (trx) => {
      const row = await find(trx, code, true);
      if (input.version !== row.version)
        throw new ConflictError(
          `Material ${row.code} was changed since version ${input.version} was read (it is at version ${row.version}); reload it`,
        );
      const before = factsOfRow(row);
      const changes: FieldChange[] = MATERIAL_FACTS.filter(
        (k) => JSON.stringify(before[k]) !== JSON.stringify(facts[k]),
      ).map((k) => ({ path: `/${k}`, old: before[k], new: facts[k] }));
      if (changes.length === 0) throw new ConflictError(`Nothing of material ${row.code} is changed`);
      if (facts.code !== row.code && (await trx('materials').where({ code: facts.code }).first('id')))
        throw new ConflictError(`A material ${facts.code} exists already`);
      if (facts.code !== row.code && (await trx('lots').where({ material_id: row.id }).first('id')))
        throw new ConflictError(
          `Material ${row.code} has lots received: its code is on their labels and may not change`,
        );
      const version = row.version + 1;
      const [event] = await appendEvents(trx, clock, materialSubject(row.id), eventActor(principal), [
        { type: 'material.changed', payload: { changes, version }, reason },
      ]);
      await trx('materials')
        .where({ id: row.id })
        .update({ ...columns(facts), version, updated_at: event!.at });
    });
    return get(principal, facts.code);
  }

  async function importCsv(principal: Principal, input: { csv: unknown; reason: unknown }) {
    requirePermission(principal, 'materials.manage');
    const reason = requireText(input.reason, '/reason', 1000);
    if (typeof input.csv !== 'string' || input.csv.trim() === '')
      throw new InputError('csv must be the text of a CSV file', [
        { pointer: '/csv', keyword: 'type', message: 'must be the text of a CSV file' },
      ]);
    const [head, ...lines] = parseCsv(input.csv);
    const header = (head?.cells ?? []).map((h) => h.trim());
    const problems = new Problems();
    for (const required of ['code', 'name', 'type', 'baseUnit', 'samplingPlan', 'lotNumberPattern'])
      if (!header.includes(required))
        problems.fail('/csv/lines/1', 'required', `the header has no column ${required}`);
    for (const h of header)
      if (!(MATERIAL_FACTS as readonly string[]).includes(h))
        problems.fail('/csv/lines/1', 'additionalProperties', `${h} is not a column of a material`);
    problems.check('The CSV header');
    const all: Facts[] = [];
    const seen = new Map<string, number>();
    lines.forEach(({ line, cells }) => {
      const at = `/csv/lines/${line}`;
      if (cells.length !== header.length) {
        problems.fail(at, 'columns', `has ${cells.length} columns, the header ${header.length}`);
        return;
      }
      const raw = Object.fromEntries(header.map((h, k) => [h, cells[k]!.trim()]));
      const months = (v: string | undefined) =>
        v === undefined || v === '' ? null : /^\d+$/.test(v) ? Number(v) : v;
      const facts = problems.field(() =>
        checkedFacts(
          {
            ...(raw as unknown as MaterialInput),
            retestMonths: months(raw.retestMonths) as number | null,
            shelfLifeMonths: months(raw.shelfLifeMonths) as number | null,
          },
          at,
        ),
      );
      if (!facts) return;
      const earlier = seen.get(facts.code);
      if (earlier) problems.fail(`${at}/code`, 'uniqueItems', `${facts.code} is on line ${earlier} too`);
      seen.set(facts.code, line);
      all.push(facts);
    });
    if (all.length === 0 && problems.errors.length === 0)
      problems.fail('/csv', 'minItems', 'has no material below its header');
    problems.check('The CSV');
    await knex.transaction(async (trx) => {
      const taken = (await trx('materials')
        .whereIn(
          'code',
          all.map((f) => f.code),
        )
        .pluck('code')) as string[];
      if (taken.length > 0)
        throw new InputError(
          `Materials exist already: ${taken.join(', ')}`,
          taken.map((c) => ({
            pointer: `/csv/lines/${seen.get(c)}/code`,
            keyword: 'unique',
            message: `a material ${c} exists already`,
          })),
        );
      for (const facts of all) await insert(trx, principal, facts, reason);
    });
    return views(
      knex,
      (await knex('materials')
        .whereIn('code', [...seen.keys()])
        .orderBy('code')) as MaterialRow[],
    );
  }

  /** What a signature on a material covers: its facts, specification and suppliers as the act leaves them. */
  const signedContent = (row: MaterialRow, suppliers: SupplierView[]) => ({
    content: {
      ...factsOfRow(row),
      specification: row.specification,
      specificationVersion: row.specification_version,
      suppliers: suppliers.map((s) => ({ code: s.code, name: s.name, status: s.status })),
    },
    version: row.version,
    authorId: null,
  });

  /** Reads, checks the version, re-authenticates and writes the signed act in one transaction. */
  async function signed(
    principal: Principal,
    code: string,
    input: SignedInput,
    act: (
      trx: Knex.Transaction,
      row: MaterialRow,
      reason: string,
      sign: (after: MaterialRow, suppliers: SupplierView[]) => Promise<string>,
    ) => Promise<void>,
  ): Promise<MaterialView> {
    const reason = requireText(input.reason, '/reason', 1000);
    if (typeof input.version !== 'number')
      throw new InputError('version must be the version of the material as it was read', [
        { pointer: '/version', keyword: 'type', message: 'must be the version as read' },
      ]);
    await find(knex, code);
    const signer = await reauthenticate(principal, input.password);
    await knex.transaction(async (trx) => {
      const row = await find(trx, code, true);
      if (input.version !== row.version)
        throw new ConflictError(
          `Material ${row.code} was changed since version ${input.version as number} was read (it is at version ${row.version}); reload it`,
        );
      await act(trx, row, reason, async (after, suppliers) => {
        const signature = await writeSignature(
          trx,
          clock,
          materialSubject(row.id),
          signedContent(after, suppliers),
          { userId: signer.id, username: signer.username, printedName: signer.printed_name },
          'Approved',
          reason,
        );
        return signature.id;
      });
    });
    return get(principal, code);
  }

  async function setSupplier(
    principal: Principal,
    code: string,
    input: SignedInput & { supplierCode: unknown; supplierName: unknown; status: unknown },
  ): Promise<MaterialView> {
    requirePermission(principal, 'materials.manage');
    const problems = new Problems();
    const supplierCode = codeOf(problems, input.supplierCode, '/supplierCode');
    const supplierName = problems.field(() => requireText(input.supplierName, '/supplierName', 200));
    const status = oneOf(problems, input.status, '/status', SUPPLIER_STATUSES);
    problems.check('The supplier');
    return signed(principal, code, input, async (trx, row, reason, sign) => {
      const old = await trx('material_suppliers')
        .where({ material_id: row.id, supplier_code: supplierCode })
        .first();
      if (old && old.status === status && old.supplier_name === supplierName)
        throw new ConflictError(`Supplier ${supplierCode!} of ${row.code} is ${status!} already`);
      const version = row.version + 1;
      const current = (await supplierViews(trx, [row.id])).get(row.id) ?? [];
      const after = [
        ...current.filter((s) => s.code !== supplierCode),
        { code: supplierCode!, name: supplierName!, status: status!, signatureId: '', updatedAt: '' },
      ].sort((a, b) => (a.code < b.code ? -1 : 1));
      const signatureId = await sign({ ...row, version }, after);
      const [event] = await appendEvents(trx, clock, materialSubject(row.id), eventActor(principal), [
        {
          type: 'material.supplier_set',
          payload: {
            supplierCode,
            supplierName,
            status,
            old: old ? { supplierName: old.supplier_name, status: old.status } : null,
            signatureId,
            version,
          },
          reason,
        },
      ]);
      const fields = {
        supplier_name: supplierName,
        status,
        signature_id: signatureId,
        updated_at: event!.at,
      };
      if (old)
        await trx('material_suppliers')
          .where({ material_id: row.id, supplier_code: supplierCode })
          .update(fields);
      else
        await trx('material_suppliers').insert({
          material_id: row.id,
          supplier_code: supplierCode,
          ...fields,
        });
      await trx('materials').where({ id: row.id }).update({ version, updated_at: event!.at });
    });
  }

  async function approveSpecification(
    principal: Principal,
    code: string,
    input: SignedInput & { specification: unknown },
  ): Promise<MaterialView> {
    requirePermission(principal, 'materials.release');
    const specification = checkedSpecification(input.specification);
    return signed(principal, code, input, async (trx, row, reason, sign) => {
      if (JSON.stringify(row.specification) === JSON.stringify(specification))
        throw new ConflictError(`The specification of ${row.code} is approved as it is already`);
      const version = row.version + 1;
      const specificationVersion = row.specification_version + 1;
      const suppliers = (await supplierViews(trx, [row.id])).get(row.id) ?? [];
      const signatureId = await sign(
        { ...row, specification, specification_version: specificationVersion, version },
        suppliers,
      );
      const [event] = await appendEvents(trx, clock, materialSubject(row.id), eventActor(principal), [
        {
          type: 'material.specification_approved',
          payload: {
            specification,
            specificationVersion,
            old: { specification: row.specification, specificationVersion: row.specification_version },
            signatureId,
            version,
          },
          reason,
        },
      ]);
      await trx('materials')
        .where({ id: row.id })
        .update({
          specification: JSON.stringify(specification),
          specification_version: specificationVersion,
          specification_signature_id: signatureId,
          version,
          updated_at: event!.at,
        });
    });
  }

  return { list, get, create, change, importCsv, setSupplier, approveSpecification };
}
