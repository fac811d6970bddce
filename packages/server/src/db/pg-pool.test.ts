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
