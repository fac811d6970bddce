import { hashRecord, type LedgerRecord } from '@assent/core';
import type { Insertable } from 'kysely';
import type { Db } from '../packages/server/src/db/database.ts';
import type { ConsentStateTable, Database } from '../packages/server/src/db/schema.ts';
import { toRow } from '../packages/server/src/features/consents/consent-store.ts';
import { newId } from '../packages/server/src/shared/ids.ts';

export const RECORDS_PER_SUBJECT = 4;
const SUBJECTS_PER_TRANSACTION = 10_000;
// 100 subjects: 400 records x 18 columns, within both databases' bound-parameter limits
const SUBJECTS_PER_STATEMENT = 100;
const STEP_MS = 2_000;
const ORIGIN_AGE_MS = 400 * 86_400_000;

export const benchEmail = (i: number) => `user${i}@bench.example`;

export interface SeedOptions {
  db: Db;
  workspaceId: string;
  /** Index of the first subject: a later call continues where an earlier one stopped. */
  firstSubject: number;
  subjects: number;
  /** Called after each transaction with the subjects written so far. */
  onProgress?: (done: number) => void;
}

type Decision = Pick<LedgerRecord, 'targetType' | 'targetKey' | 'channel' | 'state' | 'source'>;

/** Four decisions per person: newsletter by email, analytics, the email channel, then one in five unsubscribes. */
function decisionsOf(i: number): Decision[] {
  const newsletter = { targetType: 'topic', targetKey: 'newsletter', channel: 'email' } as const;
  return [
    { ...newsletter, state: 'granted', source: 'form' },
    { targetType: 'purpose', targetKey: 'analytics', channel: '', state: 'granted', source: 'banner' },
    { targetType: 'channel', targetKey: 'email', channel: 'email', state: 'granted', source: 'form' },
    i % 5 === 0
      ? { ...newsletter, state: 'withdrawn', source: 'email_unsubscribe' }
      : { ...newsletter, state: 'granted', source: 'preference_center' },
  ];
}

interface Rows {
  subjects: Insertable<Database['subjects']>[];
  identifiers: Insertable<Database['subject_identifiers']>[];
  records: Insertable<Database['consent_records']>[];
  state: Insertable<ConsentStateTable>[];
}

/** The rows `POST /v1/consents` would have left for subjects [from, to): chained records, head, identifier, state. */
function rowsFor(workspaceId: string, from: number, to: number, at: (i: number, k: number) => string): Rows {
  const out: Rows = { subjects: [], identifiers: [], records: [], state: [] };
  for (let i = from; i < to; i++) {
    const subjectId = newId();
    let prevHash: string | null = null;
    let seq = 0;
    const slots = new Map<string, Insertable<ConsentStateTable>>();
    for (const d of decisionsOf(i)) {
      const when = at(i, seq);
      const unsigned: Omit<LedgerRecord, 'hash'> = {
        id: newId(),
        workspaceId,
        subjectId,
        seq: ++seq,
        ...d,
        scopeType: 'workspace',
        scopeKey: '',
        legalBasis: 'consent',
        evidence: { ipAddress: '203.0.113.0', language: 'en', userAgent: 'assent-bench' },
        occurredAt: when,
        recordedAt: when,
        expiresAt: null,
        prevHash,
      };
      const rec: LedgerRecord = { ...unsigned, hash: hashRecord(unsigned) };
      prevHash = rec.hash;
      out.records.push(toRow(rec));
      // a later decision on the same slot replaces the earlier one, as applyToState does
      slots.set(`${d.targetType}|${d.targetKey}|${d.channel}`, {
        workspace_id: workspaceId,
        subject_id: subjectId,
        target_type: d.targetType,
        target_key: d.targetKey,
        channel: d.channel,
        scope_type: 'workspace',
        scope_key: '',
        state: d.state,
        record_id: rec.id,
        source: d.source,
        occurred_at: when,
        expires_at: null,
      });
    }
    out.state.push(...slots.values());
    out.subjects.push({
      id: subjectId,
      workspace_id: workspaceId,
      attributes: '{}',
      merged_into: null,
      ledger_seq: seq,
      ledger_head: prevHash,
      created_at: at(i, 0),
      updated_at: at(i, seq - 1),
    });
    out.identifiers.push({
      id: newId(),
      workspace_id: workspaceId,
      subject_id: subjectId,
      type: 'email',
      value: benchEmail(i),
      created_at: at(i, 0),
    });
  }
  return out;
}

/**
 * Writes valid, hash-chained ledger history straight through Kysely, in large transactions:
 * the rows `POST /v1/consents` would have written, without the HTTP round trips. Records are
 * spread over the past as if collected over time. On PostgreSQL two transactions run at once,
 * so hashing here overlaps with the database's work.
 */
export async function seedLedger(opts: SeedOptions): Promise<number> {
  const { db, workspaceId } = opts;
  const total = opts.firstSubject + opts.subjects;
  // in the past, two seconds apart: 17 million records before reaching today
  const origin = Date.now() - ORIGIN_AGE_MS;
  const at = (i: number, k: number) =>
    new Date(origin + (i * RECORDS_PER_SUBJECT + k) * STEP_MS).toISOString();
  let next = opts.firstSubject;
  let written = 0;
  let done = 0;

  const writeBatches = async () => {
    while (next < total) {
      const from = next;
      const to = Math.min(total, from + SUBJECTS_PER_TRANSACTION);
      next = to;
      await db.kysely.transaction().execute(async (trx) => {
        for (let s = from; s < to; s += SUBJECTS_PER_STATEMENT) {
          const rows = rowsFor(workspaceId, s, Math.min(to, s + SUBJECTS_PER_STATEMENT), at);
          await trx.insertInto('subjects').values(rows.subjects).execute();
          await trx.insertInto('subject_identifiers').values(rows.identifiers).execute();
          await trx.insertInto('consent_records').values(rows.records).execute();
          await trx.insertInto('consent_state').values(rows.state).execute();
          written += rows.records.length;
        }
      });
      done += to - from;
      opts.onProgress?.(done);
    }
  };
  const parallel = db.dialect === 'postgres' ? 2 : 1;
  await Promise.all(Array.from({ length: parallel }, writeBatches));
  return written;
}
