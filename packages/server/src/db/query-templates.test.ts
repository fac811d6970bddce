import type { InsertQueryBuilder, InsertResult } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testDatabases } from '../../test/support/test-database.ts';
import { type Db, migrate } from './database.ts';
import { compileTemplate, insertRows } from './query-templates.ts';
import type { Database } from './schema.ts';

describe.each(testDatabases())('query templates on %s', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = (await freshDatabase(kind)).db;
    await migrate(db);
  });
  afterAll(() => db.close());

  const event = (id: string, payload: string, deliveredAt: string | null = null) => ({
    id,
    workspace_id: 'ws-t',
    type: 'subject.created',
    payload,
    created_at: '2026-11-26T10:00:00.000Z',
    delivered_at: deliveredAt,
  });

  it('builds a shape once, then runs it with each call’s own values', async () => {
    let builds = 0;
    const byId = (id: string) =>
      compileTemplate<{ payload: string }>(db.kysely, 'test.outbox-by-id', ['ws-t', id], (v) => {
        builds++;
        return db.kysely
          .selectFrom('outbox')
          .select('payload')
          .where('workspace_id', '=', v(0))
          .where('id', '=', v(1));
      });
    await db.kysely
      .insertInto('outbox')
      .values([event('t-1', '{"n":1}'), event('t-2', '{"n":2}')])
      .execute();
    const first = byId('t-1');
    const second = byId('t-2');
    expect(builds).toBe(1);
    expect(second.sql).toBe(first.sql);
    expect((await db.kysely.executeQuery(first)).rows).toEqual([{ payload: '{"n":1}' }]);
    expect((await db.kysely.executeQuery(second)).rows).toEqual([{ payload: '{"n":2}' }]);
    // a value never reaches the SQL text, whatever it holds
    const hostile = byId("t-1' or '1'='1");
    expect(hostile.sql).toBe(first.sql);
    expect((await db.kysely.executeQuery(hostile)).rows).toEqual([]);
  });

  it('inserts rows by template: one shape per row count, NULLs kept, values in their columns', async () => {
    const one = insertRows(db.kysely, 'outbox', [event('t-3', '{"n":3}')]).compile();
    const two = insertRows(db.kysely, 'outbox', [
      event('t-4', '{"n":4}', '2026-11-26T11:00:00.000Z'),
      event('t-5', '{"n":"5\'"}'),
    ]).compile();
    expect(two.sql).not.toBe(one.sql);
    expect(insertRows(db.kysely, 'outbox', [event('t-6', '{}')]).compile().sql).toBe(one.sql);
    await db.kysely.executeQuery(one);
    await db.kysely.executeQuery(two);
    const rows = await db.kysely
      .selectFrom('outbox')
      .select(['id', 'payload', 'delivered_at'])
      .where('id', 'in', ['t-3', 't-4', 't-5'])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: 't-3', payload: '{"n":3}', delivered_at: null },
      { id: 't-4', payload: '{"n":4}', delivered_at: '2026-11-26T11:00:00.000Z' },
      { id: 't-5', payload: '{"n":"5\'"}', delivered_at: null },
    ]);
  });

  it('sends undefined as NULL, keeps a variant apart, and refuses rows whose columns differ', async () => {
    const row = { ...event('t-7', '{"n":7}'), delivered_at: undefined };
    await db.kysely.executeQuery(insertRows(db.kysely, 'outbox', [row]).compile());
    const stored = await db.kysely
      .selectFrom('outbox')
      .select('delivered_at')
      .where('id', '=', 't-7')
      .executeTakeFirstOrThrow();
    expect(stored.delivered_at).toBeNull();

    const ignoreTwice = {
      variant: 'ignore-twice',
      apply: (q: InsertQueryBuilder<Database, 'outbox', InsertResult>) =>
        q.onConflict((oc) => oc.column('id').doNothing()),
    };
    const plain = insertRows(db.kysely, 'outbox', [event('t-8', '{}')]).compile();
    const upsert = insertRows(db.kysely, 'outbox', [event('t-8', '{}')], ignoreTwice).compile();
    expect(upsert.sql).not.toBe(plain.sql);
    expect(upsert.sql).toMatch(/on conflict/i);
    await db.kysely.executeQuery(upsert);
    await db.kysely.executeQuery(upsert);

    const { delivered_at: _, ...short } = event('t-9', '{}');
    expect(() => insertRows(db.kysely, 'outbox', [event('t-9', '{}'), short as never])).toThrow(/columns/);
  });

  it('builds as usual, uncached, above the value limit', () => {
    let builds = 0;
    const ids = Array.from({ length: 600 }, (_, i) => `big-${i}`);
    const build = () =>
      compileTemplate(db.kysely, 'test.big', ids, (v) => {
        builds++;
        return db.kysely
          .selectFrom('outbox')
          .select('id')
          .where(
            'id',
            'in',
            ids.map((_, i) => v(i)),
          );
      });
    const q = build();
    build();
    expect(builds).toBe(2);
    expect(q.parameters).toEqual(ids);
  });
});
