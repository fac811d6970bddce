import { createMerkleAccumulator, hashStoredRecord } from '@assent/core';
import type { Signer } from '../../crypto/signer.ts';
import type { Executor } from '../../db/transaction.ts';
import { toLedgerFields } from '../consents/consent-store.ts';

export type ProblemKind =
  | 'hash_mismatch'
  | 'broken_link'
  | 'sequence_gap'
  | 'missing_tail'
  | 'unknown_subject'
  | 'checkpoint_mismatch'
  | 'checkpoint_signature';

export interface LedgerProblem {
  kind: ProblemKind;
  detail: string;
  recordId?: string;
  subjectId?: string;
  seq?: number;
  checkpointId?: string;
}

export interface VerifyReport {
  ok: boolean;
  records: number;
  subjects: number;
  checkpoints: number;
  problems: LedgerProblem[];
  /** The first problem, named: the record (or checkpoint) where the ledger stops verifying. */
  firstProblem: LedgerProblem | null;
}

const BATCH = 5000;
const MAX_PROBLEMS = 100;

/**
 * Recomputes every hash chain (one per subject) and every checkpoint's Merkle root and
 * signature, streaming in batches so memory stays flat. Finds edited, deleted, inserted and
 * reordered records and names them.
 */
export async function verifyLedger(
  db: Executor,
  signer: Signer,
  opts: { workspaceId?: string; onProgress?: (records: number) => void } = {},
): Promise<VerifyReport> {
  const problems: LedgerProblem[] = [];
  const report = (p: LedgerProblem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  let records = 0;
  let subjectsSeen = 0;

  // subjects with a chain, in id order, merged with records in (subject_id, seq) order
  const subjectBatches = async function* () {
    let after = '';
    for (;;) {
      let q = db
        .selectFrom('subjects')
        .select(['id', 'ledger_seq', 'ledger_head'])
        .where('ledger_seq', '>', 0)
        .where('id', '>', after);
      if (opts.workspaceId) q = q.where('workspace_id', '=', opts.workspaceId);
      const rows = await q.orderBy('id').limit(BATCH).execute();
      if (!rows.length) return;
      yield* rows;
      after = rows[rows.length - 1].id;
    }
  };
  const recordBatches = async function* () {
    let after: { s: string; q: number } | null = null;
    for (;;) {
      let q = db.selectFrom('consent_records').selectAll();
      if (opts.workspaceId) q = q.where('workspace_id', '=', opts.workspaceId);
      if (after) {
        const { s, q: seq } = after;
        q = q.where((eb) => eb(eb.refTuple('subject_id', 'seq'), '>', eb.tuple(s, seq)));
      }
      const rows = await q.orderBy('subject_id').orderBy('seq').limit(BATCH).execute();
      if (!rows.length) return;
      yield* rows;
      const last = rows[rows.length - 1];
      after = { s: last.subject_id, q: Number(last.seq) };
    }
  };

  const subjectIter = subjectBatches();
  let subject: { id: string; ledger_seq: number; ledger_head: string | null } | null = null;
  const nextSubject = async () => {
    subject = (await subjectIter.next()).value ?? null;
  };
  const missingChain = (s: { id: string; ledger_seq: number }) =>
    report({
      kind: 'missing_tail',
      subjectId: s.id,
      detail: `all ${s.ledger_seq} records of the subject are missing`,
    });
  /** Subjects that have a chain head but no records before `id` (or at all, with null). */
  const skipSubjectsBefore = async (id: string | null) => {
    while (subject && (id === null || subject.id < id)) {
      missingChain(subject);
      await nextSubject();
    }
  };
  const endChain = async (chain: { id: string; seq: number; hash: string | null }) => {
    await skipSubjectsBefore(chain.id);
    if (!subject || subject.id !== chain.id) {
      report({
        kind: 'unknown_subject',
        subjectId: chain.id,
        detail: 'records belong to a subject that has no chain head',
      });
      return;
    }
    subjectsSeen++;
    const expected = Number(subject.ledger_seq);
    if (chain.seq !== expected || chain.hash !== subject.ledger_head) {
      report({
        kind: 'missing_tail',
        subjectId: chain.id,
        seq: chain.seq + 1,
        detail: `the chain ends at record ${chain.seq} but the subject's head says ${expected}: its last records were deleted or replaced`,
      });
    }
    await nextSubject();
  };

  await nextSubject();
  let current: { id: string; seq: number; hash: string | null } | null = null;
  for await (const row of recordBatches()) {
    const r = toLedgerFields(row);
    records++;
    if (opts.onProgress && records % 100_000 === 0) opts.onProgress(records);
    if (!current || current.id !== r.subjectId) {
      if (current) await endChain(current);
      current = { id: r.subjectId, seq: 0, hash: null };
    }
    if (r.seq !== current.seq + 1) {
      report({
        kind: 'sequence_gap',
        recordId: r.id,
        subjectId: r.subjectId,
        seq: r.seq,
        detail: `record ${r.seq} follows record ${current.seq}: ${r.seq > current.seq + 1 ? 'records before it were deleted' : 'it was inserted or reordered'}`,
      });
    }
    if (hashStoredRecord(r, row.evidence) !== r.hash) {
      report({
        kind: 'hash_mismatch',
        recordId: r.id,
        subjectId: r.subjectId,
        seq: r.seq,
        detail: 'the record was edited: its content does not match its hash',
      });
    } else if (r.prevHash !== current.hash) {
      report({
        kind: 'broken_link',
        recordId: r.id,
        subjectId: r.subjectId,
        seq: r.seq,
        detail: "the record does not link to the subject's previous record",
      });
    }
    current.seq = r.seq;
    current.hash = r.hash;
  }
  if (current) await endChain(current);
  await skipSubjectsBefore(null);

  const checkpoints = await verifyCheckpoints(db, signer, opts.workspaceId, report);
  return {
    ok: problems.length === 0,
    records,
    subjects: subjectsSeen,
    checkpoints,
    problems,
    firstProblem: problems[0] ?? null,
  };
}

async function verifyCheckpoints(
  db: Executor,
  signer: Signer,
  workspaceId: string | undefined,
  report: (p: LedgerProblem) => void,
): Promise<number> {
  let q = db.selectFrom('checkpoints').selectAll();
  if (workspaceId) q = q.where('workspace_id', '=', workspaceId);
  const checkpoints = await q.orderBy('workspace_id').orderBy('from_at').execute();
  for (const cp of checkpoints) {
    try {
      const signed = (await signer.verify(cp.signature)) as Record<string, unknown>;
      if (
        signed.merkleRoot !== cp.merkle_root ||
        signed.records !== Number(cp.record_count) ||
        signed.to !== cp.to_at
      ) {
        throw new Error('signed payload differs');
      }
    } catch {
      report({
        kind: 'checkpoint_signature',
        checkpointId: cp.id,
        detail: 'the checkpoint signature does not verify',
      });
    }
    const { root, count } = await windowRoot(db, cp.workspace_id, cp.from_at, cp.to_at);
    if (root !== cp.merkle_root || count !== Number(cp.record_count)) {
      report({
        kind: 'checkpoint_mismatch',
        checkpointId: cp.id,
        detail: `records recorded from ${cp.from_at} to ${cp.to_at} no longer match the signed checkpoint (${count} now, ${cp.record_count} signed)`,
      });
    }
  }
  return checkpoints.length;
}

/** The Merkle root and count of a workspace's records recorded in [from, to), in (recorded_at, id) order. */
export async function windowRoot(db: Executor, workspaceId: string, from: string, to: string) {
  const acc = createMerkleAccumulator();
  let after: { at: string; id: string } | null = null;
  for (;;) {
    let q = db
      .selectFrom('consent_records')
      .select(['id', 'recorded_at', 'hash'])
      .where('workspace_id', '=', workspaceId)
      .where('recorded_at', '>=', from)
      .where('recorded_at', '<', to);
    if (after) {
      const { at, id } = after;
      q = q.where((eb) => eb(eb.refTuple('recorded_at', 'id'), '>', eb.tuple(at, id)));
    }
    const rows = await q.orderBy('recorded_at').orderBy('id').limit(BATCH).execute();
    if (!rows.length) break;
    for (const r of rows) acc.add(r.hash);
    const last = rows[rows.length - 1];
    after = { at: last.recorded_at, id: last.id };
  }
  return { root: acc.root(), count: acc.count };
}
