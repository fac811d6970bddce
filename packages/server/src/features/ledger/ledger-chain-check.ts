export type ProblemKind =
  | 'hash_mismatch'
  | 'broken_link'
  | 'sequence_gap'
  | 'missing_tail'
  | 'unknown_subject'
  | 'checkpoint_mismatch'
  | 'checkpoint_signature'
  | 'checkpoint_gap';

export interface LedgerProblem {
  kind: ProblemKind;
  detail: string;
  recordId?: string;
  subjectId?: string;
  seq?: number;
  checkpointId?: string;
}

export const MAX_PROBLEMS = 100;

/** A subject's stored chain head (subjects with `ledger_seq > 0` only). */
export interface ChainHead {
  id: string;
  ledger_seq: number;
  ledger_head: string | null;
}

/** The fields of a record that place it in its chain. */
export interface ChainLink {
  id: string;
  subjectId: string;
  seq: number;
  prevHash: string | null;
  hash: string;
}

/** What one range of subjects verified to: plain data, so it can cross a worker boundary. */
export interface ChainsReport {
  records: number;
  subjects: number;
  problems: LedgerProblem[];
}

/** A range of subject ids, (after, through]; null is unbounded. Chains never span two ranges. */
export interface SubjectRange {
  after: string | null;
  through: string | null;
}

/**
 * Checks the hash chains of one range of subjects against their heads: `heads` are the range's
 * subjects with a chain, in id order; then feed its records in (subject_id, seq) order, each
 * with whether its content still hashes to its `hash` (the readers compute that differently).
 */
export function createChainCheck(heads: readonly ChainHead[]) {
  const problems: LedgerProblem[] = [];
  const report = (p: LedgerProblem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  let records = 0;
  let subjectsSeen = 0;
  let next = 0;
  let current: { id: string; seq: number; hash: string | null } | null = null;

  /** Subjects that have a chain head but no records before `id` (or at all, with null). */
  const skipSubjectsBefore = (id: string | null) => {
    for (; next < heads.length && (id === null || heads[next].id < id); next++) {
      const s = heads[next];
      report({
        kind: 'missing_tail',
        subjectId: s.id,
        detail: `all ${s.ledger_seq} records of the subject are missing`,
      });
    }
  };
  const endChain = (chain: { id: string; seq: number; hash: string | null }) => {
    skipSubjectsBefore(chain.id);
    const subject = heads[next];
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
    next++;
  };

  return {
    record(r: ChainLink, contentMatches: boolean) {
      records++;
      if (!current || current.id !== r.subjectId) {
        if (current) endChain(current);
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
      if (!contentMatches) {
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
    },
    finish(): ChainsReport {
      if (current) endChain(current);
      current = null;
      skipSubjectsBefore(null);
      return { records, subjects: subjectsSeen, problems };
    },
  };
}

/** Reports of consecutive ranges, in range order, as one: problems stay in ledger order. */
export function mergeReports(parts: readonly ChainsReport[]): ChainsReport {
  const merged: ChainsReport = { records: 0, subjects: 0, problems: [] };
  for (const p of parts) {
    merged.records += p.records;
    merged.subjects += p.subjects;
    merged.problems.push(...p.problems.slice(0, MAX_PROBLEMS - merged.problems.length));
  }
  return merged;
}

/** Calls `onProgress` at every multiple of 100,000 records, however the counts arrive. */
export function progressCounter(onProgress?: (records: number) => void) {
  let total = 0;
  let nextMark = 100_000;
  return (records: number) => {
    total += records;
    for (; onProgress && total >= nextMark; nextMark += 100_000) onProgress(nextMark);
  };
}
