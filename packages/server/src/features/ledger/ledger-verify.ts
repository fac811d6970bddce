import { availableParallelism } from 'node:os';
import { createMerkleAccumulator, hashStoredRecord } from '@assent/core';
import { SqliteAdapter, sql } from 'kysely';
import type { Signer } from '../../crypto/signer.ts';
import { type Executor, isPostgres } from '../../db/transaction.ts';
import { toLedgerFields } from '../consents/consent-store.ts';
import { CHECKPOINT_TYPE, EPOCH } from './checkpoint-claims.ts';
import {
  type ChainHead,
  type ChainsReport,
  createChainCheck,
  type LedgerProblem,
  MAX_PROBLEMS,
  mergeReports,
  progressCounter,
  type SubjectRange,
} from './ledger-chain-check.ts';
import { verifyInParallel } from './ledger-verify-pool.ts';
import { openLedgerReader } from './ledger-verify-sqlite.ts';

export type { LedgerProblem, ProblemKind } from './ledger-chain-check.ts';

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
/** Subjects per range: bounds the chain heads held at once. */
const RANGE_SUBJECTS = 5000;
/** Below this many records this thread is done in about a second, before a thread has loaded. */
const THREADS_FROM_RECORDS = 200_000;
const MAX_THREADS = 3;

/**
 * Recomputes every hash chain (one per subject) and every checkpoint's Merkle root and
 * signature. Finds edited, deleted, inserted and reordered records and names them.
 */
