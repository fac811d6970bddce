import { type InsertQueryBuilder, type InsertResult, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testDatabases } from '../../../test/support/test-database.ts';
import { type Db, migrate } from '../../db/database.ts';
import { insertRows } from '../../db/query-templates.ts';
import type { Database } from '../../db/schema.ts';
import { isStatementError } from '../../db/transaction.ts';
import { newId, nowIso } from '../../shared/ids.ts';
import { createSubjectStore } from '../subjects/subject-store.ts';
import {
  type BatchedWrite,
  batchStatement,
  createWriteBatcher,
  type HeadMove,
  takeBatch,
  writeBatcherOf,
} from './write-batcher.ts';

const move = (subjectId: string, fromSeq: number, workspaceId = 'ws'): HeadMove => ({
  workspaceId,
  subjectId,
  fromSeq,
  head: { seq: fromSeq + 1, hash: `h${fromSeq + 1}`, at: nowIso() },
});

const identifierRow = (value: string) => ({
  id: newId(),
  workspace_id: 'ws',
  subject_id: newId(),
  type: 'email',
  value,
  created_at: nowIso(),
});

describe('takeBatch', () => {
  it('takes writes in order, leaving for the next batch one that claims a subject or a new identifier already in it', () => {
    const create = (value: string) => ({
      move: null,
      inserts: [insertRows(null as never, 'subject_identifiers', [identifierRow(value)])],
    });
    const queue: (BatchedWrite & { n: number })[] = [
      { n: 1, move: move('a', 0), inserts: [] },
      { n: 2, ...create('x@example.com') },
      { n: 3, move: move('a', 1), inserts: [] },
      { n: 4, ...create('x@example.com') },
      { n: 5, move: move('b', 0), inserts: [] },
      { n: 6, ...create('y@example.com') },
    ];
    expect(takeBatch(queue).map((w) => w.n)).toEqual([1, 2, 5, 6]);
    expect(takeBatch(queue, 2).map((w) => w.n)).toEqual([1, 2]);
    expect(takeBatch([queue[2], queue[3]]).map((w) => w.n)).toEqual([3, 4]);
  });
});

describe('isStatementError', () => {
  it("tells PostgreSQL's refusals of a statement (nothing written) from failures after which it may have committed", () => {
    for (const code of ['23505', '22P05', '22001', '40P01', '40001', '55P03', '57014', '42703'])
      expect(isStatementError({ severity: 'ERROR', code })).toBe(true);
    // a server whose messages are not in English translates the severity, not the SQLSTATE
    expect(isStatementError({ severity: 'FEHLER', code: '22P05' })).toBe(true);
    for (const err of [
      { severity: 'ERROR', code: '40003' },
      { severity: 'ERROR', code: '08006' },
      { severity: 'ERROR', code: '25P02' },
      { severity: 'FATAL', code: '57P01' },
      { code: 'ECONNRESET' },
      Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' }),
      new Error('Connection terminated unexpectedly'),
      null,
    ])
      expect(isStatementError(err)).toBe(false);
  });
});

