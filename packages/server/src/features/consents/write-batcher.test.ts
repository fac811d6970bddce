import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testDatabases } from '../../../test/support/test-database.ts';
import { type Db, migrate } from '../../db/database.ts';
import { newId, nowIso } from '../../shared/ids.ts';
import { auditQuery } from '../audit/audit-log.ts';
import { createSubjectStore } from '../subjects/subject-store.ts';
import { type BatchedWrite, createWriteBatcher, type HeadMove, takeBatch } from './write-batcher.ts';

const move = (subjectId: string, fromSeq: number): HeadMove => ({
  workspaceId: 'ws',
  subjectId,
  fromSeq,
  head: { seq: fromSeq + 1, hash: `h${fromSeq + 1}`, at: nowIso() },
});

describe('takeBatch', () => {
  it('takes writes in order, leaving a subject already in the batch for the next one', () => {
    const queue = [
      { n: 1, move: move('a', 0) },
      { n: 2, move: null },
      { n: 3, move: move('a', 1) },
      { n: 4, move: move('b', 0) },
      { n: 5, move: null },
    ];
    expect(takeBatch(queue, 3).map((w) => w.n)).toEqual([1, 2, 4]);
    expect(takeBatch(queue.slice(1), 3).map((w) => w.n)).toEqual([2, 3, 4]);
    expect(takeBatch([queue[2], queue[4]], 3).map((w) => w.n)).toEqual([3, 5]);
  });
});

// the batch statement is PostgreSQL's (SQLite writes in its own group commit)
if (testDatabases().includes('postgres')) {
  describe('write batches on postgres', () => {
    let db: Db;
    let workspaceId = '';
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
      for (let i = 0; i < 3; i++) subjects.push(await store.create(db.kysely, workspaceId, [], {}));
    });
    afterAll(() => db.close());

    const at = (subjectId: string, fromSeq: number): HeadMove => ({
      ...move(subjectId, fromSeq),
      workspaceId,
    });
    const entry = (m: HeadMove | null, target: string, id = newId()) => {
      const insert = auditQuery(db.kysely, {
        workspaceId,
        actor: 'test',
        action: 'test.batch',
        targetType: 'subject',
        targetId: target,
        requestId: id,
      });
      return { move: m, inserts: [insert], calls: 0 };
    };
    const alone = (w: ReturnType<typeof entry>): BatchedWrite => ({
      ...w,
      alone: async () => {
        w.calls++;
        return true;
      },
    });
    const written = async (target: string) =>
      (await db.kysely.selectFrom('audit_log').select('request_id').where('target_id', '=', target).execute())
        .length;
    const headOf = async (id: string) =>
      db.kysely
        .selectFrom('subjects')
        .select(['ledger_seq', 'ledger_head'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();

    it("writes several people's rows in one statement, each only if its head is still where it was read", async () => {
      const write = createWriteBatcher(db.kysely);
      const moved = entry(at(subjects[0], 0), 'moved');
      const stale = entry(at(subjects[1], 7), 'stale');
      const free = entry(null, 'free');
      // arriving in one turn of the event loop, they go as one statement: none is made alone
      const answers = await Promise.all([moved, stale, free].map((w) => write(alone(w))));
      expect(answers).toEqual([true, false, true]);
      expect([moved.calls, stale.calls, free.calls]).toEqual([0, 0, 0]);
      expect([await written('moved'), await written('stale'), await written('free')]).toEqual([1, 0, 1]);
      expect(await headOf(subjects[0])).toMatchObject({ ledger_seq: 1, ledger_head: 'h1' });
      expect(await headOf(subjects[1])).toMatchObject({ ledger_seq: 0, ledger_head: null });
    });

    it('makes each write alone, and none in the batch, when the batch statement fails', async () => {
      const write = createWriteBatcher(db.kysely);
      const first = entry(at(subjects[2], 0), 'first');
      // the same audit row id twice: a unique violation fails the whole statement
      const clash = entry(null, 'clash');
      const row = first.inserts[0].insert.rows[0] as { id: string };
      (clash.inserts[0].insert.rows[0] as { id: string }).id = row.id;
      const answers = await Promise.all([first, clash].map((w) => write(alone(w))));
      expect(answers).toEqual([true, true]);
      expect([first.calls, clash.calls]).toEqual([1, 1]);
      expect([await written('first'), await written('clash')]).toEqual([0, 0]);
      expect(await headOf(subjects[2])).toMatchObject({ ledger_seq: 0 });
    });
  });
}
