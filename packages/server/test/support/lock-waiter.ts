import { type Kysely, sql } from 'kysely';

/** PostgreSQL only: the text of the first query waiting for a lock, once there is one. */
export async function lockWaiter(db: Kysely<never>): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const waiting = await sql<{ query: string }>`
      select query from pg_stat_activity
      where wait_event_type = 'Lock' and datname = current_database()`.execute(db);
    if (waiting.rows.length > 0) return waiting.rows[0].query;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('no query waited for a lock');
}
