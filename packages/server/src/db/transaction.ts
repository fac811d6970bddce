import { type Kysely, PostgresAdapter, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

/** Either the database or a transaction on it: services accept both. */
export type Executor = Kysely<Database>;

/** Runs fn in a transaction, joining the caller's one when there is one already. */
export function inTransaction<T>(exec: Executor, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (exec.isTransaction) return fn(exec as Transaction<Database>);
  return exec.transaction().execute(fn);
}

/** True for a unique-constraint violation on either database. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    e?.code === '23505' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/** True when `exec` runs on PostgreSQL. */
export const isPostgres = (exec: Executor) => exec.getExecutor().adapter instanceof PostgresAdapter;

/** PostgreSQL ended the transaction or statement to break a deadlock, or for a serialization failure: it wrote nothing. */
export const isLostRace = (err: unknown) =>
  ['40P01', '40001'].includes(String((err as { code?: unknown })?.code));
