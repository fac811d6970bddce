import type { Identifier } from '@assent/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testDatabases } from '../../../test/support/test-database.ts';
import { type Db, migrate } from '../../db/database.ts';
import { newId, nowIso } from '../../shared/ids.ts';
import { createHeadReader, takeLookups } from './head-reader.ts';
import { createSubjectStore } from './subject-store.ts';

const email = (value: string): Identifier => ({ type: 'email', value });

describe('takeLookups', () => {
  it("takes the first lookup's workspace and identifier type, in order", () => {
    const queue = [
      { workspaceId: 'a', identifier: email('1@x.example') },
      { workspaceId: 'b', identifier: email('2@x.example') },
      { workspaceId: 'a', identifier: { type: 'phone', value: '+33612345678' } as Identifier },
      { workspaceId: 'a', identifier: email('3@x.example') },
    ];
    expect(takeLookups(queue)).toEqual([queue[0], queue[3]]);
    expect(takeLookups(queue, 1)).toEqual([queue[0]]);
  });
});

// the batched lookup serves PostgreSQL's optimistic writes
if (testDatabases().includes('postgres')) {
  describe('batched chain-head lookups on postgres', () => {
    let db: Db;
    const ws = [newId(), newId()];
    const ids: Record<string, string> = {};
    beforeAll(async () => {
      db = (await freshDatabase('postgres')).db;
      await migrate(db);
      const store = createSubjectStore(db.kysely);
      for (const [i, id] of ws.entries()) {
        await db.kysely
          .insertInto('workspaces')
          .values({ id, key: `w${i}`, name: `W${i}`, created_at: nowIso() } as never)
          .execute();
      }
      ids.ana = await store.create(db.kysely, ws[0], [email('ana@x.example')], {});
      ids.bo = await store.create(db.kysely, ws[0], [email('bo@x.example')], {});
      ids.other = await store.create(db.kysely, ws[1], [email('cy@x.example')], {});
      await db.kysely
        .updateTable('subjects')
        .set({ ledger_seq: 3, ledger_head: 'h3' })
        .where('id', '=', ids.bo)
        .execute();
      ids.old = await store.create(db.kysely, ws[0], [email('old@x.example')], {});
      await db.kysely
        .updateTable('subjects')
        .set({ merged_into: ids.ana })
        .where('id', '=', ids.old)
        .execute();
    });
    afterAll(() => db.close());

    it("finds each identifier's subject and chain head, together for one workspace and type", async () => {
      const store = createSubjectStore(db.kysely);
      const alone: string[] = [];
      const read = createHeadReader(db.kysely, (w, i) => {
        alone.push(i.value);
        return store.headByIdentifier(w, i);
      });
      const answers = await Promise.all([
        read(ws[0], email('ana@x.example')),
        read(ws[0], email('bo@x.example')),
        read(ws[0], email('nobody@x.example')),
        // another workspace's person is not found from this one
        read(ws[0], email('cy@x.example')),
        read(ws[1], email('cy@x.example')),
        // the same person twice, and a person merged into another (the write follows it)
        read(ws[0], email('ana@x.example')),
        read(ws[0], email('old@x.example')),
      ]);
      const ana = { subject_id: ids.ana, ledger_seq: 0, ledger_head: null, merged_into: null };
      expect(answers).toEqual([
        ana,
        { subject_id: ids.bo, ledger_seq: 3, ledger_head: 'h3', merged_into: null },
        null,
        null,
        { subject_id: ids.other, ledger_seq: 0, ledger_head: null, merged_into: null },
        ana,
        { subject_id: ids.old, ledger_seq: 0, ledger_head: null, merged_into: ids.ana },
      ]);
      expect(answers[5]).not.toBe(answers[0]);
      // the first workspace's went as one query; the other workspace's lookup, alone in its batch, by itself
      expect(alone).toEqual(['cy@x.example']);
    });
  });
}
