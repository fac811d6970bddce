import { byCodeUnits, compareIdentifiers } from '@assent/core';
import { CompiledQuery, type Kysely, sql } from 'kysely';
import { compileTemplate, type RowsInsert } from '../../db/query-templates.ts';
import { asCtes } from '../../db/run-together.ts';
import type { Database } from '../../db/schema.ts';
import { createBatcher, eachAlone, onePer } from '../../db/statement-batcher.ts';
import { isStatementError } from '../../db/transaction.ts';

/** Where a write moves its subject's chain head: from `fromSeq`, only if it is still there. */
export interface HeadMove {
  workspaceId: string;
  subjectId: string;
  fromSeq: number;
  head: { seq: number; hash: string; at: string };
}

/**
 * One optimistic ledger write (PostgreSQL): its inserts, made only if its `move` of the chain
 * head succeeds (none for a new subject's first write, whose inserts create the subject).
 */
export interface BatchedWrite {
  move: HeadMove | null;
  inserts: RowsInsert[];
}

/** Writes in one statement at most; more wait for the next. */
const MAX_BATCH = 32;
/** Batched statements running at once (each holds a pool connection). */
const MAX_RUNNING = 2;
/** The entry a row belongs to, a key json_populate_record leaves aside. */
const ENTRY = '_e';

/** `insert into t (cols) select cols from <the batch's rows of t> where their entry's move succeeded`. */
function batchedInsert(kysely: Kysely<Database>, group: RowsInsert['insert'], rows: object[]) {
  const { table, columns, tweak } = group;
  const shape = `batched|${table}|${columns.join(',')}|${tweak?.variant ?? ''}`;
  return compileTemplate(kysely, shape, [JSON.stringify(rows)], (v) => {
    const source = sql`json_array_elements(${v(0)}::json) as j(v) cross join lateral json_populate_record(null::${sql.table(table)}, j.v)`;
    const select = kysely
      .selectFrom(source.as('r') as never)
      .select(columns.map((c) => sql.ref(`r.${c}`)) as never)
      .where(sql<boolean>`(j.v->>${sql.lit(ENTRY)})::int in (select e from ok)` as never);
    const insert = kysely
      .insertInto(table as never)
      .columns(columns as never)
      .expression(select as never);
    return tweak ? tweak.apply(insert as never) : insert;
  });
}

/**
 * The heads to move, as JSON rows, applied together; returns the entries whose move succeeded.
 * Each row is first locked, in id order, unless another transaction holds it: a write whose
 * row is held fails its move without waiting (it is then made in a transaction, which waits on
 * its own), so a held row never stalls the other writes of the batch, and two batches cannot
 * wait on each other. The ids go as an array: the rows are found by the primary key, whatever
 * the planner guesses of the JSON's row count (it would otherwise scan the table).
 */
const MOVES = `update "subjects" as s set "ledger_seq" = m.seq, "ledger_head" = m.head, "updated_at" = m.at
  from json_to_recordset($1::json) as m(e int, ws text, id text, from_seq int, seq int, head text, at text)
  where s."id" in (select l."id" from "subjects" as l where l."id" = any($2::text[])
      order by l."id" for no key update skip locked)
    and s."workspace_id" = m.ws and s."id" = m.id and s."ledger_seq" = m.from_seq and s."merged_into" is null
  returning m.e`;

type IdentifierRow = { workspace_id: string; type: string; value: string };

/** New identifiers by workspace, type and value: the one order every write path inserts them in. */
const byIdentifier = (a: object, b: object) => {
  const [x, y] = [a as IdentifierRow, b as IdentifierRow];
  return byCodeUnits(x.workspace_id, y.workspace_id) || compareIdentifiers(x, y);
};

/** What a write claims: its subject's row, and the new identifiers it inserts (a unique key). */
function claimsOf(w: BatchedWrite): string[] {
  const claims = w.move ? [`subject\u0000${w.move.subjectId}`] : [];
  for (const { insert } of w.inserts) {
    if (insert.table !== 'subject_identifiers') continue;
    for (const r of insert.rows as IdentifierRow[])
      claims.push(`identifier\u0000${r.workspace_id}\u0000${r.type}\u0000${r.value}`);
  }
  return claims;
}

