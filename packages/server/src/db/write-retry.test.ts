import { sql, type Transaction } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testDatabases } from '../../test/support/test-database.ts';
import { type Db, migrate } from './database.ts';
import type { Database } from './schema.ts';

// deadlocks between transactions are PostgreSQL's (SQLite has one writer at a time)
if (testDatabases().includes('postgres')) {
  describe('writes that lose a race on postgres', () => {
    let db: Db;
    beforeAll(async () => {
      db = (await freshDatabase('postgres')).db;
      await migrate(db);
      await sql`create table rows_to_lock (id text primary key)`.execute(db.kysely);
      await sql`insert into rows_to_lock values ('a'), ('b')`.execute(db.kysely);
    });
    afterAll(() => db.close());

    it('runs a transaction again when PostgreSQL ended it to break a deadlock', async () => {
      const lock = (trx: Transaction<Database>, id: string) =>
        sql`select id from rows_to_lock where id = ${id} for update`.execute(trx);
      // each first attempt holds one row, waits until the other holds the other, then asks for it
      let holding = 0;
      const bothHold = async () => {
        holding++;
        while (holding < 2) await new Promise((r) => setTimeout(r, 5));
      };
      const runs = { ab: 0, ba: 0 };
      const crosswise = (first: string, second: string, key: 'ab' | 'ba') =>
        db.write(async (trx) => {
          runs[key]++;
          await lock(trx, first);
          if (runs[key] === 1) await bothHold();
          await lock(trx, second);
          return key;
        });
      expect(await Promise.all([crosswise('a', 'b', 'ab'), crosswise('b', 'a', 'ba')])).toEqual(['ab', 'ba']);
      // one of them lost the deadlock and ran a second time
      expect(runs.ab + runs.ba).toBe(3);
    });

    it('does not run again a write that lost a race for an Idempotency-Key (its caller reads the answer)', async () => {
      let runs = 0;
      const claim = () =>
        db.write(async (trx) => {
          runs++;
          await sql`select pg_sleep(0.05)`.execute(trx);
          await trx
            .insertInto('idempotency_keys')
            .values({
              workspace_id: 'ws_raced',
              key: 'raced-key',
              request_hash: 'h',
              status_code: 201,
              response: '{}',
              created_at: new Date().toISOString(),
            })
            .execute();
        });
      const outcomes = await Promise.allSettled([claim(), claim()]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(runs).toBe(2);
    });
  });
}
