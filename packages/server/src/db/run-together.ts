import { type Compilable, CompiledQuery, sql } from 'kysely';
import { compileTemplate, type RowsInsert } from './query-templates.ts';
import { type Executor, isPostgres } from './transaction.ts';

/** `name AS (statement), ...` with each statement's $n renumbered after the ones before it. */
export function asCtes(named: [string, CompiledQuery][]) {
  const parameters: unknown[] = [];
  const parts = named.map(([name, c]) => {
    const offset = parameters.length;
    parameters.push(...c.parameters);
    // Kysely sends every value as a parameter: the text holds only quoted names and $n
    const text = c.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
    return `${name} AS (${text})`;
  });
  return { ctes: parts.join(', '), parameters };
}

/**
 * Runs data-changing statements that do not read one another's effects (inserts into different
 * tables, an update of another row). On PostgreSQL they go as one statement of data-modifying
 * CTEs: one round trip instead of one each, which is most of a write's cost there. Elsewhere
 * (SQLite, in-process) they run one after the other.
 */
export async function runTogether(exec: Executor, queries: Compilable[]): Promise<void> {
  const compiled = queries.map((q) => q.compile());
  if (compiled.length > 1 && isPostgres(exec)) {
    const { ctes, parameters } = asCtes(compiled.map((c, i) => [`w${i}`, c]));
    await exec.executeQuery(CompiledQuery.raw(`WITH ${ctes} SELECT 1`, parameters));
    return;
  }
  for (const c of compiled) await exec.executeQuery(c);
}

const GUARD = 'guard';

/** `insert into t (cols) select cols from <the rows as JSON> where exists (select 1 from guard)`, then its tweak. */
function guardedInsert(exec: Executor, { table, columns, rows, tweak }: RowsInsert['insert']) {
  const shape = `guarded|${table}|${columns.join(',')}|${tweak?.variant ?? ''}`;
  return compileTemplate(exec, shape, [JSON.stringify(rows)], (v) => {
    // the JSON takes each column's own type from the table's row type: no casts per value
    const source = sql`json_populate_recordset(null::${sql.table(table)}, ${v(0)}::json)`.as('r');
    const select = exec
      .selectFrom(source as never)
      .select(columns.map((c) => sql.ref(`r.${c}`)) as never)
      .where(sql<boolean>`exists (select 1 from ${sql.table(GUARD)})` as never);
    const insert = exec
      .insertInto(table as never)
      .columns(columns as never)
      .expression(select as never);
    return tweak ? tweak.apply(insert as never) : insert;
  });
}

/**
 * PostgreSQL only: one statement, atomic without BEGIN and COMMIT, that runs `guard` (an UPDATE
 * ... RETURNING, such as "move this chain head on if it is still where it was read") and makes
 * the `inserts` only if the guard changed a row. Returns whether it did; when it did not,
 * nothing was written. Saves a write the round trips of its transaction and of its locks.
 * The rows go as JSON: strings, numbers (integers), booleans and null only. PostgreSQL's JSON
 * refuses a string holding U+0000 or a lone surrogate (a plain parameter would fail on the first
 * and turn the second into U+FFFD): give such columns JSON text, keys or ids, as the ledger does.
 */
export async function runGuarded(exec: Executor, guard: Compilable, inserts: RowsInsert[]): Promise<boolean> {
  if (!isPostgres(exec)) throw new Error('runGuarded runs on PostgreSQL only');
  const { ctes, parameters } = asCtes([
    [GUARD, guard.compile()],
    ...inserts.map((q, i): [string, CompiledQuery] => [`w${i}`, guardedInsert(exec, q.insert)]),
  ]);
  const { rows } = await exec.executeQuery<{ n: number }>(
    CompiledQuery.raw(`WITH ${ctes} SELECT count(*)::int AS n FROM ${GUARD}`, parameters),
  );
  return (rows[0]?.n ?? 0) > 0;
}
