import { type Compilable, CompiledQuery, type DialectAdapter, type Insertable } from 'kysely';
import type { Database } from './schema.ts';
import type { Executor } from './transaction.ts';

const MARK = '\u0000assent:';
/** Above this many values (by default) a query is built as usual: big shapes are rare and would crowd the cache. */
const TEMPLATE_MAX_VALUES = 512;
const CACHE_MAX = 1_000;

/** A compiled shape: its SQL text, its parameters, and for each parameter the value it takes (-1: its own). */
type Template = { sql: string; parameters: readonly unknown[]; slots: number[] };

/** Compiled shapes per database (its adapter): the same shape compiles to other SQL elsewhere. */
const caches = new WeakMap<DialectAdapter, Map<string, Template>>();
const given = (v: unknown) => (v === undefined ? null : v);

/** A value's stand-in while a template is built; typed `never` so it fits any column. */
export type Slot = (i: number) => never;

/**
 * Kysely builds and compiles a query anew on every call, which on a hot path costs as much as
 * running it. A template is built once per `shape` with stand-ins for its values (`v(i)` is
 * `values[i]`), compiled, and then only has its values swapped in. `shape` must name everything
 * that changes the SQL text (tables, columns, row counts, optional clauses); values must not.
 * Every value is a parameter: Kysely writes none into the SQL text. `undefined` is sent as NULL.
 * Queries with more than `maxValues` values are built as usual, uncached.
 */
export function compileTemplate<R = unknown>(
  exec: Executor,
  shape: string,
  values: readonly unknown[],
  build: (v: Slot) => Compilable<R>,
  maxValues = TEMPLATE_MAX_VALUES,
): CompiledQuery<R> {
  if (values.length > maxValues) return build(((i: number) => given(values[i])) as Slot).compile();
  const adapter = exec.getExecutor().adapter;
  let cache = caches.get(adapter);
  if (!cache) {
    cache = new Map();
    caches.set(adapter, cache);
  }
  let t = cache.get(shape);
  if (!t) {
    const compiled = build(((i: number) => `${MARK}${i}`) as Slot).compile();
    // the SQL and its parameters only: the query tree is not needed again
    const slots = compiled.parameters.map((p) =>
      typeof p === 'string' && p.startsWith(MARK) ? Number(p.slice(MARK.length)) : -1,
    );
    t = { sql: compiled.sql, parameters: compiled.parameters, slots };
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(shape, t);
  }
  const { slots } = t;
  const parameters = t.parameters.map((p, k) => (slots[k] < 0 ? p : given(values[slots[k]])));
  return CompiledQuery.raw(t.sql, parameters) as CompiledQuery<R>;
}

/** A compiled query where a builder is expected (`runTogether`, `.compile()` callers). */
export const asCompilable = <R>(query: CompiledQuery<R>): Compilable<R> => ({ compile: () => query });

/** What an insert adds to `insertInto(table).values(...)`, such as an ON CONFLICT clause, under a name. */
export type InsertTweak = { variant: string; apply: (insert: never) => Compilable };

/** An insert from `insertRows`: compiled, and described, so it can be built in another form (a write batch). */
export interface RowsInsert extends Compilable {
  insert: { table: string; columns: string[]; rows: readonly object[]; tweak?: InsertTweak };
}

/**
 * `insertInto(table).values(rows)` from a template: one per table, columns, row count and
 * `variant` (the name of what `tweak` adds, such as an ON CONFLICT clause). Every row must have
 * the columns of the first one, each given (use null, not a missing key, for NULL).
 */
export function insertRows<T extends keyof Database & string>(
  exec: Executor,
  table: T,
  rows: readonly Insertable<Database[T]>[],
  tweak?: InsertTweak,
): RowsInsert {
  if (rows.length === 0) throw new Error(`insertRows: no rows for ${table}`);
  const columns = Object.keys(rows[0]);
  const names = columns.join(',');
  const values: unknown[] = [];
  for (const r of rows as readonly Record<string, unknown>[]) {
    if ((r !== rows[0] && Object.keys(r).length !== columns.length) || !columns.every((c) => c in r))
      throw new Error(`insertRows: every row into ${table} must have the columns ${names}`);
    for (const c of columns) values.push(r[c]);
  }
  const shape = `insert|${table}|${names}|${rows.length}|${tweak?.variant ?? ''}`;
  // compiled when asked: a write batch builds its own form from `insert` instead
  let query: CompiledQuery | undefined;
  const compile = () => {
    query ??= compileTemplate(exec, shape, values, (v) => {
      const slots = rows.map((_, r) =>
        Object.fromEntries(columns.map((c, k) => [c, v(r * columns.length + k)])),
      );
      const insert = exec.insertInto(table).values(slots as never);
      return tweak ? tweak.apply(insert as never) : insert;
    });
    return query;
  };
  return { compile, insert: { table, columns, rows, tweak } };
}
