import { AssentError, compareIdentifiers, type Identifier, type IdentifierType } from '@assent/core';
import { compileTemplate, insertRows, type RowsInsert } from '../../db/query-templates.ts';
import type { Executor } from '../../db/transaction.ts';
import { newId, nowIso } from '../../shared/ids.ts';
import { parseJson } from '../../shared/json.ts';

export interface Subject {
  id: string;
  identifiers: Identifier[];
  attributes: Record<string, unknown>;
  /** Set when this subject was merged into another: the survivor carries its history. */
  mergedInto: string | null;
  createdAt: string;
  updatedAt: string;
}

type SubjectRow = {
  id: string;
  attributes: string;
  merged_into: string | null;
  created_at: string;
  updated_at: string;
};

/** Where a subject's ledger chain ends, and whether the subject was merged into another. */
export type ChainHead = { ledger_seq: number; ledger_head: string | null; merged_into: string | null };

/** Reads and writes subjects and their identifiers; every query is scoped to one workspace. */
export function createSubjectStore(db: Executor) {
  async function identifiersOf(exec: Executor, subjectId: string): Promise<Identifier[]> {
    const rows = await exec
      .selectFrom('subject_identifiers')
      .select(['type', 'value'])
      .where('subject_id', '=', subjectId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ type: r.type as IdentifierType, value: r.value }));
  }
  const toSubject = async (exec: Executor, r: SubjectRow): Promise<Subject> => ({
    id: r.id,
    identifiers: await identifiersOf(exec, r.id),
    attributes: parseJson(r.attributes, {}),
    mergedInto: r.merged_into,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });

  return {
    async byId(workspaceId: string, id: string, exec: Executor = db): Promise<Subject | null> {
      const row = await exec
        .selectFrom('subjects')
        .select(['id', 'attributes', 'merged_into', 'created_at', 'updated_at'])
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toSubject(exec, row) : null;
    },

    /** The subject id holding this (normalised) identifier, or null. Merged subjects hold none. */
    async idByIdentifier(workspaceId: string, id: Identifier, exec: Executor = db): Promise<string | null> {
      const query = compileTemplate(
        exec,
        'subjects.id-by-identifier',
        [workspaceId, id.type, id.value],
        (v) =>
          exec
            .selectFrom('subject_identifiers')
            .select('subject_id')
            .where('workspace_id', '=', v(0))
            .where('type', '=', v(1))
            .where('value', '=', v(2)),
      );
      const [row] = (await exec.executeQuery(query)).rows;
      return row?.subject_id ?? null;
    },

    /**
     * `idByIdentifier` with the subject's chain head, in one query: for a write that reads the
     * head rather than locking it (an optimistic write, guarded when it is made).
     */
    async headByIdentifier(workspaceId: string, id: Identifier, exec: Executor = db) {
      const query = compileTemplate<ChainHead & { subject_id: string }>(
        exec,
        'subjects.head-by-identifier',
        [workspaceId, id.type, id.value],
        (v) =>
          exec
            .selectFrom('subject_identifiers as i')
            .innerJoin('subjects as s', 's.id', 'i.subject_id')
            .select(['i.subject_id', 's.ledger_seq', 's.ledger_head', 's.merged_into'])
            .where('i.workspace_id', '=', v(0))
            .where('i.type', '=', v(1))
            .where('i.value', '=', v(2)),
      );
      const [row] = (await exec.executeQuery(query)).rows;
      return row ?? null;
    },

    async create(
      exec: Executor,
      workspaceId: string,
      identifiers: Identifier[],
      attributes: Record<string, unknown>,
    ) {
      const { id, queries } = this.createQueries(exec, workspaceId, identifiers, attributes);
      for (const q of queries) await exec.executeQuery(q.compile());
      return id;
    },

    /**
     * The inserts of `create` (the subject, then its identifiers), to run with others
     * (`runTogether`); `ledger` is the chain head of a subject created with its first records.
     */
    createQueries(
      exec: Executor,
      workspaceId: string,
      identifiers: Identifier[],
      attributes: Record<string, unknown>,
      { id = newId(), ledger = { seq: 0, head: null as string | null } } = {},
    ) {
      const now = nowIso();
      const queries: RowsInsert[] = [
        insertRows(exec, 'subjects', [
          {
            id,
            workspace_id: workspaceId,
            attributes: JSON.stringify(attributes),
            merged_into: null,
            ledger_seq: ledger.seq,
            ledger_head: ledger.head,
            created_at: now,
            updated_at: now,
          },
        ]),
      ];
      if (identifiers.length) {
        queries.push(
          insertRows(
            exec,
            'subject_identifiers',
            // ids in the order given (a person's identifiers are listed so), rows inserted in
            // one order on every path: two transactions inserting the same new identifiers then
            // wait for each other in one direction, never in a cycle
            identifiers
              .map((i) => ({
                id: newId(),
                workspace_id: workspaceId,
                subject_id: id,
                type: i.type,
                value: i.value,
                created_at: now,
              }))
              .sort(compareIdentifiers),
          ),
        );
      }
      return { id, queries };
    },

    async addIdentifier(exec: Executor, workspaceId: string, subjectId: string, i: Identifier) {
      await exec
        .insertInto('subject_identifiers')
        .values({
          id: newId(),
          workspace_id: workspaceId,
          subject_id: subjectId,
          type: i.type,
          value: i.value,
          created_at: nowIso(),
        })
        .execute();
    },

    async setAttributes(
      exec: Executor,
      workspaceId: string,
      subjectId: string,
      attributes: Record<string, unknown>,
    ) {
      await exec
        .updateTable('subjects')
        .set({ attributes: JSON.stringify(attributes), updated_at: nowIso() })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', subjectId)
        .execute();
    },

    /** Ids whose ledger history belongs to this subject: itself and every subject merged into it. */
    async historyIds(workspaceId: string, subjectId: string, exec: Executor = db): Promise<string[]> {
      const rows = await exec
        .selectFrom('subjects')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('merged_into', '=', subjectId)
        .execute();
      return [subjectId, ...rows.map((r) => r.id)];
    },

    /** Moves `fromId` (and whatever was merged into it) under `intoId`; identifiers follow. */
    async merge(exec: Executor, workspaceId: string, intoId: string, fromId: string) {
      const now = nowIso();
      await exec
        .updateTable('subject_identifiers')
        .set({ subject_id: intoId })
        .where('workspace_id', '=', workspaceId)
        .where('subject_id', '=', fromId)
        .execute();
      await exec
        .updateTable('subjects')
        .set({ merged_into: intoId, updated_at: now })
        .where('workspace_id', '=', workspaceId)
        .where((eb) => eb.or([eb('id', '=', fromId), eb('merged_into', '=', fromId)]))
        .execute();
    },

    /** Raises not_found for an id outside the workspace, exactly as for a missing one. */
    async require(workspaceId: string, id: string, exec: Executor = db): Promise<Subject> {
      const s = await this.byId(workspaceId, id, exec);
      if (!s) throw new AssentError('not_found', 'Subject was not found');
      return s;
    },
  };
}

export type SubjectStore = ReturnType<typeof createSubjectStore>;
