import { canonicalJson, type LedgerRecord } from '@assent/core';
import { type InsertQueryBuilder, type InsertResult, type Selectable, sql } from 'kysely';
import { asCompilable, compileTemplate, insertRows } from '../../db/query-templates.ts';
import type { ConsentRecordTable, Database } from '../../db/schema.ts';
import { type Executor, isPostgres } from '../../db/transaction.ts';
import { parseJson } from '../../shared/json.ts';
import type { ChainHead } from '../subjects/subject-store.ts';

export type RecordRow = Selectable<ConsentRecordTable>;

/** A stored record's fields, its evidence left as the stored text (see `hashStoredRecord`). */
export const toLedgerFields = (r: RecordRow): Omit<LedgerRecord, 'evidence'> => ({
  id: r.id,
  workspaceId: r.workspace_id,
  subjectId: r.subject_id,
  seq: Number(r.seq),
  targetType: r.target_type as LedgerRecord['targetType'],
  targetKey: r.target_key,
  channel: r.channel,
  scopeType: r.scope_type as LedgerRecord['scopeType'],
  scopeKey: r.scope_key,
  state: r.state as LedgerRecord['state'],
  legalBasis: r.legal_basis as LedgerRecord['legalBasis'],
  source: r.source as LedgerRecord['source'],
  occurredAt: r.occurred_at,
  recordedAt: r.recorded_at,
  expiresAt: r.expires_at,
  prevHash: r.prev_hash,
  hash: r.hash,
});

export const toLedgerRecord = (r: RecordRow): LedgerRecord => ({
  ...toLedgerFields(r),
  evidence: parseJson(r.evidence, {}),
});

export const toRow = (r: LedgerRecord): RecordRow => ({
  id: r.id,
  workspace_id: r.workspaceId,
  subject_id: r.subjectId,
  seq: r.seq,
  target_type: r.targetType,
  target_key: r.targetKey,
  channel: r.channel,
  scope_type: r.scopeType,
  scope_key: r.scopeKey,
  state: r.state,
  legal_basis: r.legalBasis,
  source: r.source,
  // canonical text, so verification hashes the stored evidence as it is
  evidence: canonicalJson(r.evidence),
  occurred_at: r.occurredAt,
  recorded_at: r.recordedAt,
  expires_at: r.expiresAt,
  prev_hash: r.prevHash,
  hash: r.hash,
});

/** The API's view of a record: empty channel and workspace scope key become null. */
export const recordView = (r: LedgerRecord) => ({
  id: r.id,
  subjectId: r.subjectId,
  seq: r.seq,
  target: { type: r.targetType, key: r.targetKey },
  channel: r.channel || null,
  scope: { type: r.scopeType, key: r.scopeKey || null },
  state: r.state,
  legalBasis: r.legalBasis,
  source: r.source,
  evidence: r.evidence as Record<string, unknown>,
  occurredAt: r.occurredAt,
  recordedAt: r.recordedAt,
  expiresAt: r.expiresAt,
  prevHash: r.prevHash,
  hash: r.hash,
});

/**
 * The records of these subjects (a person and those merged into them), found through the chain
 * index (subject_id, seq). The workspace is checked on each row found rather than through an
 * index: SQLite would otherwise read the workspace's whole `recorded` index for two subjects.
 */
export function recordsOfSubjects(exec: Executor, workspaceId: string, subjectIds: string[]) {
  return exec
    .selectFrom('consent_records')
    .selectAll()
    .where('subject_id', 'in', subjectIds)
    .where(sql<string>`${sql.ref('workspace_id')} || ''`, '=', workspaceId);
}

/**
 * Reads the subject's chain head for new records (`setHead` moves it on in the same transaction).
 * On PostgreSQL the row lock it takes (FOR NO KEY UPDATE: the row is not rewritten) queues
 * concurrent writers for one subject until the transaction ends; others do not wait. SQLite has
 * one writer at a time, and writes one after another within a group commit: a read is enough.
 * With `lock` false it is a plain read, for an optimistic write (see write-batcher.ts) instead.
 */