// the batch statement is PostgreSQL's (SQLite writes in its own group commit)
if (testDatabases().includes('postgres')) {
  describe('write batches on postgres', () => {
    let db: Db;
    let workspaceId = '';
    let statements = 0;
    const subjects: string[] = [];
    beforeAll(async () => {
      db = (await freshDatabase('postgres')).db;
      await migrate(db);
      workspaceId = newId();
      await db.kysely
        .insertInto('workspaces')
        .values({ id: workspaceId, key: 'batch', name: 'Batch', created_at: nowIso() } as never)
        .execute();
      const store = createSubjectStore(db.kysely);
      for (let i = 0; i < 6; i++) subjects.push(await store.create(db.kysely, workspaceId, [], {}));
    });
    afterAll(() => db.close());

    /** A batcher on the test's database that counts the statements it sends, failed ones too. */
    const batcher = () => {
      statements = 0;
      const counted = new Proxy(db.kysely, {
        get(target, key) {
          const value = Reflect.get(target, key);
          if (key === 'executeQuery') statements++;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      return createWriteBatcher(counted);
    };
    const createdAt = nowIso();
    const at = (subjectId: string, fromSeq: number) => move(subjectId, fromSeq, workspaceId);
    const event = (id: string, type = 'consent.updated') => ({
      id,
      workspace_id: workspaceId,
      type,
      payload: JSON.stringify({ id, quote: `it's "quoted" \\ \u00e9 \ud83d\ude00` }),
      created_at: createdAt,
      delivered_at: null,
    });
    // an event's type is replaced when its id is already there
    const upsert = {
      variant: 'test-upsert',
      apply: (insert: never) =>
        (insert as InsertQueryBuilder<Database, 'outbox', InsertResult>).onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({ type: eb.ref('excluded.type') })),
        ),
    };
    const write = (m: HeadMove | null, ...events: ReturnType<typeof event>[]): BatchedWrite => ({
      move: m,
      inserts: [insertRows(db.kysely, 'outbox', events)],
    });
    const events = async (ids: string[]) =>
      db.kysely.selectFrom('outbox').selectAll().where('id', 'in', ids).orderBy('id').execute();
    const headOf = async (id: string) =>
      db.kysely
        .selectFrom('subjects')
        .select(['ledger_seq', 'ledger_head'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();

    it("inserts new identifiers in one order, the subject service's", () => {
      const creates = ['z@x.example', 'a@x.example', 'm@x.example'].map((value) => ({
        move: null,
        inserts: [insertRows(db.kysely, 'subject_identifiers', [identifierRow(value)])],
      }));
      const rows = batchStatement(db.kysely, creates).parameters.find(
        (p) => typeof p === 'string' && p.includes('"value"'),
      );
      expect(JSON.parse(rows as string).map((r: { value: string }) => r.value)).toEqual([
        'a@x.example',
        'm@x.example',
        'z@x.example',
      ]);
    });

    it("writes several people's rows in one statement, values as given, each only if its head is still where it was read", async () => {
      const send = batcher();
      // subjects in reverse id order: answers follow the writes, not the order rows are locked in
      const answers = await Promise.all([
        send(write(at(subjects[1], 0), event('e-moved-1'), event('e-moved-2'))),
        send(write(at(subjects[0], 7), event('e-stale'))),
        send(write(null, event('e-free'))),
      ]);
      expect(answers).toEqual([true, false, true]);
      expect(statements).toBe(1);
      expect(await events(['e-free', 'e-moved-1', 'e-moved-2', 'e-stale'])).toEqual([
        event('e-free'),
        event('e-moved-1'),
        event('e-moved-2'),
      ]);
      expect(await headOf(subjects[1])).toMatchObject({ ledger_seq: 1, ledger_head: 'h1' });
      expect(await headOf(subjects[0])).toMatchObject({ ledger_seq: 0, ledger_head: null });
    });

    it('applies an insert tweak (an upsert) only for the writes whose move succeeded', async () => {
      const send = batcher();
      const retyped = (id: string, type: string, m: HeadMove) => ({
        move: m,
        inserts: [insertRows(db.kysely, 'outbox', [event(id, type)], upsert)],
      });
      const answers = await Promise.all([
        send(retyped('e-moved-1', 'subject.updated', at(subjects[1], 1))),
        send(retyped('e-moved-2', 'subject.merged', at(subjects[0], 3))),
      ]);
      expect(answers).toEqual([true, false]);
      const rows = await events(['e-moved-1', 'e-moved-2']);
      expect(rows.map((r) => r.type)).toEqual(['subject.updated', 'consent.updated']);
    });

    it('fails only the move of a person another transaction holds, without waiting for it', async () => {
      const send = batcher();
      await db.kysely.transaction().execute(async (trx) => {
        await trx.selectFrom('subjects').select('id').where('id', '=', subjects[2]).forUpdate().execute();
        const answers = await Promise.all([
          send(write(at(subjects[2], 0), event('e-held'))),
          send(write(at(subjects[3], 0), event('e-free-row'))),
        ]);
        expect(answers).toEqual([false, true]);
      });
      expect((await events(['e-held', 'e-free-row'])).map((r) => r.id)).toEqual(['e-free-row']);
      expect(await headOf(subjects[2])).toMatchObject({ ledger_seq: 0 });
    });

    it('makes each write in a statement of its own when PostgreSQL refuses the batch', async () => {
      const send = batcher();
      // the same event id twice: a unique violation fails the whole statement
      const settled = await Promise.allSettled([
        send(write(at(subjects[4], 0), event('e-alone'))),
        send(write(null, event('e-twice'))),
        send(write(null, event('e-twice'))),
      ]);
      expect(statements).toBe(4);
      expect(settled[0]).toEqual({ status: 'fulfilled', value: true });
      const clashes = settled.slice(1);
      expect(clashes.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
      expect(clashes.find((s) => s.status === 'rejected')).toMatchObject({ reason: { code: '23505' } });
      expect((await events(['e-alone', 'e-twice'])).map((r) => r.id)).toEqual(['e-alone', 'e-twice']);
      expect(await headOf(subjects[4])).toMatchObject({ ledger_seq: 1 });
    });

    it("never holds a move up behind a new person's write that waits", async () => {
      statements = 0;
      const send = writeBatcherOf(db.kysely);
      let moved: boolean | undefined;
      const created = await db.kysely.transaction().execute(async (trx) => {
        await trx.insertInto('outbox').values(event('e-wait')).execute();
        // its failure is expected at once: it may arrive before the commit's answer is read
        const create = expect(send(write(null, event('e-wait')))).rejects.toMatchObject({ code: '23505' });
        // sent in the same turn, the move goes on while the new person's write waits
        moved = await send(write(at(subjects[5], 0), event('e-move')));
        return { create };
      });
      expect(moved).toBe(true);
      await created.create;
      expect((await events(['e-move'])).map((r) => r.id)).toEqual(['e-move']);
    });

    // last: the pool may hand the lost connection to one more query before it notices
    it('fails every write of its batch when the connection is lost, as the statement may have committed', async () => {
      const send = batcher();
      let settled: PromiseSettledResult<boolean>[] = [];
      await db.kysely
        .transaction()
        .execute(async (trx) => {
          // an event id another transaction has inserted: the batch waits for it
          await trx.insertInto('outbox').values(event('e-held')).execute();
          const pending = Promise.allSettled([
            send(write(null, event('e-held'))),
            send(write(null, event('e-lost'))),
          ]);
          let pid: number | undefined;
          while (!pid) {
            const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity
            where wait_event_type = 'Lock' and query like 'WITH guard AS%' and datname = current_database()`.execute(
              db.kysely,
            );
            pid = rows[0]?.pid;
          }
          await sql`select pg_terminate_backend(${pid}::int)`.execute(db.kysely);
          settled = await pending;
          throw new Error('roll back');
        })
        .catch((err) => expect(err).toMatchObject({ message: 'roll back' }));
      expect(settled.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect(statements).toBe(1);
      expect(await events(['e-held', 'e-lost'])).toEqual([]);
    });
  });
}
