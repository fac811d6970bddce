import type {
  ConsentSource,
  ConsentState,
  DecisionRecord,
  Identifier,
  ScopeType,
  TargetType,
} from '@assent/core';
import type { Compilable, CompiledQuery, ExpressionBuilder } from 'kysely';
import { compileTemplate, type Slot } from '../../db/query-templates.ts';
import type { Database } from '../../db/schema.ts';
import { type Executor, rowsOf } from '../../db/transaction.ts';

/** A subject found for a check: its survivor id, attributes (JSON text) and, when read, its identifiers. */
export interface FoundSubject {
  id: string;
  attributes: string | null;
  identifiers: Identifier[];
}

/** The targets a set of questions can be decided on; the state query reads nothing else. */
export interface TargetFilter {
  topics: Set<string>;
  channels: Set<string>;
  purposes: Set<string>;
  vendors: Set<string>;
}

/** The key of an identifier in maps of a check's people. */
const keyOf = (type: string, value: string) => `${type}\u0000${value}`;
export const identifierKey = (i: { type: string; value: string }) => keyOf(i.type, i.value);

function pushTo<T>(map: Map<string, T[]>, key: string, value: T) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Above this many values a read is built as usual: big batches and audience chunks vary in size
 * too much to keep. A group of single checks (at most 16, one question) stays under it.
 */
const READ_TEMPLATE_MAX_VALUES = 32;
/** Lists of at most this many values are padded (`padded`). */
const PAD_UP_TO = 16;

/**
 * A short list padded with NULLs to 1, 2, 4, 8 or 16 values, so that a query over it takes one of
 * five shapes rather than one per length (NULL matches nothing in `in (...)`).
 */
function padded(list: readonly string[]): (string | null)[] {
  if (list.length > PAD_UP_TO) return [...list];
  let n = 1;
  while (n < list.length) n *= 2;
  return [...list, ...new Array<null>(n - list.length).fill(null)];
}

/** Runs a query from a template (`compileTemplate`): built and compiled once per shape. */
function createTemplates(db: Executor, read: Read) {
  return (shape: string, values: unknown[], build: (v: Slot) => Compilable<unknown>): Promise<Row[]> =>
    read(compileTemplate(db, shape, values, build, READ_TEMPLATE_MAX_VALUES));
}

type StateRow = {
  record_id: string | null;
  target_type: string | null;
  target_key: string | null;
  channel: string | null;
  scope_type: string | null;
  scope_key: string | null;
  state: string | null;
  occurred_at: string | null;
  expires_at: string | null;
  source: string | null;
};

/** A consent_state row as the decision reads it. */
export const toRecord = (r: StateRow): DecisionRecord => ({
  id: r.record_id as string,
  targetType: r.target_type as TargetType,
  targetKey: r.target_key as string,
  channel: r.channel as string,
  scopeType: r.scope_type as ScopeType,
  scopeKey: r.scope_key as string,
  state: r.state as ConsentState,
  occurredAt: r.occurred_at as string,
  expiresAt: r.expires_at,
  source: r.source as ConsentSource,
});

/** A row as `Read` gives it: the values of the select list, in its order. */
type Row = unknown[];

/** The consent_state columns a decision reads, in the order `recordAt` takes them. */
const stateColumns = [
  'cs.record_id',
  'cs.target_type',
  'cs.target_key',
  'cs.channel',
  'cs.scope_type',
  'cs.scope_key',
  'cs.state',
  'cs.occurred_at',
  'cs.expires_at',
  'cs.source',
] as const;

/** The record in `row` whose `stateColumns` start at `at`; null when a left join found none. */
function recordAt(row: Row, at: number): DecisionRecord | null {
  if (row[at] === null) return null;
  return {
    id: row[at] as string,
    targetType: row[at + 1] as TargetType,
    targetKey: row[at + 2] as string,
    channel: row[at + 3] as string,
    scopeType: row[at + 4] as ScopeType,
    scopeKey: row[at + 5] as string,
    state: row[at + 6] as ConsentState,
    occurredAt: row[at + 7] as string,
    expiresAt: row[at + 8] as string | null,
    source: row[at + 9] as ConsentSource,
  };
}

/** Lays out values for a template: returns the shape, the values and a builder-side accessor per group. */
function layout(groups: Record<string, readonly (string | null)[]>) {
  const values: (string | null)[] = [];
  const at: Record<string, number[]> = {};
  const shape: string[] = [];
  for (const [name, list] of Object.entries(groups)) {
    at[name] = list.map((x) => values.push(x) - 1);
    shape.push(`${name}:${list.length}`);
  }
  return { values, at, shape: shape.join(',') };
}

