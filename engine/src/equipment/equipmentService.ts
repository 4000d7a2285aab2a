import { plantDate } from '../kernel/clock.ts';
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { EventActor } from '../audit/types.ts';
import type { Clock } from '../kernel/clock.ts';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '../kernel/errors.ts';
import { eventActor, requirePermission, type Principal } from '../kernel/permissions.ts';
import type { Reauthenticate } from '../signatures/signatureService.ts';
import { writeSignature } from '../signatures/signatureWriter.ts';
import {
  GateRefusal,
  type EquipmentAction,
  type EquipmentAnswer,
  type EquipmentGate,
  type EquipmentQuestion,
} from '../steps/gates.ts';
import { parseCsv } from '../kernel/csv.ts';
import { CODE, InputCheck } from './equipmentInput.ts';
import {
  EQUIPMENT,
  equipmentRows,
  useRefusal,
  type EquipmentFacts,
  type EquipmentRow,
  type EquipmentStatus,
} from './equipmentFacts.ts';
import { equipmentContent } from './signedContent.ts';
import { batchEnded, createLogbook, recordNumberOf, type Logbook } from './logbook.ts';
import { registerRow, requireVersion, writeRowEvent } from './masterRecords.ts';
import { createRooms, type Rooms } from './rooms.ts';

/** A piece of equipment as it is registered; every field is checked, so the API passes what it got. */
export interface EquipmentInput {
  code: unknown;
  name: unknown;
  type: unknown;
  room: unknown;
  /** clean, dirty, maintenance or out_of_service: where it stands when it is first recorded. */
  status: unknown;
  calibrationDue?: unknown;
  qualificationDue?: unknown;
  cleanHoldHours?: unknown;
  dailyCheckRequired: unknown;
  reason: unknown;
}

/**
 * A change of what a piece of equipment is and where it stands, on the version it was read at.
 * Its status and due dates change only through logbook acts (cleaning, a signed calibration, …).
 */
export interface EquipmentChange {
  name: unknown;
  type: unknown;
  room: unknown;
  cleanHoldHours?: unknown;
  dailyCheckRequired: unknown;
  reason: unknown;
  version: unknown;
}

/** What a person records in a logbook through the API, with a reason. */
export const EQUIPMENT_ACTS = [
  'cleaned',
  'maintenance_started',
  'maintenance_ended',
  'calibrated',
  'qualified',
  'daily_check',
  'status_set',
] as const;
export type EquipmentActType = (typeof EQUIPMENT_ACTS)[number];

export interface EquipmentAct {
  type: unknown;
  reason: unknown;
  /** Calibration and qualification are signed: the password again (B1). */
  password?: unknown;
  /** For `calibrated`: the next due date and the certificate. */
  calibrationDue?: unknown;
  certificate?: unknown;
  /** For `qualified`: the next due date and the report. */
  qualificationDue?: unknown;
  report?: unknown;
  /** For `daily_check`. */
  passed?: unknown;
  /** For `status_set`: dirty or out_of_service. */
  status?: unknown;
}

/**
 * A piece of equipment as people see it: its facts, the batch using it, and what the gate would
 * answer a batch asking to use it now (null: it may be used).
 */
export interface EquipmentView extends EquipmentFacts {
  id: string;
  inUse: { instanceId: string; recordNumber: string | null } | null;
  usable: { refusal: string; message: string } | null;
  version: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export interface EquipmentService extends EquipmentGate, Rooms, Logbook {
  list(principal: Principal): Promise<EquipmentView[]>;
  get(principal: Principal, code: string): Promise<EquipmentView>;
  register(principal: Principal, input: EquipmentInput): Promise<EquipmentView>;
  change(principal: Principal, code: string, input: EquipmentChange): Promise<EquipmentView>;
  /**
   * The first load from a spreadsheet: every row checked before any is written, all or nothing,
   * each problem named by its line.
   */
  import(principal: Principal, input: { csv: unknown; reason: unknown }): Promise<EquipmentView[]>;
  /** Records a logbook act of a person (cleaning, maintenance, calibration, …) with its reason. */
  act(principal: Principal, code: string, input: EquipmentAct): Promise<EquipmentView>;
}

/** The columns of the first-load spreadsheet, in the order of its header line. */
export const IMPORT_COLUMNS = EQUIPMENT.facts.filter(
  (k) => !['cleanUntil', 'lastDailyCheckAt', 'inUseInstanceId'].includes(k),
);

const REGISTERED_STATUSES = ['clean', 'dirty', 'maintenance', 'out_of_service'] as const;

/** Who may read equipment: those who keep it, and everyone who reads GMP records (operators included). */
export function mayReadMasterData(principal: Principal, what: string): void {
  if (!principal.permissions.has('equipment.manage') && !principal.permissions.has('audit.read'))
    throw new NotAllowedError(`Reading ${what} needs the permission equipment.manage or audit.read`);
}

/** A gate refusal met through the API: a conflict with the equipment's state, in the same words. */
async function asConflict<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof GateRefusal) throw new ConflictError(error.message);
    throw error;
  }
}