export async function lockHead(exec: Executor, workspaceId: string, subjectId: string, lock = true) {
  const locks = lock && isPostgres(exec);
  const shape = locks ? 'consents.lock-head' : 'consents.read-head';
  const query = compileTemplate<ChainHead>(exec, shape, [workspaceId, subjectId], (v) => {
    const read = exec
      .selectFrom('subjects')
      .select(['ledger_seq', 'ledger_head', 'merged_into'])
      .where('workspace_id', '=', v(0))
      .where('id', '=', v(1));
    return locks ? read.forNoKeyUpdate() : read;
  });
  const [head] = (await exec.executeQuery(query)).rows;
  if (!head) throw new Error(`subject ${subjectId} has no chain head to lock`);
  return head;
}

/** Sets the chain head once the new records are hashed (with the head locked by `lockHead`). */
export const setHead = (
  exec: Executor,
  workspaceId: string,
  subjectId: string,
  head: { seq: number; hash: string; at: string },
) =>
  asCompilable(
    compileTemplate(exec, 'consents.set-head', [workspaceId, subjectId, head.seq, head.hash, head.at], (v) =>
      exec
        .updateTable('subjects')
        .set({ ledger_seq: v(2), ledger_head: v(3), updated_at: v(4) })
        .where('workspace_id', '=', v(0))
        .where('id', '=', v(1)),
    ),
  );

/** Upserts the current state of each record's slot, unless a later decision already holds it. */
export async function applyToState(
  exec: Executor,
  subjectId: string,
  records: LedgerRecord[],
): Promise<void> {
  for (const q of stateUpserts(exec, subjectId, records)) await exec.executeQuery(q.compile());
}

/** The upserts of `applyToState`, one per chunk of slots, to run with others (`runTogether`). */
export function stateUpserts(exec: Executor, subjectId: string, records: LedgerRecord[]) {
  // one row per slot (the last given wins, as records come in order), one statement per chunk
  const slots = new Map<string, LedgerRecord>();
  for (const r of records) {
    slots.set(
      `${r.targetType}\u0000${r.targetKey}\u0000${r.channel}\u0000${r.scopeType}\u0000${r.scopeKey}`,
      r,
    );
  }
  const rows = [...slots.values()].map((r) => ({
    workspace_id: r.workspaceId,
    subject_id: subjectId,
    target_type: r.targetType,
    target_key: r.targetKey,
    channel: r.channel,
    scope_type: r.scopeType,
    scope_key: r.scopeKey,
    state: r.state,
    record_id: r.id,
    source: r.source,
    occurred_at: r.occurredAt,
    expires_at: r.expiresAt,
  }));
  const queries = [];
  for (let i = 0; i < rows.length; i += STATE_CHUNK) {
    const q = insertRows(exec, 'consent_state', rows.slice(i, i + STATE_CHUNK), upsertState);
    queries.push(q);
  }
  return queries;
}

/** A slot's row is replaced by a decision that occurred at or after the one it holds. */
const upsertState = {
  variant: 'upsert-state',
  apply: (insert: InsertQueryBuilder<Database, 'consent_state', InsertResult>) =>
    insert.onConflict((oc) =>
      oc
        .columns([
          'workspace_id',
          'subject_id',
          'target_type',
          'target_key',
          'channel',
          'scope_type',
          'scope_key',
        ])
        .doUpdateSet((eb) => ({
          state: eb.ref('excluded.state'),
          record_id: eb.ref('excluded.record_id'),
          source: eb.ref('excluded.source'),
          occurred_at: eb.ref('excluded.occurred_at'),
          expires_at: eb.ref('excluded.expires_at'),
        }))
        // a late-synced older decision does not replace a later one
        .whereRef('consent_state.occurred_at', '<=', 'excluded.occurred_at'),
    ),
};

const STATE_CHUNK = 500;
