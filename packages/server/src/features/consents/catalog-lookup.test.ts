import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testDatabases } from '../../../test/support/test-database.ts';
import type { Db } from '../../db/database.ts';
import { migrate } from '../../db/database.ts';
import { createCatalogLookup } from './catalog-lookup.ts';

describe.each(testDatabases())('the catalog lookup of ledger writes on %s', (kind) => {
  let db: Db;
  const at = '2026-11-01T00:00:00.000Z';
  const object = (key: string, data: object) => ({
    id: `obj-${key}`,
    workspace_id: 'ws-1',
    kind: 'purpose',
    key,
    name: key,
    data: JSON.stringify(data),
    parent_key: null,
    created_at: at,
    updated_at: at,
    archived_at: null,
  });
  beforeAll(async () => {
    db = (await freshDatabase(kind)).db;
    await migrate(db);
    await db.kysely
      .insertInto('workspaces')
      .values({ id: 'ws-1', key: 'w1', name: 'W', created_at: at } as never)
      .execute();
    await db.kysely
      .insertInto('catalog_objects')
      .values(object('analytics', { expiresAfterDays: 30 }))
      .execute();
  });
  afterAll(() => db.close());

  const want = (key: string) => [{ kind: 'purpose' as const, key, pointer: '/decisions/0/target/key' }];

  it('serves keys it has seen for the TTL, finds new ones at once, and sees archiving after the TTL', async () => {
    let clock = 1_000_000;
    const lookup = createCatalogLookup({ ttlMs: 5_000, now: () => clock });
    const first = await lookup(db.kysely, 'ws-1', want('analytics'));
    expect(first.get('purpose:analytics')).toEqual({ expiresAfterDays: 30 });

    await db.kysely
      .updateTable('catalog_objects')
      .set({ archived_at: at })
      .where('key', '=', 'analytics')
      .execute();
    await db.kysely.insertInto('catalog_objects').values(object('ads', {})).execute();
    clock += 4_000;
    // within the TTL: the archived purpose is still served from memory, the new one is read
    const second = await lookup(db.kysely, 'ws-1', [...want('analytics'), ...want('ads')]);
    expect([...second.keys()].sort()).toEqual(['purpose:ads', 'purpose:analytics']);

    clock += 1_001;
    await expect(lookup(db.kysely, 'ws-1', want('analytics'))).rejects.toMatchObject({
      code: 'unprocessable',
      errors: [
        { pointer: '/decisions/0/target/key', detail: 'No purpose with key "analytics" in this workspace' },
      ],
    });
  });

  it('answers 422 for a key no workspace object has, and keeps workspaces apart', async () => {
    const lookup = createCatalogLookup();
    await expect(lookup(db.kysely, 'ws-1', want('nope'))).rejects.toMatchObject({ code: 'unprocessable' });
    await expect(lookup(db.kysely, 'ws-2', want('ads'))).rejects.toMatchObject({ code: 'unprocessable' });
    expect((await lookup(db.kysely, 'ws-1', want('ads'))).has('purpose:ads')).toBe(true);
  });
});
