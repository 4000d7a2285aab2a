import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../kernel/clock.ts';
import { ConflictError, InputError, NotFoundError } from '../kernel/errors.ts';
import { eventActor, requirePermission, type Principal } from '../kernel/permissions.ts';
import { GateRefusal } from '../steps/gates.ts';
import { CODE, InputCheck } from './equipmentInput.ts';
import { recordNumberOf } from './logbook.ts';
import { registerRow, requireVersion, writeRowEvent, type MasterTable } from './masterRecords.ts';

export const ROOM_CLASSES = ['A', 'B', 'C', 'D', 'CNC'] as const;
export type RoomClass = (typeof ROOM_CLASSES)[number];
export type RoomStatus = 'cleared' | 'in_use' | 'to_clean' | 'out_of_service';
/** The statuses a person may set; `in_use` comes only from a batch's line clearance. */
const SET_STATUSES = ['cleared', 'to_clean', 'out_of_service'] as const;

export interface RoomFacts {
  code: string;
  name: string;
  class: RoomClass;
  status: RoomStatus;
  inUseInstanceId: string | null;
}

export const ROOMS: MasterTable<RoomFacts> = {
  table: 'rooms',
  subject: 'room',
  facts: ['code', 'name', 'class', 'status', 'inUseInstanceId'],
};

