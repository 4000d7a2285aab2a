import type { Knex } from 'knex';
import type { FieldChange } from '../../audit/types.ts';
import type { TransactionFacts } from '../../materials/lotStock.ts';
import { chainsOf, firstDifference, iso, type Findings } from './findings.ts';

/**
 * Materials and their suppliers, lots with their containers, and every stock transaction against
 * the audit trails they follow from: a material's facts as `material.created` stated them and each
 * change, approved specification and supplier approval since; a lot's facts as `lot.received`
 * stated them and its status as each status event set it; each transaction as the event that
 * wrote it. A transaction no event states, or an event's transaction with no row, is a finding.
 */
export async function checkMaterials(knex: Knex, findings: Findings): Promise<void> {
  const chains = await chainsOf(knex, ['material'], null, 'materials');
  const suppliers = await knex('material_suppliers').orderBy(['material_id', 'supplier_code']);
  for (const row of await knex('materials').orderBy('id')) {
    const facts: Record<string, unknown> = {};
    const replayed = new Map<string, { name: unknown; status: unknown; signatureId: unknown; at: string }>();
    let at: string | null = null;
    let createdBy: string | null = null;
    let createdAt: string | null = null;
    for (const e of chains.get(row.id) ?? []) {
      const p = e.payload;
      if (e.type === 'material.created') {
        Object.assign(facts, p);
        createdAt = e.at;
        createdBy = e.actorId;
      } else if (e.type === 'material.changed') {
        for (const c of p.changes as FieldChange[]) facts[c.path.slice(1)] = c.new;
      } else if (e.type === 'material.specification_approved') {
        facts.specification = p.specification;
        facts.specificationVersion = p.specificationVersion;
        facts.specificationSignatureId = p.signatureId;
      } else if (e.type === 'material.supplier_set') {
        replayed.set(p.supplierCode as string, {
          name: p.supplierName,
          status: p.status,
          signatureId: p.signatureId,
          at: e.at,
        });
      } else continue;
      if (e.type !== 'material.created') facts.version = p.version;
      at = e.at;
    }
    const column = firstDifference([
      ['code', row.code, facts.code ?? null],
      ['name', row.name, facts.name ?? null],
      ['type', row.type, facts.type ?? null],
      ['base_unit', row.base_unit, facts.baseUnit ?? null],
      ['storage_conditions', row.storage_conditions, facts.storageConditions ?? null],
      ['retest_months', row.retest_months, facts.retestMonths ?? null],
      ['shelf_life_months', row.shelf_life_months, facts.shelfLifeMonths ?? null],
      ['sampling_plan', row.sampling_plan, facts.samplingPlan ?? null],
      ['lot_number_pattern', row.lot_number_pattern, facts.lotNumberPattern ?? null],
      ['specification', row.specification, facts.specification ?? null],
      ['specification_version', row.specification_version, facts.specificationVersion ?? null],
      ['specification_signature_id', row.specification_signature_id, facts.specificationSignatureId ?? null],
      ['version', row.version, facts.version ?? null],
      ['created_at', iso(row.created_at), createdAt],
      ['created_by', row.created_by, createdBy],
      ['updated_at', iso(row.updated_at), at],
    ]);
    if (column) findings.differs('materials', row.id, `${row.code}: ${column} differs from its audit trail`);
    const stored = suppliers.filter((s) => s.material_id === row.id);
    for (const s of stored) {
      const r = replayed.get(s.supplier_code);
      const differs = r
        ? firstDifference([
            ['supplier_name', s.supplier_name, r.name],
            ['status', s.status, r.status],
            ['signature_id', s.signature_id, r.signatureId],
            ['updated_at', iso(s.updated_at), r.at],
          ])
        : 'supplier_code';
      if (differs)
        findings.differs(
          'material_suppliers',
          `${row.id}/${s.supplier_code}`,
          `${row.code} supplier ${s.supplier_code}: ${differs} differs from its audit trail`,
        );
    }
    for (const code of replayed.keys())
      if (!stored.some((s) => s.supplier_code === code))
        findings.differs(
          'material_suppliers',
          `${row.id}/${code}`,
          `${row.code} supplier ${code} is missing`,
        );
  }
  await checkLots(knex, findings);
}

