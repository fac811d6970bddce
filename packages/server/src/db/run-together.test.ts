import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testDatabases } from '../../test/support/test-database.ts';
import type { Db } from './database.ts';
import { migrate } from './database.ts';
import { runTogether } from './run-together.ts';

describe.each(testDatabases())('runTogether on %s', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = (await freshDatabase(kind)).db;
    await migrate(db);
  });
  afterAll(() => db.close());

  const event = (id: string, type: string) => ({
    id,
    workspace_id: 'w',
    type,
    payload: JSON.stringify({ id }),
    created_at: '2026-01-01T00:00:00.000Z',
    delivered_at: null,
  });

  it('runs every statement with its own values, in one transaction', async () => {
    await db.write((trx) =>
      runTogether(trx, [
        trx.insertInto('outbox').values([event('a', 't1'), event('b', 't2')]),
        trx.insertInto('audit_log').values({
          id: 'x',
          workspace_id: 'w',
          actor: 'k',
          action: 'test.run',
          target_type: 'outbox',
          target_id: 'a',
          request_id: null,
          at: '2026-01-01T00:00:00.000Z',
        }),
        trx.insertInto('outbox').values(event('c', 't3')),
      ]),
    );
    const rows = await db.kysely
      .selectFrom('outbox')
      .select(['id', 'type', 'payload'])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: 'a', type: 't1', payload: '{"id":"a"}' },
      { id: 'b', type: 't2', payload: '{"id":"b"}' },
      { id: 'c', type: 't3', payload: '{"id":"c"}' },
    ]);
    const entry = await db.kysely
      .selectFrom('audit_log')
      .selectAll()
      .where('id', '=', 'x')
      .executeTakeFirst();
    expect(entry?.target_id).toBe('a');
  });

  it('keeps nothing when one of the statements fails', async () => {
    await expect(
      db.write((trx) =>
        runTogether(trx, [
          trx.insertInto('outbox').values(event('d', 't4')),
          trx.insertInto('outbox').values(event('a', 'duplicate')),
        ]),
      ),
    ).rejects.toThrow();
    const d = await db.kysely.selectFrom('outbox').select('id').where('id', '=', 'd').executeTakeFirst();
    expect(d).toBeUndefined();
  });
});