/** `(target_type = 'topic' and target_key in (...)) or ...` over consent_state `cs`, values via `v`. */
function targetCondition(
  eb: ExpressionBuilder<{ cs: Database['consent_state'] }, 'cs'>,
  at: Record<string, number[]>,
  v: Slot,
) {
  const kinds: TargetType[] = ['topic', 'channel', 'purpose', 'vendor'];
  return eb.or(
    kinds
      .filter((k) => at[k].length > 0)
      .map((k) =>
        eb.and([eb('cs.target_type', '=', v(at[`type:${k}`][0])), eb('cs.target_key', 'in', at[k].map(v))]),
      ),
  );
}

function targetGroups(t: TargetFilter) {
  return {
    topic: [...t.topics],
    channel: [...t.channels],
    purpose: [...t.purposes],
    vendor: [...t.vendors],
    'type:topic': ['topic'],
    'type:channel': ['channel'],
    'type:purpose': ['purpose'],
    'type:vendor': ['vendor'],
  };
}

/**
 * How reads run: the database's hot-path reader (`Db.readRows`), or Kysely's executor. Rows come
 * as arrays: with an object per row, reading a person's three state rows took half as long again.
 */
export type Read = (query: CompiledQuery) => Promise<Row[]>;

/**
 * The reads behind a decision, each one indexed query for a whole chunk of checks: identifiers
 * with their subjects' consent state, subjects by id, suppressions. Every query is scoped to one workspace.
 */
