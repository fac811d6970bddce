import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testDatabases } from '../../test/support/test-database.ts';
import type { Db } from './database.ts';
import { migrate } from './database.ts';

describe.each(testDatabases())('db.write on %s', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = (await freshDatabase(kind)).db;
    await migrate(db);
  });
  afterAll(() => db.close());

  const insert = (id: string) => (trx: Parameters<Parameters<Db['write']>[0]>[0]) =>
    trx
      .insertInto('outbox')
      .values({
        id,
        workspace_id: 'w',
        type: 't',
        payload: '{}',
        created_at: '2026-01-01T00:00:00.000Z',
        delivered_at: null,
      })
      .execute();

  it('commits concurrent writes, and a failing one loses only its own work', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        db.write(async (trx) => {
          await insert(`w-${i}`)(trx);
          if (i === 7) throw new Error('write 7 fails after writing');
          if (i === 12) await insert('w-0')(trx); // a duplicate key: fails in the database
          return i;
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(2);
    expect((results[7] as PromiseRejectedResult).reason.message).toBe('write 7 fails after writing');
    expect((results[3] as PromiseFulfilledResult<number>).value).toBe(3);
    const ids = (await db.kysely.selectFrom('outbox').select('id').execute()).map((r) => r.id);
    expect(ids).toHaveLength(28);
    expect(ids).not.toContain('w-7');
    expect(ids).not.toContain('w-12');
  });

  it('answers only after the commit: a write is readable once it resolves', async () => {
    await db.write(insert('visible'));
    const row = await db.kysely
      .selectFrom('outbox')
      .select('id')
      .where('id', '=', 'visible')
      .executeTakeFirst();
    expect(row?.id).toBe('visible');
  });

  it('db.readRows sees every write answered before the read was asked', async () => {
    const readIds = async () =>
      (await db.readRows(db.kysely.selectFrom('outbox').select('id').compile())).map(([id]) => id);
    const before = await readIds();
    // a read opens the turn's snapshot; the write commits in a later turn, like a request after it
    await db.write(insert('after-read'));
    await new Promise((r) => setImmediate(r));
    const after = await readIds();
    expect(before).not.toContain('after-read');
    expect(after).toContain('after-read');
    for (let i = 0; i < 5; i++) {
      await db.write(insert(`loop-${i}`));
      await new Promise((r) => setImmediate(r));
      expect(await readIds()).toContain(`loop-${i}`);
    }
  });
});