export interface RoomView extends RoomFacts {
  id: string;
  inUse: { instanceId: string; recordNumber: string | null } | null;
  version: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

/** A room as it is registered, or changed on the version it was read at; every field is checked. */
export interface RoomInput {
  code: unknown;
  name: unknown;
  class: unknown;
  status: unknown;
  reason: unknown;
}
export type RoomChange = Omit<RoomInput, 'code'> & { version: unknown };

/**
 * What a step does with a room: `use` takes it for the batch at line clearance (cleared, or in use
 * by the same batch); `release` leaves it to be cleaned; `clean` clears it for the next batch.
 */
export type RoomAction = 'use' | 'release' | 'clean';

export interface RoomQuestion {
  code: string;
  action: RoomAction;
  instanceId: string;
  taskId: string;
  at: Date;
}

export interface RoomRegistry {
  list(principal: Principal): Promise<RoomView[]>;
  get(principal: Principal, code: string): Promise<RoomView>;
  register(principal: Principal, input: RoomInput): Promise<RoomView>;
  change(principal: Principal, code: string, input: RoomChange): Promise<RoomView>;
}

/** Rooms and their line clearance, as the equipment service exposes them. */
export interface Rooms {
  rooms: RoomRegistry;
  /** Refuses (GateRefusal) a room the action may not be taken on now; locks it in a transaction. */
  checkRoom(db: Knex | Knex.Transaction, question: RoomQuestion): Promise<{ roomId: string; code: string }>;
  /** Takes the action, as an event on the room's trail with who, when and which batch. */
  applyRoom(
    trx: Knex.Transaction,
    question: RoomQuestion,
    actor: { userId: string; printedName: string },
  ): Promise<void>;
}

type RoomRow = RoomFacts & {
  id: string;
  version: number;
  createdBy: string;
  created_at: Date;
  updated_at: Date;
};

export function createRooms(deps: { knex: Knex; clock: Clock; mayRead: (principal: Principal) => void }) {
  const { knex, clock, mayRead } = deps;

  const rows = (db: Knex | Knex.Transaction) =>
    db('rooms')
      .select('id', 'code', 'name', 'class', 'status', 'version', 'created_at', 'updated_at')
      .select({ inUseInstanceId: 'in_use_instance_id', createdBy: 'created_by' });

  async function find(db: Knex | Knex.Transaction, code: string, lock = false): Promise<RoomRow> {
    const q = rows(db)
      .where({ code: typeof code === 'string' && CODE.test(code) ? code : '' })
      .first();
    const row = (await (lock ? q.forUpdate() : q)) as RoomRow | undefined;
    if (!row) throw new NotFoundError(`There is no room ${String(code)}`);
    return row;
  }

  async function view(db: Knex | Knex.Transaction, row: RoomRow): Promise<RoomView> {
    const { created_at: createdAt, updated_at: updatedAt, ...facts } = row;
    return {
      ...facts,
      inUse: row.inUseInstanceId
        ? { instanceId: row.inUseInstanceId, recordNumber: await recordNumberOf(db, row.inUseInstanceId) }
        : null,
      createdAt: new Date(createdAt).toISOString(),
      updatedAt: new Date(updatedAt).toISOString(),
    };
  }

  /** Refuses a room code that names no registered room, at the field that named it. */
  async function requireRoom(db: Knex | Knex.Transaction, code: string, pointer: string): Promise<void> {
    if (!(await db('rooms').where({ code }).first('id')))
      throw new InputError(`There is no room ${code}`, [
        { pointer, keyword: 'enum', message: 'must be a registered room' },
      ]);
  }

  const facts = (input: Partial<RoomInput>, check: InputCheck) => ({
    name: check.text(input.name, '/name', 200),
    class: check.oneOf(input.class, '/class', ROOM_CLASSES),
    status: check.oneOf(input.status, '/status', SET_STATUSES),
  });

  const rooms: RoomRegistry = {
    async list(principal) {
      mayRead(principal);
      const all = (await rows(knex).orderBy('code')) as RoomRow[];
      return Promise.all(all.map((row) => view(knex, row)));
    },
    async get(principal, code) {
      mayRead(principal);
      return view(knex, await find(knex, code));
    },
    async register(principal, input) {
      requirePermission(principal, 'equipment.manage');
      const body = (input ?? {}) as Partial<RoomInput>;
      const check = new InputCheck();
      const code = check.code(body.code, '/code');
      const room = facts(body, check);
      const reason = check.text(body.reason, '/reason', 1000);
      check.done('The room');
      return knex.transaction(async (trx) => {
        if (await trx('rooms').where({ code }).first('id'))
          throw new ConflictError(`Room ${code} is registered already`);
        const all = {
          code: code!,
          ...(room as Omit<RoomFacts, 'code' | 'inUseInstanceId'>),
          inUseInstanceId: null,
        };
        await registerRow(trx, clock, ROOMS, randomUUID(), eventActor(principal), all, reason!);
        return view(trx, await find(trx, code!));
      });
    },
    async change(principal, code, input) {
      requirePermission(principal, 'equipment.manage');
      const body = (input ?? {}) as Partial<RoomChange>;
      const check = new InputCheck();
      const next: Partial<RoomFacts> = facts(body, check) as Partial<RoomFacts>;
      const { reason, version } = check.reasonedChange(body);
      return knex.transaction(async (trx) => {
        const row = await find(trx, code, true);
        requireVersion(row, version, 'Room');
        if (next.name === row.name && next.class === row.class && next.status === row.status)
          throw new ConflictError(`Nothing of room ${row.code} is changed`);
        // A person who sets the status of a room in use ends that batch's use of it.
        if (next.status !== row.status) next.inUseInstanceId = null;
        await writeRowEvent(trx, clock, ROOMS, row, eventActor(principal), {
          type: 'room.changed',
          next,
          reason,
        });
        return view(trx, await find(trx, row.code));
      });
    },
  };

  async function asked(db: Knex | Knex.Transaction, question: RoomQuestion): Promise<RoomRow> {
    try {
      return await find(db, question.code, db.isTransaction);
    } catch (error) {
      if (error instanceof NotFoundError)
        throw new GateRefusal(`There is no room ${String(question.code)}`, 'unknown');
      throw error;
    }
  }

  /** What an action does to the room, or the refusal that forbids it. */
  function transition(row: RoomRow, question: RoomQuestion): { type: string; next: Partial<RoomFacts> } {
    const what = `Room ${row.code} (${row.name})`;
    const otherBatch = row.status === 'in_use' && row.inUseInstanceId !== question.instanceId;
    if (row.status === 'out_of_service')
      throw new GateRefusal(`${what} is out of service: it may not be used`, 'out_of_service');
    if (otherBatch)
      throw new GateRefusal(`${what} is in use by another batch: its line clearance is not given`, 'in_use');
    if (question.action === 'use') {
      if (row.status === 'to_clean')
        throw new GateRefusal(`${what} is waiting to be cleaned: line clearance cannot be given`, 'to_clean');
      return { type: 'room.used', next: { status: 'in_use', inUseInstanceId: question.instanceId } };
    }
    if (question.action === 'release') {
      if (row.status !== 'in_use')
        throw new GateRefusal(
          `${what} is not in use by this batch: it cannot be released by it`,
          'not_in_use',
        );
      return { type: 'room.released', next: { status: 'to_clean', inUseInstanceId: null } };
    }
    return { type: 'room.cleaned', next: { status: 'cleared', inUseInstanceId: null } };
  }

  const batchOf = async (db: Knex | Knex.Transaction, question: RoomQuestion) => ({
    instanceId: question.instanceId,
    taskId: question.taskId,
    recordNumber: await recordNumberOf(db, question.instanceId),
  });

  const gate: Omit<Rooms, 'rooms'> = {
    async checkRoom(db, question) {
      const row = await asked(db, question);
      transition(row, question);
      return { roomId: row.id, code: row.code };
    },
    async applyRoom(trx, question, actor) {
      const row = await asked(trx, question);
      const step = transition(row, question);
      await writeRowEvent(trx, clock, ROOMS, row, actor, { ...step, details: await batchOf(trx, question) });
    },
  };

  return { service: { rooms, ...gate } satisfies Rooms, requireRoom };
}
