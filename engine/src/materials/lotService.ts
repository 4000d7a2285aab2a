import { plantDate } from '../kernel/clock.ts';
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { appendEvents } from '../audit/auditTrail.ts';
import { toEvent } from '../audit/eventRepository.ts';
import { SYSTEM_ACTOR, type AuditEvent } from '../audit/types.ts';
import type { Clock } from '../kernel/clock.ts';
import { ConflictError, InputError } from '../kernel/errors.ts';
import { eventActor, requirePermission, type Principal } from '../kernel/permissions.ts';
import { optionalText, requireText } from '../kernel/textInput.ts';
import type { Reauthenticate } from '../signatures/signatureService.ts';
import { writeSignature } from '../signatures/signatureWriter.ts';
import { formatNumber } from '../templates/package.ts';
import type { Meaning } from '../signatures/types.ts';
import { mayReadMaterials, type MaterialRow } from './materialCatalogue.ts';
import {
  LOT_STATUSES,
  Problems,
  addMonths,
  amount,
  codeOf,
  isDate,
  lotSubject,
  oneOf,
  quantityOf,
  reasonOf,
  type LotStatus,
  type TransactionKind,
} from './materialFacts.ts';
import { findLot, lotRows, type LotRow } from './lotRows.ts';
import { STATUS_WORDS, usabilityRefusal } from './lotUsability.ts';
import { holdings, recordTransactions, total, withdrawals, type Holding } from './lotStock.ts';

export interface ReceiptInput {
  material: unknown;
  supplier: unknown;
  supplierLot: unknown;
  /** The quantity in each container, in the material's base unit. */
  containers: unknown;
  /** YYYY-MM-DD; null or absent: computed from the material's shelf life. */
  expiryDate?: unknown;
  location: unknown;
}

export interface ContainerView {
  id: string;
  code: string;
  number: number;
  stock: number;
}

export interface LotView {
  id: string;
  lotNumber: string;
  material: string;
  materialName: string;
  supplierCode: string;
  supplierLot: string;
  status: LotStatus;
  unit: string;
  receivedAt: string;
  expiryDate: string;
  retestDate: string | null;
  location: string;
  stock: number;
  containers: ContainerView[];
  version: number;
  signatureId: string | null;
  updatedAt: string;
}

export interface TransactionView {
  id: string;
  containerCode: string | null;
  kind: TransactionKind;
  quantity: number;
  location: string;
  instanceId: string | null;
  taskId: string | null;
  reason: string | null;
  at: string;
  by: string;
}

export interface LotDetail extends LotView {
  /** Stock per container and location, from the transactions. */
  holdings: Holding[];
  transactions: TransactionView[];
  trail: AuditEvent[];
}

/** A status change as asked: the status wanted, and for signed ones the password and reason. */
export interface StatusInput {
  status: unknown;
  version: unknown;
  password?: unknown;
  reason?: unknown;
  /** For sampling: the quantity taken from each container the sampling plan picks. */
  sampleQuantity?: unknown;
}

export interface MoveInput {
  kind: unknown;
  quantity: unknown;
  container?: unknown;
  reason?: unknown;
  instanceId?: unknown;
  taskId?: unknown;
}

export interface LotService {
  list(principal: Principal, filter?: { material?: string; status?: string }): Promise<LotView[]>;
  get(principal: Principal, lotNumber: string): Promise<LotDetail>;
  receive(principal: Principal, input: ReceiptInput): Promise<LotDetail>;
  changeStatus(principal: Principal, lotNumber: string, input: StatusInput): Promise<LotDetail>;
  /** An issue, return, adjustment (reason) or destruction (reason) of a quantity; never beyond stock. */
  move(principal: Principal, lotNumber: string, input: MoveInput): Promise<LotDetail>;
  /** Marks every lot past its expiry date in the plant's zone as expired (the system's event). */
  expireDue(at: Date): Promise<string[]>;
}

/** The status changes a lot's lifecycle allows, from each status. */
export const LIFECYCLE: Record<LotStatus, LotStatus[]> = {
  quarantine: ['sampled', 'released', 'rejected', 'returned'],
  sampled: ['released', 'rejected', 'returned'],
  released: ['recalled', 'returned'],
  rejected: ['returned'],
  expired: ['returned'],
  recalled: ['returned'],
  returned: [],
};

