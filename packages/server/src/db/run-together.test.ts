import type { InsertQueryBuilder, InsertResult } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testDatabases } from '../../test/support/test-database.ts';
import type { Db } from './database.ts';
import { migrate } from './database.ts';
import { insertRows } from './query-templates.ts';
import { runGuarded, runTogether } from './run-together.ts';
import type { Database } from './schema.ts';

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

describe.skipIf(!testDatabases().includes('postgres'))('runGuarded on postgres', () => {
  let db: Db;
  beforeAll(async () => {
    db = (await freshDatabase('postgres')).db;
    await migrate(db);
    await db.kysely
      .insertInto('workspaces')
      .values({ id: 'w', key: 'w', name: 'W', settings: '{}', created_at: '2026-01-01T00:00:00.000Z' })
      .execute();
    await db.kysely
      .insertInto('subjects')
      .values({
        id: 's1',
        workspace_id: 'w',
        attributes: '{}',
        merged_into: null,
        ledger_seq: 4,
        ledger_head: 'h4',
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
      })
      .execute();
  });
  afterAll(() => db.close());

  const event = (id: string) => ({
    id,
    workspace_id: 'w',
    type: 'consent.updated',
    payload: JSON.stringify({ id, quote: `it's "quoted" \\ ${'\u00e9'}` }),
    created_at: '2026-01-01T00:00:00.000Z',
    delivered_at: null,
  });
  const moveFrom = (seq: number) =>
    db.kysely
      .updateTable('subjects')
      .set({ ledger_seq: seq + 1 })
      .where('id', '=', 's1')
      .where('ledger_seq', '=', seq)
      .returning('id');
  // the event's type is replaced when its id is already there
  const upsert = {
    variant: 'test-upsert',
    apply: (insert: never) =>
      (insert as InsertQueryBuilder<Database, 'outbox', InsertResult>).onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({ type: eb.ref('excluded.type') })),
      ),
  };

  it('makes every insert, values and types as given, when the guard changes a row', async () => {
    const done = await runGuarded(db.kysely, moveFrom(4), [
      insertRows(db.kysely, 'outbox', [event('g1'), event('g2')]),
      insertRows(db.kysely, 'subject_identifiers', [
        {
          id: 'i1',
          workspace_id: 'w',
          subject_id: 's1',
          type: 'email',
          value: 'a@example.com',
          created_at: 'x',
        },
      ]),
    ]);
    expect(done).toBe(true);
    const events = await db.kysely.selectFrom('outbox').selectAll().where('id', 'in', ['g1', 'g2']).execute();
    expect(events.sort((a, b) => a.id.localeCompare(b.id))).toEqual([event('g1'), event('g2')]);
    const held = await db.kysely.selectFrom('subject_identifiers').select(['id', 'value']).execute();
    expect(held).toEqual([{ id: 'i1', value: 'a@example.com' }]);
    const head = await db.kysely.selectFrom('subjects').select('ledger_seq').executeTakeFirstOrThrow();
    expect(Number(head.ledger_seq)).toBe(5);
    // a tweak (here an upsert) applies as it does to a plain insert
    const again = { ...event('g1'), type: 'subject.updated' };
    expect(await runGuarded(db.kysely, moveFrom(5), [insertRows(db.kysely, 'outbox', [again], upsert)])).toBe(
      true,
    );
    const g1 = await db.kysely.selectFrom('outbox').select('type').where('id', '=', 'g1').executeTakeFirst();
    expect(g1?.type).toBe('subject.updated');
  });

  it('writes nothing when the guard changes no row, an upsert included', async () => {
    const before = await db.kysely.selectFrom('subjects').select('ledger_seq').executeTakeFirstOrThrow();
    const seq = Number(before.ledger_seq);
    // a guard that no longer matches: the head has moved on from seq - 1
    const done = await runGuarded(db.kysely, moveFrom(seq - 1), [
      insertRows(db.kysely, 'outbox', [event('g3')]),
      insertRows(db.kysely, 'outbox', [{ ...event('g1'), type: 'subject.merged' }], upsert),
    ]);
    expect(done).toBe(false);
    const g3 = await db.kysely.selectFrom('outbox').select('id').where('id', '=', 'g3').executeTakeFirst();
    expect(g3).toBeUndefined();
    const g1 = await db.kysely.selectFrom('outbox').select('type').where('id', '=', 'g1').executeTakeFirst();
    expect(g1?.type).not.toBe('subject.merged');
    const head = await db.kysely.selectFrom('subjects').select('ledger_seq').executeTakeFirstOrThrow();
    expect(Number(head.ledger_seq)).toBe(seq);
  });
});