export function createDecisionStore(db: Executor, read?: Read) {
  const run = createTemplates(db, read ?? ((q: CompiledQuery) => rowsOf(db, q)));

  async function stateOf(
    workspaceId: string,
    subjectIds: string[],
    t: TargetFilter,
  ): Promise<Map<string, DecisionRecord[]>> {
    const out = new Map<string, DecisionRecord[]>();
    if (subjectIds.length === 0) return out;
    const { values, at, shape } = layout({
      ws: [workspaceId],
      subjects: padded(subjectIds),
      ...targetGroups(t),
    });
    const rows = await run(`state|${shape}`, values, (v) =>
      db
        .selectFrom('consent_state as cs')
        .select(['cs.subject_id', ...stateColumns])
        .where('cs.workspace_id', '=', v(at.ws[0]))
        .where('cs.subject_id', 'in', at.subjects.map(v))
        .where((eb) => targetCondition(eb, at, v)),
    );
    // subject_id, then the state columns
    for (const r of rows) pushTo(out, r[0] as string, recordAt(r, 1) as DecisionRecord);
    return out;
  }

  return {
    stateOf,

    /**
     * Finds the subjects holding these (normalised) identifiers together with their consent state
     * on the targets, in one query. Merged subjects hold no identifiers, so a hit is a survivor.
     */
    async findWithState(
      workspaceId: string,
      identifiers: Identifier[],
      t: TargetFilter,
      opts: { attributes: boolean },
    ): Promise<{ found: Map<string, FoundSubject>; states: Map<string, DecisionRecord[]> }> {
      const found = new Map<string, FoundSubject>();
      const states = new Map<string, DecisionRecord[]>();
      if (identifiers.length === 0) return { found, states };
      const byType = new Map<string, Set<string>>();
      for (const i of identifiers) {
        const set = byType.get(i.type) ?? new Set<string>();
        byType.set(i.type, set.add(i.value));
      }
      const types = [...byType.keys()];
      const groups: Record<string, (string | null)[]> = { ws: [workspaceId], types };
      types.forEach((type, k) => {
        groups[`values:${k}`] = padded([...(byType.get(type) as Set<string>)]);
      });
      const { values, at, shape } = layout({ ...groups, ...targetGroups(t) });
      const rows = await run(`find|${opts.attributes}|${shape}`, values, (v) =>
        db
          .selectFrom('subject_identifiers as asked')
          .leftJoin('consent_state as cs', (join) =>
            join
              .onRef('cs.workspace_id', '=', 'asked.workspace_id')
              .onRef('cs.subject_id', '=', 'asked.subject_id')
              .on((eb) => targetCondition(eb as never, at, v)),
          )
          .select([
            'asked.type as askedType',
            'asked.value as askedValue',
            'asked.subject_id',
            ...stateColumns,
          ])
          .$if(opts.attributes, (q) =>
            q.innerJoin('subjects', 'subjects.id', 'asked.subject_id').select('subjects.attributes'),
          )
          .where('asked.workspace_id', '=', v(at.ws[0]))
          .where((eb) =>
            eb.or(
              at.types.map((ti, k) =>
                eb.and([eb('asked.type', '=', v(ti)), eb('asked.value', 'in', at[`values:${k}`].map(v))]),
              ),
            ),
          ),
      );
      // a subject asked by two identifiers comes twice: take its state from the first one only
      const firstAsked = new Map<string, string>();
      for (const r of rows) {
        // askedType, askedValue, subject_id, the state columns, then attributes when asked for
        const asked = keyOf(r[0] as string, r[1] as string);
        const subjectId = r[2] as string;
        let s = found.get(asked);
        if (!s) {
          const first = firstAsked.get(subjectId);
          s = (first && found.get(first)) || {
            id: subjectId,
            attributes: (r[3 + stateColumns.length] as string | undefined) ?? null,
            identifiers: [],
          };
          found.set(asked, s);
          if (!first) firstAsked.set(subjectId, asked);
        }
        const record = recordAt(r, 3);
        if (record === null || firstAsked.get(subjectId) !== asked) continue;
        pushTo(states, subjectId, record);
      }
      return { found, states };
    },

    /** Every identifier these subjects hold, by subject id. */
    async identifiersOf(workspaceId: string, subjectIds: string[]): Promise<Map<string, Identifier[]>> {
      const out = new Map<string, Identifier[]>();
      if (subjectIds.length === 0) return out;
      const rows = await db
        .selectFrom('subject_identifiers')
        .select(['subject_id', 'type', 'value'])
        .where('workspace_id', '=', workspaceId)
        .where('subject_id', 'in', subjectIds)
        .execute();
      for (const r of rows) {
        pushTo(out, r.subject_id, { type: r.type as Identifier['type'], value: r.value });
      }
      return out;
    },

    /** Subjects by id, with their identifiers; a merged id answers with its survivor. Unknown ids are left out. */
    async byIds(
      workspaceId: string,
      ids: string[],
      withAttributes: boolean,
    ): Promise<Map<string, FoundSubject>> {
      const out = new Map<string, FoundSubject>();
      if (ids.length === 0) return out;
      const read = (wanted: string[]) =>
        db
          .selectFrom('subjects')
          .select(['id', 'merged_into'])
          .$if(withAttributes, (q) => q.select('attributes'))
          .where('workspace_id', '=', workspaceId)
          .where('id', 'in', wanted)
          .execute();
      const rows = await read([...new Set(ids)]);
      const subjects = new Map<string, FoundSubject>();
      const add = (r: { id: string; attributes?: string }) =>
        subjects.set(r.id, { id: r.id, attributes: r.attributes ?? null, identifiers: [] });
      for (const r of rows) if (!r.merged_into) add(r);
      const survivors = [
        ...new Set(
          rows.flatMap((r) => (r.merged_into && !subjects.has(r.merged_into) ? [r.merged_into] : [])),
        ),
      ];
      if (survivors.length) for (const r of await read(survivors)) add(r);
      const held = await this.identifiersOf(workspaceId, [...subjects.keys()]);
      for (const [id, list] of held) {
        const s = subjects.get(id);
        if (s) s.identifiers = list;
      }
      for (const r of rows) {
        const s = subjects.get(r.merged_into ?? r.id);
        if (s) out.set(r.id, s);
      }
      return out;
    },

    /** Suppressions of these identifier hashes on these channels, by `channel hash`. */
    async suppressions(
      workspaceId: string,
      channels: string[],
      hashes: string[],
    ): Promise<Map<string, { reason: string; createdAt: string }>> {
      const out = new Map<string, { reason: string; createdAt: string }>();
      if (channels.length === 0 || hashes.length === 0) return out;
      const { values, at, shape } = layout({
        ws: [workspaceId],
        channels,
        hashes: padded([...new Set(hashes)]),
      });
      const rows = await run(`suppressions|${shape}`, values, (v) =>
        db
          .selectFrom('suppressions')
          .select(['channel', 'identifier_hash', 'reason', 'created_at'])
          .where('workspace_id', '=', v(at.ws[0]))
          .where('channel', 'in', at.channels.map(v))
          .where('identifier_hash', 'in', at.hashes.map(v)),
      );
      // channel, identifier_hash, reason, created_at
      for (const [channel, hash, reason, createdAt] of rows as string[][])
        out.set(`${channel} ${hash}`, { reason, createdAt });
      return out;
    },
  };
}

export type DecisionStore = ReturnType<typeof createDecisionStore>;