/** The whole batch as one statement: the head moves, then every table's rows of the entries that may write. */
export function batchStatement(
  kysely: Kysely<Database>,
  batch: BatchedWrite[],
): CompiledQuery<{ e: number }> {
  const moves = batch
    .flatMap((w, e) => (w.move ? [moveRow(e, w.move)] : []))
    .sort((a, b) => byCodeUnits(a.id, b.id));
  const free = batch.flatMap((w, e) => (w.move ? [] : [e]));
  const groups = new Map<string, { insert: RowsInsert['insert']; rows: object[] }>();
  batch.forEach((w, e) => {
    for (const { insert } of w.inserts) {
      const key = `${insert.table}|${insert.columns.join(',')}|${insert.tweak?.variant ?? ''}`;
      let group = groups.get(key);
      if (!group) {
        group = { insert, rows: [] };
        groups.set(key, group);
      }
      for (const row of insert.rows) group.rows.push({ ...row, [ENTRY]: e });
    }
  });
  // a fixed order of tables, so a batch of the same kinds of write has the same text (one prepared statement)
  const ordered = [...groups.entries()].sort(([a], [b]) => byCodeUnits(a, b));
  // writes that wait on each other's new identifiers then wait in one direction, never in a cycle
  // (the subject store's createQueries and the upsert's addIdentifier loop sort them the same way)
  for (const [, g] of ordered) {
    if (g.insert.table === 'subject_identifiers') g.rows.sort(byIdentifier);
  }
  const head = [
    ['guard', CompiledQuery.raw(MOVES, [JSON.stringify(moves), moves.map((m) => m.id)])],
    [
      'ok',
      CompiledQuery.raw(
        'select e from guard union all select value::int from json_array_elements_text($1::json)',
        [JSON.stringify(free)],
      ),
    ],
  ] as [string, CompiledQuery][];
  const { ctes, parameters } = asCtes([
    ...head,
    ...ordered.map(([, g], i): [string, CompiledQuery] => [`w${i}`, batchedInsert(kysely, g.insert, g.rows)]),
  ]);
  return CompiledQuery.raw(`WITH ${ctes} SELECT e FROM guard`, parameters);
}

const moveRow = (e: number, m: HeadMove) => ({
  e,
  ws: m.workspaceId,
  id: m.subjectId,
  from_seq: m.fromSeq,
  seq: m.head.seq,
  head: m.head.hash,
  at: m.head.at,
});

/**
 * The next batch out of `queue`: writes in order, at most `max`, leaving for a later batch a
 * write that claims what one in the batch claims (two moves of one row in one statement would
 * not see each other; two inserts of one new identifier fail the statement).
 */
export function takeBatch<T extends BatchedWrite>(queue: readonly T[], max = MAX_BATCH): T[] {
  const batch: T[] = [];
  const claimed = new Set<string>();
  for (const w of queue) {
    if (batch.length === max) break;
    const claims = claimsOf(w);
    if (claims.some((c) => claimed.has(c))) continue;
    for (const c of claims) claimed.add(c);
    batch.push(w);
  }
  return batch;
}

/**
 * Group commit for PostgreSQL's optimistic writes of one kind (moves, or new people's first
 * writes): writes that arrive while others are running go together as one statement
 * (`batchStatement`), which saves each its round trip and most of the database's per-statement
 * work. A write whose move fails (its head moved, or another transaction holds it) is answered
 * false and wrote nothing. When PostgreSQL refuses the statement (`isStatementError`), each write
 * is made in a statement of its own, so each gets its own answer or error; any other error (such
 * as a lost connection, when the statement may have committed) fails every write of the batch.
 */
export function createWriteBatcher(kysely: Kysely<Database>) {
  const one = async (batch: BatchedWrite[]) => {
    const { rows } = await kysely.executeQuery(batchStatement(kysely, batch));
    const written = new Set(rows.map((r) => Number(r.e)));
    return batch.map((w, e) => (w.move ? written.has(e) : true));
  };
  return createBatcher<BatchedWrite, boolean>({
    maxRunning: MAX_RUNNING,
    take: (queue) => takeBatch(queue),
    async run(batch) {
      try {
        return (await one(batch)).map((value) => ({ status: 'fulfilled', value }));
      } catch (err) {
        if (batch.length === 1 || !isStatementError(err)) throw err;
        return eachAlone(batch, async (w) => (await one([w]))[0]);
      }
    },
  });
}

/**
 * The batchers of this database (one pair per connection pool). Moves and new people's writes
 * go in batches of their own: a move never waits (a held row is skipped), while a new person's
 * identifier waits for another transaction inserting the same one, and so would every move of
 * its batch.
 */
export const writeBatcherOf = onePer((kysely: Kysely<Database>) => {
  const moves = createWriteBatcher(kysely);
  const creates = createWriteBatcher(kysely);
  return (w: BatchedWrite) => (w.move ? moves(w) : creates(w));
});
