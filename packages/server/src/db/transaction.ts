import { type CompiledQuery, type Kysely, PostgresAdapter, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

/** Either the database or a transaction on it: services accept both. */
export type Executor = Kysely<Database>;

/** A read through Kysely with each row as the values of its select list, in order (`Db.readRows`). */
export async function rowsOf(exec: Executor, query: CompiledQuery): Promise<unknown[][]> {
  return (await exec.executeQuery<object>(query)).rows.map(Object.values);
}

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

/**
 * An error PostgreSQL raised for the statement itself, which then wrote nothing: bad data, a
 * constraint, a deadlock, a timeout. Told by its SQLSTATE alone (the severity's text is
 * translated). Not a lost connection or a stopping server (class 08, 57P), a connection stuck in
 * a failed transaction (class 25), 40003 (completion unknown: the statement may have committed),
 * nor an error that did not come from the server (the driver's own, the network's).
 */
export function isStatementError(err: unknown): boolean {
  // the server's errors carry a severity; Node's own (EPIPE: five letters too) do not
  if (typeof err !== 'object' || err === null || !('severity' in err)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return false;
  return code !== '40003' && !/^(08|25|57P)/.test(code);
}
