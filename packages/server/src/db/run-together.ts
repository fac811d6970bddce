import { type Compilable, CompiledQuery, PostgresAdapter } from 'kysely';
import type { Executor } from './transaction.ts';

/**
 * Runs data-changing statements that do not read one another's effects (inserts into different
 * tables, an update of another row). On PostgreSQL they go as one statement of data-modifying
 * CTEs: one round trip instead of one each, which is most of a write's cost there. Elsewhere
 * (SQLite, in-process) they run one after the other.
 */
export async function runTogether(exec: Executor, queries: Compilable[]): Promise<void> {
  const compiled = queries.map((q) => q.compile());
  if (compiled.length > 1 && exec.getExecutor().adapter instanceof PostgresAdapter) {
    const parameters: unknown[] = [];
    const parts = compiled.map((c, i) => {
      const offset = parameters.length;
      parameters.push(...c.parameters);
      // Kysely sends every value as a parameter: the text holds only quoted names and $n
      const text = c.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
      return `w${i} AS (${text})`;
    });
    await exec.executeQuery(CompiledQuery.raw(`WITH ${parts.join(', ')} SELECT 1`, parameters));
    return;
  }
  for (const c of compiled) await exec.executeQuery(c);
}