async function checkLots(knex: Knex, findings: Findings): Promise<void> {
  const chains = await chainsOf(knex, ['lot'], null, 'lots');
  const materials = new Map(
    (await knex('materials').select('id', 'code')).map((m) => [m.id as string, m.code as string]),
  );
  const containers = await knex('lot_containers').orderBy(['lot_id', 'number']);
  const transactions = new Map<string, Record<string, unknown>[]>();
  for (const t of await knex('lot_transactions').orderBy('id')) {
    const list = transactions.get(t.lot_id) ?? [];
    list.push(t);
    transactions.set(t.lot_id, list);
  }
  const rows = await knex('lots')
    .select(
      '*',
      knex.raw(`to_char(expiry_date, 'YYYY-MM-DD') AS expiry_date`),
      knex.raw(`to_char(retest_date, 'YYYY-MM-DD') AS retest_date`),
    )
    .orderBy('id');
  for (const row of rows) {
    const facts: Record<string, unknown> = {};
    const stated = new Map<
      string,
      TransactionFacts & { at: string; by: string | null; reason: string | null }
    >();
    let at: string | null = null;
    let receivedAt: string | null = null;
    let receivedBy: string | null = null;
    for (const e of chains.get(row.id) ?? []) {
      const p = e.payload;
      for (const t of (p.transactions as TransactionFacts[] | undefined) ?? [])
        stated.set(t.id, { ...t, at: e.at, by: e.actorId, reason: e.reason });
      if (e.type === 'lot.received') {
        Object.assign(facts, p);
        receivedAt = e.at;
        receivedBy = e.actorId;
      } else if (typeof p.status === 'string' && typeof p.version === 'number') {
        facts.status = p.status;
        facts.version = p.version;
        if (p.signatureId !== undefined) facts.signatureId = p.signatureId;
      } else continue;
      at = e.at;
    }
    const stateContainers =
      (facts.containers as { id: string; code: string; number: number }[] | undefined) ?? [];
    const column = firstDifference([
      ['lot_number', row.lot_number, facts.lotNumber ?? null],
      ['material_id', materials.get(row.material_id) ?? null, facts.material ?? null],
      ['supplier_code', row.supplier_code, facts.supplierCode ?? null],
      ['supplier_lot', row.supplier_lot, facts.supplierLot ?? null],
      ['status', row.status, facts.status ?? null],
      ['unit', row.unit, facts.unit ?? null],
      ['expiry_date', row.expiry_date, facts.expiryDate ?? null],
      ['retest_date', row.retest_date, facts.retestDate ?? null],
      ['location', row.location, facts.location ?? null],
      ['version', row.version, facts.version ?? null],
      ['signature_id', row.signature_id, facts.signatureId ?? null],
      ['received_at', iso(row.received_at), receivedAt],
      ['received_by', row.received_by, receivedBy],
      ['updated_at', iso(row.updated_at), at],
      [
        'containers',
        containers
          .filter((c) => c.lot_id === row.id)
          .map((c) => ({ id: c.id, code: c.code, number: c.number })),
        stateContainers,
      ],
    ]);
    if (column) findings.differs('lots', row.id, `${row.lot_number}: ${column} differs from its audit trail`);
    const stored = transactions.get(row.id) ?? [];
    for (const t of stored) {
      const s = stated.get(t.id as string);
      const differs = s
        ? firstDifference([
            ['container_id', t.container_id, s.containerId],
            ['kind', t.kind, s.kind],
            ['quantity', Number(t.quantity), s.quantity],
            ['location', t.location, s.location],
            ['instance_id', t.instance_id, s.instanceId],
            ['task_id', t.task_id, s.taskId],
            ['reason', t.reason, s.reason],
            ['at', iso(t.at as Date), s.at],
            ['by', t.by, s.by],
          ])
        : 'id';
      if (differs)
        findings.differs(
          'lot_transactions',
          t.id as string,
          `${row.lot_number}: a ${t.kind as string} transaction’s ${differs} differs from its audit trail`,
        );
    }
    if (stated.size !== stored.length)
      findings.differs(
        'lot_transactions',
        row.id,
        `${row.lot_number}: its trail states ${stated.size} transactions, ${stored.length} are stored`,
      );
  }
}
