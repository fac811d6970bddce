import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { freshDatabaseUrl, testDatabases } from '../../test/support/test-database.ts';
import { createDatabase } from './database.ts';

// DATABASE_POOL_SIZE: a PostgreSQL setting (SQLite has one writing and one reading connection).
describe.skipIf(!testDatabases().includes('postgres'))('the connection pool on postgres', () => {
  it('opens at most poolSize connections, and the rest of the queries wait their turn', async () => {
    const { databaseUrl } = await freshDatabaseUrl('postgres');
    const small = createDatabase({ databaseUrl, poolSize: 2 });
    try {
      const pids = await Promise.all(
        Array.from({ length: 6 }, () =>
          sql<{ pid: number }>`SELECT pg_backend_pid() AS pid, pg_sleep(${0.05}::float8)`.execute(
            small.kysely,
          ),
        ),
      );
      expect(new Set(pids.map((r) => r.rows[0].pid)).size).toBe(2);
    } finally {
      await small.close();
    }
  });
});

describe.skipIf(!testDatabases().includes('postgres'))('a lost connection on postgres', () => {
  it('fails what was on it without crashing the process, and the pool goes on', async () => {
    const { databaseUrl } = await freshDatabaseUrl('postgres');
    const db = createDatabase({ databaseUrl, poolSize: 2 });
    const admin = createDatabase({ databaseUrl, poolSize: 1 });
    const uncaught: unknown[] = [];
    const listener = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', listener);
    const terminate = (pid: number) => sql`SELECT pg_terminate_backend(${pid}::int)`.execute(admin.kysely);
    try {
      // a transaction left open (its connection checked out, no query running) loses its backend
      const trx = await db.kysely.startTransaction().execute();
      const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
      await terminate(rows[0].pid);
      await new Promise((r) => setTimeout(r, 200));
      await expect(trx.rollback().execute()).rejects.toThrow();
      // and a query that is running loses it
      const slow = sql`SELECT pg_sleep(5) AS slept`.execute(db.kysely).then(
        () => null,
        (err: unknown) => err,
      );
      let pid: number | undefined;
      while (!pid) {
        const running = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity
          WHERE query LIKE 'SELECT pg_sleep%' AND datname = current_database()`.execute(admin.kysely);
        pid = running.rows[0]?.pid;
      }
      await terminate(pid);
      expect(await slow).toMatchObject({ code: '57P01' });
      // at once, before the dead connection's socket has closed: one may get it and fail
      await Promise.allSettled([1, 2, 3].map(() => sql`SELECT 1 AS one`.execute(db.kysely)));
      await new Promise((r) => setTimeout(r, 100));
      expect(uncaught).toEqual([]);
      expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(db.kysely)).rows).toEqual([{ one: 1 }]);
    } finally {
      process.off('uncaughtException', listener);
      await admin.close();
      await db.close();
    }
  });
});