/** The signed status changes, with the meaning of their signature; a reason is needed for all but release. */
const SIGNED: Partial<Record<LotStatus, Meaning>> = {
  released: 'Released',
  rejected: 'Rejected',
  recalled: 'Approved',
  returned: 'Approved',
};

/** How many containers of n the plan samples. */
export function sampledCount(plan: MaterialRow['sampling_plan'], n: number): number {
  if (plan === 'all') return n;
  if (plan === 'first') return Math.min(1, n);
  return Math.min(n, Math.ceil(Math.sqrt(n) + 1));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createLotService(deps: {
  knex: Knex;
  clock: Clock;
  timeZone: string;
  reauthenticate: Reauthenticate;
}): LotService {
  const { knex, clock, timeZone, reauthenticate } = deps;

  async function views(db: Knex | Knex.Transaction, rows: LotRow[]): Promise<LotView[]> {
    const ids = rows.map((r) => r.id);
    const containers = await db('lot_containers').whereIn('lot_id', ids).orderBy(['lot_id', 'number']);
    const stock = await db('lot_stock').whereIn('lot_id', ids).select('lot_id', 'container_id', 'quantity');
    const sum = (pick: (s: { lot_id: string; container_id: string | null }) => boolean) =>
      amount(stock.filter(pick).reduce((a, s) => a + Number(s.quantity), 0));
    return rows.map((row) => ({
      id: row.id,
      lotNumber: row.lot_number,
      material: row.material_code,
      materialName: row.material_name,
      supplierCode: row.supplier_code,
      supplierLot: row.supplier_lot,
      status: row.status,
      unit: row.unit,
      receivedAt: row.received_at.toISOString(),
      expiryDate: row.expiry_date,
      retestDate: row.retest_date,
      location: row.location,
      stock: sum((s) => s.lot_id === row.id),
      containers: containers
        .filter((c) => c.lot_id === row.id)
        .map((c) => ({
          id: c.id,
          code: c.code,
          number: c.number,
          stock: sum((s) => s.container_id === c.id),
        })),
      version: row.version,
      signatureId: row.signature_id,
      updatedAt: row.updated_at.toISOString(),
    }));
  }

  async function list(principal: Principal, filter: { material?: string; status?: string } = {}) {
    mayReadMaterials(principal);
    const q = lotRows(knex).orderBy('l.lot_number');
    if (filter.material) q.where('m.code', filter.material);
    if (filter.status) q.where('l.status', filter.status);
    return views(knex, (await q) as LotRow[]);
  }

  async function get(principal: Principal, lotNumber: string): Promise<LotDetail> {
    mayReadMaterials(principal);
    const row = await findLot(knex, lotNumber);
    const [view] = await views(knex, [row]);
    const transactions = await knex('lot_transactions as t')
      .leftJoin('lot_containers as c', 'c.id', 't.container_id')
      .join('users as u', 'u.id', 't.by')
      .where('t.lot_id', row.id)
      .select('t.*', 'c.code as container_code', 'u.printed_name')
      .orderBy([{ column: 't.at' }, { column: 'c.number' }]);
    const trail = (await knex('events').where({ record_id: row.id }).orderBy('seq')).map(toEvent);
    return {
      ...view!,
      holdings: await holdings(knex, row.id),
      transactions: transactions.map((t) => ({
        id: t.id,
        containerCode: t.container_code,
        kind: t.kind,
        quantity: amount(t.quantity),
        location: t.location,
        instanceId: t.instance_id,
        taskId: t.task_id,
        reason: t.reason,
        at: new Date(t.at).toISOString(),
        by: t.printed_name,
      })),
      trail,
    };
  }

  /** The next lot number of a material: the counter row stays locked until the transaction ends. */
  async function nextLotNumber(trx: Knex.Transaction, material: MaterialRow, at: Date): Promise<string> {
    const year = Number(plantDate(at, timeZone).slice(0, 4));
    const { rows } = await trx.raw<{ rows: { last: number }[] }>(
      `INSERT INTO lot_counters (material_id, year, last) VALUES (?, ?, 1)
       ON CONFLICT (material_id, year) DO UPDATE SET last = lot_counters.last + 1
       RETURNING last`,
      [material.id, year],
    );
    return formatNumber(material.lot_number_pattern.replaceAll('{material}', material.code), {
      year,
      seq: rows[0]!.last,
    });
  }

  async function receive(principal: Principal, input: ReceiptInput): Promise<LotDetail> {
    requirePermission(principal, 'materials.receive');
    const problems = new Problems();
    const materialCode = codeOf(problems, input.material, '/material');
    const supplier = codeOf(problems, input.supplier, '/supplier');
    const supplierLot = problems.field(() => requireText(input.supplierLot, '/supplierLot', 100));
    const location = problems.field(() => requireText(input.location, '/location', 100));
    const quantities: number[] = [];
    if (!Array.isArray(input.containers) || input.containers.length === 0 || input.containers.length > 999)
      problems.fail('/containers', 'type', 'must be a list of 1 to 999 containers, each with its quantity');
    else
      input.containers.forEach((c: unknown, i) => {
        const q = quantityOf(
          problems,
          (c as { quantity?: unknown } | null)?.quantity,
          `/containers/${i}/quantity`,
          'positive',
        );
        if (q !== undefined) quantities.push(q);
      });
    const expiryGiven = input.expiryDate ?? null;
    if (expiryGiven !== null && !isDate(expiryGiven))
      problems.fail('/expiryDate', 'format', 'must be a date, YYYY-MM-DD, or null');
    problems.check('The receipt');
    let number = '';
    await knex.transaction(async (trx) => {
      const material = (await trx('materials').where({ code: materialCode }).first()) as
        MaterialRow | undefined;
      if (!material)
        throw new InputError(`There is no material ${materialCode!}`, [
          { pointer: '/material', keyword: 'enum', message: `there is no material ${materialCode!}` },
        ]);
      const approval = await trx('material_suppliers')
        .where({ material_id: material.id, supplier_code: supplier })
        .first();
      if (!approval)
        throw new InputError(`${supplier!} is not a supplier of ${material.code}: receipt refused`, [
          {
            pointer: '/supplier',
            keyword: 'enum',
            message: `is not an approved supplier of ${material.code}`,
          },
        ]);
      if (approval.status === 'blocked')
        throw new InputError(`Supplier ${supplier!} is blocked for ${material.code}: receipt refused`, [
          { pointer: '/supplier', keyword: 'enum', message: `is blocked for ${material.code}` },
        ]);
      const now = clock.now();
      const received = plantDate(now, timeZone);
      const expiryDate =
        (expiryGiven as string | null) ??
        (material.shelf_life_months === null ? null : addMonths(received, material.shelf_life_months));
      if (expiryDate === null)
        throw new InputError(`${material.code} has no shelf life: the expiry date is needed`, [
          {
            pointer: '/expiryDate',
            keyword: 'required',
            message: 'is needed: the material has no shelf life',
          },
        ]);
      if (expiryDate <= received)
        throw new InputError(`Expiry date ${expiryDate} has passed: an expired lot is not received`, [
          { pointer: '/expiryDate', keyword: 'formatMinimum', message: 'must be after today' },
        ]);
      const retestDate = material.retest_months === null ? null : addMonths(received, material.retest_months);
      number = await nextLotNumber(trx, material, now);
      if (await trx('lots').where({ lot_number: number }).first('id'))
        throw new ConflictError(
          `Lot number ${number} is taken already: the pattern of ${material.code} gives numbers that repeat`,
        );
      const id = randomUUID();
      const containers = quantities.map((_, i) => ({
        id: randomUUID(),
        code: `${number}-C${String(i + 1).padStart(2, '0')}`,
        number: i + 1,
      }));
      const facts = {
        lotNumber: number,
        material: material.code,
        supplierCode: supplier!,
        supplierLot: supplierLot!,
        status: 'quarantine' as const,
        unit: material.base_unit,
        expiryDate,
        retestDate,
        location: location!,
        containers,
        version: 1,
      };
      // The lot row first: its transactions name it.
      await trx('lots').insert({
        id,
        lot_number: number,
        material_id: material.id,
        supplier_code: supplier,
        supplier_lot: supplierLot,
        status: 'quarantine',
        unit: material.base_unit,
        received_at: now,
        received_by: principal.userId,
        expiry_date: expiryDate,
        retest_date: retestDate,
        location,
        version: 1,
        updated_at: now,
      });
      await trx('lot_containers').insert(containers.map((c) => ({ ...c, lot_id: id })));
      const { at } = await recordTransactions(
        trx,
        clock,
        id,
        eventActor(principal),
        'lot.received',
        containers.map((c, i) => ({
          containerId: c.id,
          kind: 'receipt',
          quantity: quantities[i]!,
          location: location!,
          instanceId: null,
          taskId: null,
        })),
        null,
        facts,
      );
      await trx('lots').where({ id }).update({ received_at: at, updated_at: at });
    });
    return get(principal, number);
  }

  /** What a signature on a lot covers: the lot as the act leaves it, with its containers and stock. */
  const signedContent = async (trx: Knex.Transaction, row: LotRow) => ({
    content: {
      lotNumber: row.lot_number,
      material: row.material_code,
      supplierCode: row.supplier_code,
      supplierLot: row.supplier_lot,
      status: row.status,
      expiryDate: row.expiry_date,
      retestDate: row.retest_date,
      holdings: await holdings(trx, row.id),
    },
    version: row.version,
    authorId: null,
  });

  async function changeStatus(principal: Principal, lotNumber: string, input: StatusInput) {
    const problems = new Problems();
    const to = oneOf(problems, input.status, '/status', LOT_STATUSES);
    if (typeof input.version !== 'number') problems.fail('/version', 'type', 'must be the version as read');
    problems.check('The status change');
    const meaning = SIGNED[to!] ?? null;
    requirePermission(principal, meaning ? 'materials.release' : 'materials.receive');
    const reason = reasonOf(
      problems,
      input.reason,
      meaning && to !== 'released' ? `to set a lot ${to!}` : null,
    );
    const sample =
      to === 'sampled'
        ? quantityOf(problems, input.sampleQuantity, '/sampleQuantity', 'positive')
        : undefined;
    problems.check('The status change');

    const allowed = (row: LotRow) => {
      if (to === 'expired')
        throw new ConflictError(
          `Lot ${row.lot_number} cannot be set expired by hand: it expires by itself after ${row.expiry_date}`,
        );
      const next = LIFECYCLE[row.status];
      if (!next.includes(to!))
        throw new ConflictError(
          `Lot ${row.lot_number} is ${STATUS_WORDS[row.status]}: it cannot go to ${to!}; ` +
            (next.length > 0
              ? `from ${row.status} it may go to ${next.join(' or ')} only`
              : 'its lifecycle has ended'),
        );
      if (input.version !== row.version)
        throw new ConflictError(
          `Lot ${row.lot_number} was changed since version ${input.version as number} was read (it is at version ${row.version}); reload it`,
        );
    };
    allowed(await findLot(knex, lotNumber));
    const signer = meaning ? await reauthenticate(principal, input.password) : null;
    await knex.transaction(async (trx) => {
      const row = await findLot(trx, lotNumber, true);
      allowed(row);
      const version = row.version + 1;
      const after: LotRow = { ...row, status: to!, version };
      const payload: Record<string, unknown> = { status: to, from: row.status, version };
      let signatureId: string | null = row.signature_id;
      if (signer) {
        const signature = await writeSignature(
          trx,
          clock,
          lotSubject(row.id),
          await signedContent(trx, after),
          { userId: signer.id, username: signer.username, printedName: signer.printed_name },
          meaning!,
          reason,
        );
        signatureId = signature.id;
        payload.signatureId = signatureId;
      }
      let at: string;
      if (to === 'sampled') {
        const material = (await trx('materials').where({ id: row.material_id }).first()) as MaterialRow;
        const stock = await holdings(trx, row.id);
        const containers = await trx('lot_containers').where({ lot_id: row.id }).orderBy('number');
        const picked = containers.slice(0, sampledCount(material.sampling_plan, containers.length));
        for (const c of picked)
          if (total(stock, c.id) < sample!)
            throw new ConflictError(
              `Container ${c.code} holds ${total(stock, c.id)} ${row.unit}: a sample of ${sample!} ${row.unit} cannot be taken from it`,
            );
        ({ at } = await recordTransactions(
          trx,
          clock,
          row.id,
          eventActor(principal),
          'lot.sampled',
          picked.map((c) => ({
            containerId: c.id,
            kind: 'sample',
            quantity: -sample!,
            location: row.location,
            instanceId: null,
            taskId: null,
          })),
          reason,
          { ...payload, samplingPlan: material.sampling_plan },
        ));
      } else {
        const [event] = await appendEvents(trx, clock, lotSubject(row.id), eventActor(principal), [
          { type: `lot.${to!}`, payload, reason },
        ]);
        at = event!.at;
      }
      await trx('lots')
        .where({ id: row.id })
        .update({ status: to, version, signature_id: signatureId, updated_at: at });
    });
    return get(principal, lotNumber);
  }

  async function move(principal: Principal, lotNumber: string, input: MoveInput): Promise<LotDetail> {
    requirePermission(principal, 'materials.receive');
    const problems = new Problems();
    const kind = oneOf(problems, input.kind, '/kind', [
      'issue',
      'return',
      'adjustment',
      'destruction',
    ] as const);
    const quantity = quantityOf(
      problems,
      input.quantity,
      '/quantity',
      kind === 'adjustment' ? 'nonzero' : 'positive',
    );
    const reason = reasonOf(
      problems,
      input.reason,
      kind === 'adjustment' ? 'for an adjustment' : kind === 'destruction' ? 'for a destruction' : null,
    );
    const container = problems.field(() => optionalText(input.container, '/container', 60)) ?? null;
    const instanceId = input.instanceId ?? null;
    if (instanceId !== null && (typeof instanceId !== 'string' || !UUID.test(instanceId)))
      problems.fail('/instanceId', 'format', 'must be the id of a batch (a process instance)');
    const taskId = problems.field(() => optionalText(input.taskId, '/taskId', 100)) ?? null;
    problems.check('The transaction');
    await knex.transaction(async (trx) => {
      const row = await findLot(trx, lotNumber, true);
      const containerRow = container
        ? await trx('lot_containers').where({ lot_id: row.id, code: container }).first()
        : null;
      if (container && !containerRow)
        throw new InputError(`Lot ${row.lot_number} has no container ${container}`, [
          { pointer: '/container', keyword: 'enum', message: `is not a container of lot ${row.lot_number}` },
        ]);
      if (kind === 'issue') {
        const refusal = usabilityRefusal(row, plantDate(clock.now(), timeZone));
        if (refusal) throw new ConflictError(refusal.message);
      }
      if (row.status === 'returned')
        throw new ConflictError(`Lot ${row.lot_number} is returned: nothing of it moves any more`);
      const stock = await holdings(trx, row.id);
      const containerId: string | null = containerRow?.id ?? null;
      const out = kind === 'issue' || kind === 'destruction' || (kind === 'adjustment' && quantity! < 0);
      const moves = out
        ? withdrawals(row, stock, Math.abs(quantity!), containerId, containerRow?.code ?? null)
        : [{ containerId, location: row.location, quantity: quantity! }];
      await recordTransactions(
        trx,
        clock,
        row.id,
        eventActor(principal),
        `lot.${kind!}`,
        moves.map((m) => ({
          ...m,
          kind: kind!,
          quantity: out ? -m.quantity : m.quantity,
          instanceId: instanceId as string | null,
          taskId,
        })),
        reason ?? null,
      );
    });
    return get(principal, lotNumber);
  }

  async function expireDue(at: Date): Promise<string[]> {
    const today = plantDate(at, timeZone);
    return knex.transaction(async (trx) => {
      const due = (await lotRows(trx)
        .whereIn('l.status', ['quarantine', 'sampled', 'released'])
        .where('l.expiry_date', '<', today)
        .orderBy('l.lot_number')
        .forUpdate('l')) as LotRow[];
      for (const row of due) {
        const version = row.version + 1;
        const [event] = await appendEvents(trx, clock, lotSubject(row.id), SYSTEM_ACTOR, [
          {
            type: 'lot.expired',
            payload: { status: 'expired', from: row.status, version, expiryDate: row.expiry_date },
          },
        ]);
        await trx('lots').where({ id: row.id }).update({ status: 'expired', version, updated_at: event!.at });
      }
      return due.map((r) => r.lot_number);
    });
  }

  return { list, get, receive, changeStatus, move, expireDue };
}