export async function verifyLedger(
  db: Executor,
  signer: Signer,
  opts: { workspaceId?: string; onProgress?: (records: number) => void } = {},
): Promise<VerifyReport> {
  const chains = await verifyChains(db, opts);
  const problems = chains.problems;
  const report = (p: LedgerProblem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  const checkpoints = await verifyCheckpoints(db, signer, opts.workspaceId, report);
  return {
    ok: problems.length === 0,
    records: chains.records,
    subjects: chains.subjects,
    checkpoints,
    problems,
    firstProblem: problems[0] ?? null,
  };
}

/**
 * Every hash chain, range of subjects by range (a chain never spans two), so memory stays flat.
 * A SQLite file is read directly (ledger-verify-sqlite.ts), a large one on worker threads too;
 * PostgreSQL, or SQLite in memory or in a transaction, through Kysely. `direct`, `threads` and
 * `rangeSubjects` override the choices, for tests and measurements.
 */
export async function verifyChains(
  db: Executor,
  opts: {
    workspaceId?: string;
    onProgress?: (records: number) => void;
    direct?: boolean;
    /** Extra threads; 'only' leaves this thread out. */
    threads?: number | 'only';
    rangeSubjects?: number;
  } = {},
): Promise<ChainsReport> {
  const workspaceId = opts.workspaceId ?? null;
  const progress = progressCounter(opts.onProgress);
  const ranges = subjectRanges(db, opts.workspaceId, opts.rangeSubjects ?? RANGE_SUBJECTS);
  const file = opts.direct === false ? null : await sqliteFile(db);
  const reader = file && opts.threads !== 'only' ? tryOpenReader(file, workspaceId) : null;
  if (!file || reader === undefined) {
    const reports: ChainsReport[] = [];
    for await (const range of ranges) {
      reports.push(await inSnapshot(db, (exec) => verifyRange(exec, opts.workspaceId, range, progress)));
    }
    return mergeReports(reports);
  }
  try {
    const threads = opts.threads === 'only' ? MAX_THREADS : (opts.threads ?? (await threadsFor(db)));
    const reports = await verifyInParallel({
      ranges,
      local: reader ? (range) => reader.verifyRange(range, progress) : undefined,
      threads,
      setup: { file, workspaceId },
      onRecords: progress,
    });
    return mergeReports(reports);
  } finally {
    reader?.close();
  }
}

/**
 * On PostgreSQL a range's chain heads and records are read in one snapshot (a read-only
 * repeatable-read transaction): a record committed between the two reads would otherwise look
 * like a chain longer than its head. A SQLite file is read through its own read-only connection,
 * a range at a time in one transaction (ledger-verify-sqlite.ts). Left as they are: SQLite in
 * memory, or a caller's transaction, where a write between the two reads can still show as a
 * false `missing_tail` (run verify again).
 */
function inSnapshot<T>(db: Executor, run: (exec: Executor) => Promise<T>): Promise<T> {
  if (db.isTransaction || !isPostgres(db)) return run(db);
  return db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(run);
}

/** undefined when the file cannot be opened read-only (permissions): Kysely can still read it. */
function tryOpenReader(file: string, workspaceId: string | null) {
  try {
    return openLedgerReader(file, workspaceId);
  } catch {
    return undefined;
  }
}

/** The file of a SQLite database that other connections can open; null on PostgreSQL, in memory or in a transaction. */
async function sqliteFile(db: Executor): Promise<string | null> {
  // a transaction may hold writes that another connection would not see; Kysely has no public
  // way to tell the dialect, its adapter is the most direct
  if (db.isTransaction || !(db.getExecutor().adapter instanceof SqliteAdapter)) return null;
  const { rows } = await sql<{ name: string; file: string }>`pragma database_list`.execute(db);
  return rows.find((r) => r.name === 'main')?.file || null;
}

/** Threads beside this one: one per spare core for a large ledger, none for a small one. */
async function threadsFor(db: Executor): Promise<number> {
  // the highest rowid is the record count, give or take deletions and other workspaces, at O(log n)
  const { rows } = await sql<{ n: number | null }>`select max(rowid) as n from consent_records`.execute(db);
  const large = Number(rows[0]?.n ?? 0) >= THREADS_FROM_RECORDS;
  return large ? Math.min(MAX_THREADS, availableParallelism() - 1) : 0;
}

/** Consecutive ranges of `size` subjects covering every subject id, the last one unbounded. */
async function* subjectRanges(
  db: Executor,
  workspaceId: string | undefined,
  size: number,
): AsyncGenerator<SubjectRange> {
  let after: string | null = null;
  for (;;) {
    let q = db.selectFrom('subjects').select('id');
    if (workspaceId) q = q.where('workspace_id', '=', workspaceId);
    if (after !== null) q = q.where('id', '>', after);
    const row = await q
      .orderBy('id')
      .limit(1)
      .offset(size - 1)
      .executeTakeFirst();
    yield { after, through: row?.id ?? null };
    if (!row) return;
    after = row.id;
  }
}

/** One range's chains through Kysely, records read in keyset-paginated batches. */
async function verifyRange(
  db: Executor,
  workspaceId: string | undefined,
  range: SubjectRange,
  onRecords: (n: number) => void,
): Promise<ChainsReport> {
  let hq = db.selectFrom('subjects').select(['id', 'ledger_seq', 'ledger_head']).where('ledger_seq', '>', 0);
  if (workspaceId) hq = hq.where('workspace_id', '=', workspaceId);
  if (range.after !== null) hq = hq.where('id', '>', range.after);
  if (range.through !== null) hq = hq.where('id', '<=', range.through);
  const heads: ChainHead[] = await hq.orderBy('id').execute();
  const check = createChainCheck(heads);
  let after: { s: string; q: number } | null = null;
  for (;;) {
    let q = db.selectFrom('consent_records').selectAll();
    if (workspaceId) q = q.where('workspace_id', '=', workspaceId);
    if (range.after !== null) q = q.where('subject_id', '>', range.after);
    if (range.through !== null) q = q.where('subject_id', '<=', range.through);
    if (after) {
      const { s, q: seq } = after;
      q = q.where((eb) => eb(eb.refTuple('subject_id', 'seq'), '>', eb.tuple(s, seq)));
    }
    const rows = await q.orderBy('subject_id').orderBy('seq').limit(BATCH).execute();
    for (const row of rows) {
      const r = toLedgerFields(row);
      check.record(r, hashStoredRecord(r, row.evidence) === r.hash);
    }
    onRecords(rows.length);
    if (rows.length < BATCH) return check.finish();
    const last = rows[rows.length - 1];
    after = { s: last.subject_id, q: Number(last.seq) };
  }
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
  // each workspace's checkpoints tile time from the epoch: one deleted, with the records it
  // covered, leaves a hole between its neighbours
  let previous: { workspaceId: string; to: string } | null = null;
  for (const cp of checkpoints) {
    const from = previous?.workspaceId === cp.workspace_id ? previous.to : EPOCH;
    if (cp.from_at !== from) {
      report({
        kind: 'checkpoint_gap',
        checkpointId: cp.id,
        detail: `no checkpoint covers the records recorded from ${from} to ${cp.from_at}: a checkpoint was deleted`,
      });
    }
    previous = { workspaceId: cp.workspace_id, to: cp.to_at };
    try {
      const signed = (await signer.verify(cp.signature)) as Record<string, unknown>;
      if (
        signed.type !== CHECKPOINT_TYPE ||
        signed.workspaceId !== cp.workspace_id ||
        signed.merkleRoot !== cp.merkle_root ||
        signed.records !== Number(cp.record_count) ||
        signed.from !== cp.from_at ||
        signed.to !== cp.to_at
      ) {
        throw new Error('signed payload differs');
      }
    } catch {
      report({
        kind: 'checkpoint_signature',
        checkpointId: cp.id,
        detail: 'the checkpoint signature does not verify, or it signs another workspace or window',
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
