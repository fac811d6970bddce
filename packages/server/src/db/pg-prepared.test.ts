import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testDatabases } from '../../test/support/test-database.ts';
import type { Db } from './database.ts';

// Prepared statements by query text are a PostgreSQL connection's feature: tested where it runs.
describe.skipIf(!testDatabases().includes('postgres'))('prepared statements on postgres', () => {
  let db: Db;
  beforeAll(async () => {
    db = (await freshDatabase('postgres')).db;
  });
  afterAll(() => db.close());

  it('prepares each parameterised query text once per connection and answers as before', async () => {
    const prepared = await db.kysely.connection().execute(async (c) => {
      const a = await sql<{ n: number; s: string }>`SELECT ${41}::int + 1 AS n, ${'x'}::text AS s`.execute(c);
      const b = await sql<{ n: number; s: string }>`SELECT ${1}::int + 1 AS n, ${'y'}::text AS s`.execute(c);
      expect(a.rows).toEqual([{ n: 42, s: 'x' }]);
      expect(b.rows).toEqual([{ n: 2, s: 'y' }]);
      await sql`SELECT 1`.execute(c);
      return (
        await sql<{
          name: string;
          statement: string;
        }>`SELECT name, statement FROM pg_prepared_statements`.execute(c)
      ).rows;
    });
    // one statement for the two runs of the same text; none for the query without parameters
    expect(prepared).toHaveLength(1);
    expect(prepared[0].name).toMatch(/^a_/);
    expect(prepared[0].statement).toContain('AS n');
  });

  it('keeps errors and their codes', async () => {
    await expect(sql`SELECT ${'nope'}::int AS n`.execute(db.kysely)).rejects.toMatchObject({ code: '22P02' });
  });
});
