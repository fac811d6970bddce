import type { Identifier } from '@assent/core';
import { type Kysely, sql } from 'kysely';
import { compileTemplate } from '../../db/query-templates.ts';
import type { Database } from '../../db/schema.ts';
import { createBatcher, eachAlone, onePer } from '../../db/statement-batcher.ts';
import { type ChainHead, createSubjectStore } from './subject-store.ts';

export type HeadRow = ChainHead & { subject_id: string };

interface Lookup {
  workspaceId: string;
  identifier: Identifier;
}

/** Lookups in one query at most; more wait for the next. */
const MAX_BATCH = 64;
/** Batched queries running at once (each holds a pool connection). */
const MAX_RUNNING = 2;

/** The next batch: lookups of the first one's workspace and identifier type, in order. */
export function takeLookups<T extends Lookup>(queue: readonly T[], max = MAX_BATCH): T[] {
  const [first] = queue;
  if (!first) return [];
  const same = (l: Lookup) =>
    l.workspaceId === first.workspaceId && l.identifier.type === first.identifier.type;
  return queue.filter(same).slice(0, max);
}

/**
 * The subjects (and their chain heads) of identifiers of one workspace and type, found by the
 * unique index; each row says which of `values` it answers (`n`, from 1), as PostgreSQL read it.
 */
function lookupQuery(kysely: Kysely<Database>, workspaceId: string, type: string, values: string[]) {
  return compileTemplate<HeadRow & { n: string | number }>(
    kysely,
    'subjects.heads-by-values',
    [workspaceId, type, values],
    (v) =>
      kysely
        .selectFrom(sql`unnest(${v(2)}::text[]) with ordinality`.as(sql`q(value, n)` as never) as never)
        .innerJoin('subject_identifiers as i', (j) => j.on(sql`i.value`, '=', sql`q.value` as never) as never)
        .innerJoin('subjects as s', 's.id', 'i.subject_id')
        .select([
          sql<string>`q.n`.as('n'),
          'i.subject_id',
          's.ledger_seq',
          's.ledger_head',
          's.merged_into',
        ] as never)
        .where('i.workspace_id', '=', v(0))
        .where('i.type', '=', v(1))
        .where('i.value', '=', sql<string>`any(${v(2)}::text[])` as never) as never,
  );
}

/**
 * Finds the subject of an identifier with where its chain ends, as `headByIdentifier` does, for
 * PostgreSQL's optimistic writes: lookups that arrive while others run go together as one query
 * (one round trip for many requests). `alone` answers a lookup by itself.
 */
export function createHeadReader(
  kysely: Kysely<Database>,
  alone: (workspaceId: string, identifier: Identifier) => Promise<HeadRow | null>,
) {
  const read = createBatcher<Lookup, HeadRow | null>({
    maxRunning: MAX_RUNNING,
    take: (queue) => takeLookups(queue),
    async run(batch) {
      const { workspaceId, identifier } = batch[0];
      if (batch.length === 1) return eachAlone(batch, (l) => alone(l.workspaceId, l.identifier));
      const values = [...new Set(batch.map((l) => l.identifier.value))];
      const { rows } = await kysely.executeQuery(lookupQuery(kysely, workspaceId, identifier.type, values));
      const byValue = new Map(rows.map(({ n, ...head }) => [values[Number(n) - 1], head]));
      // each its own object: a caller may change what it gets
      return batch.map((l) => {
        const head = byValue.get(l.identifier.value);
        return { status: 'fulfilled', value: head ? { ...head } : null };
      });
    },
  });
  return (workspaceId: string, identifier: Identifier) => read({ workspaceId, identifier });
}

/** The head reader of this database (one per connection pool). */
export const headReaderOf = onePer((kysely: Kysely<Database>) => {
  const store = createSubjectStore(kysely);
  return createHeadReader(kysely, (workspaceId, identifier) =>
    store.headByIdentifier(workspaceId, identifier),
  );
});