type Transition = {
  type: string;
  next: Partial<EquipmentFacts>;
  details?: Record<string, unknown>;
};

export function createEquipmentService(deps: {
  knex: Knex;
  clock: Clock;
  timeZone: string;
  reauthenticate: Reauthenticate;
}): EquipmentService {
  const { knex, clock, timeZone, reauthenticate } = deps;
  const rooms = createRooms({ knex, clock, mayRead: (p) => mayReadMasterData(p, 'rooms') });

  async function find(db: Knex | Knex.Transaction, code: string, lock = false): Promise<EquipmentRow> {
    const [row] = typeof code === 'string' && CODE.test(code) ? await equipmentRows(db, { code }, lock) : [];
    if (!row) throw new NotFoundError(`There is no equipment ${String(code)}`);
    return row;
  }

  async function view(db: Knex | Knex.Transaction, row: EquipmentRow): Promise<EquipmentView> {
    const refusal = useRefusal(row, '', clock.now(), timeZone);
    return {
      ...row,
      inUse: row.inUseInstanceId
        ? { instanceId: row.inUseInstanceId, recordNumber: await recordNumberOf(db, row.inUseInstanceId) }
        : null,
      usable: refusal && { refusal: refusal.refusal, message: refusal.message },
    };
  }

  async function list(principal: Principal): Promise<EquipmentView[]> {
    mayReadMasterData(principal, 'equipment');
    return Promise.all((await equipmentRows(knex)).map((row) => view(knex, row)));
  }

  async function get(principal: Principal, code: string): Promise<EquipmentView> {
    mayReadMasterData(principal, 'equipment');
    return view(knex, await find(knex, code));
  }

  /** The facts of a registration, every field checked (whether the room is registered is asked apart). */
  function checked(input: EquipmentInput, check: InputCheck) {
    const body = (input ?? {}) as Partial<EquipmentInput>;
    return {
      code: check.code(body.code, '/code'),
      name: check.text(body.name, '/name', 200),
      type: check.text(body.type, '/type', 100),
      room: check.code(body.room, '/room'),
      status: check.oneOf(body.status, '/status', REGISTERED_STATUSES),
      calibrationDue: check.date(body.calibrationDue, '/calibrationDue', true),
      qualificationDue: check.date(body.qualificationDue, '/qualificationDue', true),
      cleanHoldHours: check.hours(body.cleanHoldHours, '/cleanHoldHours'),
      dailyCheckRequired: check.boolean(body.dailyCheckRequired, '/dailyCheckRequired'),
    };
  }

  /** A new row's facts: clean from now for its clean-hold time when it is registered clean. */
  const registered = (f: ReturnType<typeof checked>): EquipmentFacts => ({
    code: f.code!,
    name: f.name!,
    type: f.type!,
    room: f.room!,
    status: f.status!,
    dailyCheckRequired: f.dailyCheckRequired!,
    calibrationDue: f.calibrationDue ?? null,
    qualificationDue: f.qualificationDue ?? null,
    cleanHoldHours: f.cleanHoldHours ?? null,
    cleanUntil: f.status === 'clean' ? cleanUntil(f.cleanHoldHours ?? null) : null,
    lastDailyCheckAt: null,
    inUseInstanceId: null,
  });

  const cleanUntil = (hours: number | null) =>
    hours === null ? null : new Date(clock.now().getTime() + hours * 3_600_000).toISOString();

  async function register(principal: Principal, input: EquipmentInput): Promise<EquipmentView> {
    requirePermission(principal, 'equipment.manage');
    const check = new InputCheck();
    const facts = checked(input, check);
    const reason = check.text(input?.reason, '/reason', 1000);
    check.done('The equipment');
    return knex.transaction(async (trx) => {
      await rooms.requireRoom(trx, facts.room!, '/room');
      if (await trx('equipment').where({ code: facts.code }).first('id'))
        throw new ConflictError(`Equipment ${facts.code} is registered already`);
      const id = randomUUID();
      await registerRow(trx, clock, EQUIPMENT, id, eventActor(principal), registered(facts), reason!);
      return view(trx, await find(trx, facts.code!));
    });
  }

  async function change(principal: Principal, code: string, input: EquipmentChange): Promise<EquipmentView> {
    requirePermission(principal, 'equipment.manage');
    const body = (input ?? {}) as Partial<EquipmentChange>;
    const check = new InputCheck();
    const next = {
      name: check.text(body.name, '/name', 200),
      type: check.text(body.type, '/type', 100),
      room: check.code(body.room, '/room'),
      cleanHoldHours: check.hours(body.cleanHoldHours, '/cleanHoldHours'),
      dailyCheckRequired: check.boolean(body.dailyCheckRequired, '/dailyCheckRequired'),
    };
    const { reason, version } = check.reasonedChange(body);
    return knex.transaction(async (trx) => {
      const row = await find(trx, code, true);
      requireVersion(row, version, 'Equipment');
      if (next.room !== row.room) await rooms.requireRoom(trx, next.room!, '/room');
      const facts = next as Partial<EquipmentFacts>;
      if (EQUIPMENT.facts.every((k) => !(k in facts) || facts[k] === row[k]))
        throw new ConflictError(`Nothing of equipment ${row.code} is changed`);
      await writeRowEvent(trx, clock, EQUIPMENT, row, eventActor(principal), {
        type: 'equipment.changed',
        next: facts,
        reason,
      });
      return view(trx, await find(trx, row.code));
    });
  }

  async function importCsv(
    principal: Principal,
    input: { csv: unknown; reason: unknown },
  ): Promise<EquipmentView[]> {
    requirePermission(principal, 'equipment.manage');
    const top = new InputCheck();
    const text = top.text(input?.csv, '/csv', 2_000_000);
    const reason = top.text(input?.reason, '/reason', 1000);
    top.done('The import');
    const [header, ...lines] = parseCsv(text!);
    const expected = IMPORT_COLUMNS.join(',');
    if (!header || header.cells.map((c) => c.trim()).join(',') !== expected)
      throw new InputError(`The CSV is not valid: its first line must be ${expected}`, [
        { pointer: '/csv', keyword: 'format', message: `line 1: must be ${expected}` },
      ]);
    if (lines.length === 0)
      throw new InputError('The CSV is not valid: it has no equipment', [
        { pointer: '/csv', keyword: 'minItems', message: 'must have a line of equipment after the header' },
      ]);
    const all = new InputCheck();
    const seen = new Map<string, number>();
    const rows = lines.map(({ line, cells }) => {
      const check = new InputCheck();
      const cell = (name: string) => (cells[IMPORT_COLUMNS.indexOf(name as never)] ?? '').trim();
      const hours = cell('cleanHoldHours');
      const daily = cell('dailyCheckRequired').toLowerCase();
      const facts = checked(
        {
          ...Object.fromEntries(IMPORT_COLUMNS.map((c) => [c, cell(c)])),
          cleanHoldHours: /^\d+$/.test(hours) ? Number(hours) : hours,
          dailyCheckRequired:
            daily === 'true' || daily === 'yes' ? true : daily === 'false' || daily === 'no' ? false : daily,
        } as unknown as EquipmentInput,
        check,
      );
      if (cells.length !== IMPORT_COLUMNS.length)
        check.problem('', 'format', `has ${cells.length} fields, not ${IMPORT_COLUMNS.length}`);
      if (facts.code !== undefined) {
        if (seen.has(facts.code))
          check.problem('/code', 'uniqueItems', `is on line ${seen.get(facts.code)} already`);
        else seen.set(facts.code, line);
      }
      for (const e of check.errors)
        all.problem('/csv', e.keyword, `line ${line}: ${`${e.pointer.slice(1)} ${e.message}`.trim()}`);
      return { line, facts };
    });
    return knex.transaction(async (trx) => {
      const known = new Set<string>(await trx('rooms').pluck('code'));
      const taken = new Set<string>(
        await trx('equipment')
          .whereIn('code', [...seen.keys()])
          .pluck('code'),
      );
      for (const { line, facts } of rows) {
        if (facts.room !== undefined && !known.has(facts.room))
          all.problem('/csv', 'enum', `line ${line}: room ${facts.room} is not a registered room`);
        if (facts.code !== undefined && taken.has(facts.code))
          all.problem('/csv', 'uniqueItems', `line ${line}: equipment ${facts.code} is registered already`);
      }
      all.done('The CSV');
      for (const { facts } of rows)
        await registerRow(
          trx,
          clock,
          EQUIPMENT,
          randomUUID(),
          eventActor(principal),
          registered(facts),
          reason!,
        );
      return Promise.all(
        (await equipmentRows(trx)).filter((r) => seen.has(r.code)).map((row) => view(trx, row)),
      );
    });
  }

  /**
   * What an action of a step does to the equipment, or the GateRefusal that forbids it. `batch`
   * is the instance and task the action is for; null for a person's act through the API.
   */
  async function transition(
    db: Knex | Knex.Transaction,
    row: EquipmentRow,
    action: EquipmentAction,
    batch: { instanceId: string; taskId: string } | null,
    at: Date,
    passed?: boolean,
  ): Promise<Transition> {
    const what = `${row.name} ${row.code}`;
    const ofBatch = async () =>
      batch && { ...batch, recordNumber: await recordNumberOf(db, batch.instanceId) };
    const otherBatch = row.status === 'in_use' && row.inUseInstanceId !== batch?.instanceId;
    // A batch that has ended holds its equipment no longer: it stays dirty until it is cleaned.
    const endedBatch =
      otherBatch && row.inUseInstanceId !== null ? await batchEnded(db, row.inUseInstanceId) : null;
    if (action === 'use') {
      if (endedBatch !== null)
        throw new GateRefusal(
          `${what} was used by batch ${endedBatch}, which has ended: it must be cleaned before use`,
          'dirty',
        );
      const refusal = useRefusal(row, batch!.instanceId, at, timeZone);
      if (refusal) throw refusal;
      return {
        type: 'equipment.used',
        next: { status: 'in_use', inUseInstanceId: batch!.instanceId },
        details: (await ofBatch())!,
      };
    }
    if (action === 'measure') {
      const refusal = useRefusal(row, batch!.instanceId, at, timeZone, true);
      if (refusal) throw refusal;
      return { type: 'equipment.measured', next: {}, details: (await ofBatch())! };
    }
    if (action === 'release') {
      if (row.status !== 'in_use' || otherBatch)
        throw new GateRefusal(
          `${what} is not in use by this batch: it cannot be released by it`,
          'not_in_use',
        );
      return {
        type: 'equipment.released',
        next: { status: 'dirty', inUseInstanceId: null, cleanUntil: null },
        details: (await ofBatch())!,
      };
    }
    if (action === 'clean') {
      if (otherBatch && endedBatch === null)
        throw new GateRefusal(`${what} is in use by another batch: it cannot be cleaned now`, 'in_use');
      if (row.status === 'maintenance' || row.status === 'out_of_service')
        throw new GateRefusal(
          `${what} is ${row.status === 'maintenance' ? 'under maintenance' : 'out of service'}: cleaning does not return it to use`,
          row.status,
        );
      return {
        type: 'equipment.cleaned',
        next: { status: 'clean', inUseInstanceId: null, cleanUntil: cleanUntil(row.cleanHoldHours) },
        details: { ...(await ofBatch()), cleanHoldHours: row.cleanHoldHours },
      };
    }
    if (row.status === 'out_of_service')
      throw new GateRefusal(`${what} is out of service: its daily check cannot be done`, 'out_of_service');
    if (typeof passed !== 'boolean')
      throw new GateRefusal(`The daily check of ${what} needs its result: passed or failed`, 'check_result');
    return {
      type: 'equipment.daily_check',
      next: passed
        ? { lastDailyCheckAt: clock.now().toISOString() }
        : { status: 'out_of_service', inUseInstanceId: null, cleanUntil: null },
      details: { ...(await ofBatch()), passed },
    };
  }

  /** The equipment a question names, locked in a transaction so two batches cannot both take it. */
  async function asked(db: Knex | Knex.Transaction, question: EquipmentQuestion): Promise<EquipmentRow> {
    try {
      return await find(db, question.code, db.isTransaction);
    } catch (error) {
      if (error instanceof NotFoundError)
        throw new GateRefusal(`There is no equipment ${String(question.code)}`, 'unknown');
      throw error;
    }
  }

  async function check(db: Knex | Knex.Transaction, question: EquipmentQuestion): Promise<EquipmentAnswer> {
    const row = await asked(db, question);
    if (question.action === 'identify') return { equipmentId: row.id, code: row.code };
    // Before completion a daily check may not have its result yet: only applying it needs one.
    await transition(db, row, question.action, question, question.at, question.passed ?? true);
    return { equipmentId: row.id, code: row.code };
  }

  async function apply(
    trx: Knex.Transaction,
    question: EquipmentQuestion,
    actor: { userId: string; printedName: string },
  ): Promise<void> {
    if (question.action === 'identify') return;
    const row = await asked(trx, question);
    const step = await transition(trx, row, question.action, question, question.at, question.passed);
    await writeRowEvent(trx, clock, EQUIPMENT, row, actor, step);
  }

  /** A person's act: the transition it makes, refused (as a conflict) where the state forbids it. */
  async function personsAct(
    trx: Knex.Transaction,
    row: EquipmentRow,
    type: EquipmentActType,
    body: EquipmentAct,
    check: InputCheck,
  ): Promise<Transition> {
    const what = `${row.name} ${row.code}`;
    const today = plantDate(clock.now(), timeZone);
    const due = (pointer: '/calibrationDue' | '/qualificationDue') => {
      const date = check.date(body[pointer.slice(1) as 'calibrationDue'], pointer, false);
      if (date && date < today)
        return check.problem(pointer, 'minimum', `must not be before today, ${today}`);
      return date;
    };
    if (type === 'cleaned' || type === 'daily_check') {
      const passed = type === 'daily_check' ? check.boolean(body.passed, '/passed') : undefined;
      check.done('The logbook entry');
      return asConflict(() =>
        transition(trx, row, type === 'cleaned' ? 'clean' : 'check', null, clock.now(), passed),
      );
    }
    if (type === 'calibrated' || type === 'qualified') {
      const calibration = type === 'calibrated';
      const date = due(calibration ? '/calibrationDue' : '/qualificationDue');
      const reference = check.text(
        calibration ? body.certificate : body.report,
        calibration ? '/certificate' : '/report',
        200,
      );
      check.done('The logbook entry');
      return {
        type: `equipment.${type}`,
        next: calibration ? { calibrationDue: date! } : { qualificationDue: date! },
        details: calibration ? { certificate: reference } : { report: reference },
      };
    }
    if (type === 'status_set') {
      const status = check.oneOf(body.status, '/status', ['dirty', 'out_of_service'] as const);
      check.done('The logbook entry');
      if (status === row.status) throw new ConflictError(`${what} is ${status} already`);
      return {
        type: 'equipment.status_set',
        next: { status: status as EquipmentStatus, inUseInstanceId: null, cleanUntil: null },
      };
    }
    check.done('The logbook entry');
    if (type === 'maintenance_started') {
      if (row.status === 'in_use' || row.status === 'maintenance')
        throw new ConflictError(
          `${what} is ${row.status === 'in_use' ? 'in use by a batch: it must be released' : 'under maintenance already'}`,
        );
      return { type: 'equipment.maintenance_started', next: { status: 'maintenance', cleanUntil: null } };
    }
    if (row.status !== 'maintenance') throw new ConflictError(`${what} is not under maintenance`);
    // After maintenance it is dirty: it is cleaned before a batch may use it again.
    return { type: 'equipment.maintenance_ended', next: { status: 'dirty' } };
  }

  async function act(principal: Principal, code: string, input: EquipmentAct): Promise<EquipmentView> {
    requirePermission(principal, 'equipment.manage');
    const body = (input ?? {}) as EquipmentAct;
    const check = new InputCheck();
    const type = check.oneOf(body.type, '/type', EQUIPMENT_ACTS);
    const reason = check.text(body.reason, '/reason', 1000);
    const signed = type === 'calibrated' || type === 'qualified';
    if (signed && (typeof body.password !== 'string' || body.password === ''))
      check.problem('/password', 'required', 'must be given again to sign');
    if (!type) check.done('The logbook entry');
    const signer =
      signed && check.errors.length === 0 ? await reauthenticate(principal, body.password) : null;
    return knex.transaction(async (trx) => {
      const row = await find(trx, code, true);
      const step = await personsAct(trx, row, type!, body, check);
      check.done('The logbook entry');
      const actor: EventActor = eventActor(principal);
      if (signer) {
        const signature = await writeSignature(
          trx,
          clock,
          { id: row.id, type: 'equipment' },
          equipmentContent({ ...row, ...step.next, version: row.version + 1 }),
          { userId: signer.id, username: signer.username, printedName: signer.printed_name },
          'Approved',
          reason!,
        );
        step.details = { ...step.details, signatureId: signature.id };
      }
      await writeRowEvent(trx, clock, EQUIPMENT, row, actor, { ...step, reason });
      return view(trx, await find(trx, row.code));
    });
  }

  const logbook = createLogbook({
    knex,
    clock,
    find: async (principal, code) => {
      mayReadMasterData(principal, 'equipment logbooks');
      return find(knex, code);
    },
  });

  return {
    list,
    get,
    register,
    change,
    import: importCsv,
    act,
    check,
    apply,
    ...rooms.service,
    ...logbook,
  };
}
