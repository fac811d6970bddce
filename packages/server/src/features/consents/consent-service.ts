import {
  AssentError,
  type ConsentEvidence,
  channels,
  hashRecord,
  type LedgerRecord,
  type ScopeType,
  truncateIp,
} from '@assent/core';
import type { AppDeps } from '../../app-deps.ts';
import { insertRows } from '../../db/query-templates.ts';
import { runTogether } from '../../db/run-together.ts';
import { type Executor, isLostRace, isPostgres, isUniqueViolation } from '../../db/transaction.ts';
import type { Actor } from '../../http/context.ts';
import { auditEntry } from '../../http/context.ts';
import { newId, nowIso } from '../../shared/ids.ts';
import { audit, auditQuery } from '../audit/audit-log.ts';
import { createNoticeVersionStore } from '../catalog/notice-version-store.ts';
import { emit, emitQuery } from '../outbox/outbox.ts';
import { createSubjectService } from '../subjects/subject-service.ts';
import { createCatalogLookup, type WantedObject } from './catalog-lookup.ts';
import type { RecordConsents } from './consent-schemas.ts';
import {
  applyToState,
  lockHead,
  type RecordRow,
  recordsOfSubjects,
  setHead,
  stateUpserts,
  toLedgerRecord,
  toRow,
} from './consent-store.ts';
import { writeBatcherOf } from './write-batcher.ts';

/** An optimistic write (`recordNow`) that must be made again in a transaction; it wrote nothing. */
class NeedsTransaction extends Error {}

/** A request's decisions; the server's own callers may also give the shown notice's content hash. */
export type RecordInput = Omit<RecordConsents, 'evidence'> & { evidence?: ConsentEvidence };

/** In a transaction that locks the chain head, or (PostgreSQL, `recordNow`) one guarded statement. */
type WriteMode = 'transaction' | 'optimistic';

const FUTURE_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 86_400_000;
const MAX_MERGE_STEPS = 8;

export function createConsentService(deps: AppDeps) {
  const db = deps.db.kysely;
  const subjects = createSubjectService(db);
  const catalogFor = createCatalogLookup();

  /**
   * Records the decisions atomically: chained per subject, current state updated, outbox event
   * written. `trx` is a transaction, or in the `optimistic` mode (PostgreSQL) the database itself:
   * see `recordNow`.
   */
  async function write(trx: Executor, actor: Actor, input: RecordInput, mode: WriteMode) {
    const optimistic = mode === 'optimistic';
    const givenOccurredAt = input.occurredAt ? new Date(input.occurredAt).toISOString() : null;
    if (givenOccurredAt && Date.parse(givenOccurredAt) > Date.now() + FUTURE_SKEW_MS) {
      throw new AssentError('unprocessable', 'occurredAt is in the future', [
        { pointer: '/occurredAt', detail: 'in the future' },
      ]);
    }
    const scope = input.scope ?? {};
    const wanted: WantedObject[] = [];
    input.decisions.forEach((d, i) => {
      if (d.target.type !== 'channel')
        wanted.push({ kind: d.target.type, key: d.target.key, pointer: `/decisions/${i}/target/key` });
      if (d.target.type === 'channel' && d.channel && d.channel !== d.target.key) {
        throw new AssentError('unprocessable', 'A channel decision names its channel in target.key only', [
          { pointer: `/decisions/${i}/channel`, detail: 'must match target.key or be left out' },
        ]);
      }
      if ((d.target.type === 'purpose' || d.target.type === 'vendor') && d.channel) {
        throw new AssentError('unprocessable', 'Purpose and vendor decisions take no channel', [
          { pointer: `/decisions/${i}/channel`, detail: 'not allowed here' },
        ]);
      }
    });
    input.decisions.forEach((d, i) => {
      if (d.target.type === 'channel' && !(channels as readonly string[]).includes(d.target.key)) {
        throw new AssentError('unprocessable', `Unknown channel "${d.target.key}"`, [
          { pointer: `/decisions/${i}/target/key`, detail: 'not a channel' },
        ]);
      }
    });
    if (scope.brand) wanted.push({ kind: 'brand', key: scope.brand, pointer: '/scope/brand' });
    if (scope.property) wanted.push({ kind: 'property', key: scope.property, pointer: '/scope/property' });
    const catalog = await catalogFor(trx, actor.workspaceId, wanted);

    // a new subject is written with its first records, in the same statement
    const resolved = await subjects.resolve(trx, actor, input.subject, {
      deferCreate: true,
      readOnly: optimistic,
    });
    if (resolved.changes) throw new NeedsTransaction();
    const { created, createQueries } = resolved;
    let subjectId = resolved.subjectId;
    const [scopeType, scopeKey]: [ScopeType, string] = scope.property
      ? ['property', scope.property]
      : scope.brand
        ? ['brand', scope.brand]
        : ['workspace', ''];
    const evidence = { ...(input.evidence ?? {}) };
    if (evidence.ipAddress && !deps.config.keepFullIp) {
      const truncated = truncateIp(evidence.ipAddress);
      if (!truncated) {
        throw new AssentError('unprocessable', 'evidence.ipAddress is not an IP address', [
          { pointer: '/evidence/ipAddress', detail: 'not an IP address' },
        ]);
      }
      evidence.ipAddress = truncated;
    }
    // the notice version shown must be one of this workspace's, and its content hash goes into the
    // record (and so into its hash): editing the stored text later breaks the proof
    if (evidence.noticeVersionId && !evidence.noticeContentHash) {
      const shown = await createNoticeVersionStore(trx).byId(actor.workspaceId, evidence.noticeVersionId);
      if (!shown) {
        throw new AssentError('unprocessable', 'evidence.noticeVersionId is not a notice version', [
          { pointer: '/evidence/noticeVersionId', detail: 'no such notice version in this workspace' },
        ]);
      }
      evidence.noticeContentHash = shown.contentHash;
    }

    // lock the subject's chain head: concurrent writers for one subject queue here, others do not
    // (a subject created by this request has an empty chain and is not visible to anyone else yet);
    // an optimistic write only reads it, and its statement checks that it has not moved
    let head = created
      ? { ledger_seq: 0, ledger_head: null, merged_into: null }
      : (resolved.head ?? (await lockHead(trx, actor.workspaceId, subjectId, !optimistic)));
    if (optimistic && head.merged_into) throw new NeedsTransaction();
    // a merge that committed while this write waited for the lock: the survivor's chain takes the
    // records (a merge points everything it merges at a live survivor: one step, a few at most)
    for (let steps = 0; head.merged_into; steps++) {
      if (steps === MAX_MERGE_STEPS) throw new Error(`subject ${subjectId}: merged_into does not end`);
      subjectId = head.merged_into;
      head = await lockHead(trx, actor.workspaceId, subjectId);
    }
    // taken once the head is held, not when the request came in: a write that waited for a lock
    // still lands after every checkpoint that closed meanwhile (they leave the last 30 s out)
    const recordedAt = nowIso();
    const occurredAt = givenOccurredAt ?? recordedAt;
    const fromSeq = Number(head.ledger_seq);
    let seq = fromSeq;
    let prevHash = head.ledger_head;

    const records: LedgerRecord[] = input.decisions.map((d) => {
      const purpose = d.target.type === 'purpose' ? catalog.get(`purpose:${d.target.key}`) : undefined;
      const days = typeof purpose?.expiresAfterDays === 'number' ? purpose.expiresAfterDays : null;
      const expiresAt = d.expiresAt
        ? new Date(d.expiresAt).toISOString()
        : d.state === 'granted' && days
          ? new Date(Date.parse(occurredAt) + days * DAY_MS).toISOString()
          : null;
      seq += 1;
      const unsigned: Omit<LedgerRecord, 'hash'> = {
        id: newId(),
        workspaceId: actor.workspaceId,
        subjectId,
        seq,
        targetType: d.target.type,
        targetKey: d.target.key,
        channel: d.target.type === 'channel' ? d.target.key : (d.channel ?? ''),
        scopeType,
        scopeKey,
        state: d.state,
        legalBasis:
          d.legalBasis ??
          ((purpose?.legalBasis as LedgerRecord['legalBasis']) ||
            (d.target.type === 'vendor' ? null : 'consent')),
        source: input.source,
        evidence,
        occurredAt,
        recordedAt,
        expiresAt,
        prevHash,
      };
      const rec = { ...unsigned, hash: hashRecord(unsigned) };
      prevHash = rec.hash;
      return rec;
    });

    // a new subject's inserts come first (its audit entry and event before those of its records)
    const creates = createQueries?.({ seq, head: prevHash });
    const writes = [
      insertRows(trx, 'consent_records', records.map(toRow)),
      ...stateUpserts(trx, subjectId, records),
      emitQuery(trx, actor.workspaceId, 'consent.updated', {
        subjectId,
        records: records.map((r) => ({
          id: r.id,
          target: { type: r.targetType, key: r.targetKey },
          channel: r.channel || null,
          scope: { type: r.scopeType, key: r.scopeKey || null },
          state: r.state,
          source: r.source,
          occurredAt: r.occurredAt,
        })),
      }),
      auditQuery(trx, auditEntry(actor, 'consent.record', 'subject', subjectId)),
    ];
    const newHead = { seq, hash: prevHash as string, at: recordedAt };
    // independent writes: one statement on PostgreSQL
    if (optimistic) {
      // with the optimistic writes of other requests, in one statement (see createWriteBatcher)
      const inserts = [...(creates ?? []), ...writes];
      const move = creates ? null : { workspaceId: actor.workspaceId, subjectId, fromSeq, head: newHead };
      if (!(await writeBatcherOf(db)({ move, inserts }))) throw new NeedsTransaction();
    } else if (creates) {
      await runTogether(trx, [...creates, ...writes]);
    } else {
      await runTogether(trx, [setHead(trx, actor.workspaceId, subjectId, newHead), ...writes]);
    }
    return { subjectId, created, records };
  }

  /**
   * Records the decisions of one request. On PostgreSQL it first tries without a transaction: the
   * subject and its chain head are read, and the write is one statement that is made only if the
   * head has not moved (or, for a new subject, if no one created it meanwhile): two or three round
   * trips instead of five. When that fails nothing was written, and it is done again in a
   * transaction that locks the head. SQLite writes in a group commit (`Db.write`).
   */
  async function recordNow(actor: Actor, input: RecordInput) {
    // attributes to set change the subject: only a transaction does that
    const setsAttributes =
      'identifiers' in input.subject && Object.keys(input.subject.attributes ?? {}).length > 0;
    if (isPostgres(db) && !setsAttributes) {
      try {
        return await write(db, actor, input, 'optimistic');
      } catch (err) {
        if (!(err instanceof NeedsTransaction || isUniqueViolation(err) || isLostRace(err))) throw err;
      }
    }
    return deps.db.write((trx) => record(trx, actor, input));
  }

  /** Records the decisions inside the caller's transaction `trx`. */
  const record = (trx: Executor, actor: Actor, input: RecordInput) => write(trx, actor, input, 'transaction');

  /** Recomputes a subject's current state from its whole history (after a merge). */
  async function rebuildState(trx: Executor, workspaceId: string, subjectId: string) {
    await trx
      .deleteFrom('consent_state')
      .where('workspace_id', '=', workspaceId)
      .where('subject_id', '=', subjectId)
      .execute();
    const owner = await subjects.store.byId(workspaceId, subjectId, trx);
    if (!owner || owner.mergedInto) return;
    const ids = await subjects.store.historyIds(workspaceId, subjectId, trx);
    const rows = await recordsOfSubjects(trx, workspaceId, ids)
      .orderBy('occurred_at')
      .orderBy('recorded_at')
      .orderBy('seq')
      .execute();
    await applyToState(trx, subjectId, rows.map(toLedgerRecord));
  }

  /**
   * Merges `fromId` into `intoId`: identifiers and history follow the survivor, attributes are
   * combined (the survivor's win), both states are rebuilt. Both must be live subjects.
   */
  async function mergeSubjects(trx: Executor, actor: Actor, intoId: string, fromId: string) {
    const ws = actor.workspaceId;
    const found = [
      await subjects.store.require(ws, intoId, trx),
      await subjects.store.require(ws, fromId, trx),
    ];
    if (found[0].id === found[1].id)
      throw new AssentError('unprocessable', 'A subject cannot be merged into itself');
    // Both rows locked (in id order: two merges of one pair cannot deadlock), then read again: of
    // two merges that share a subject (A<-B and B<-C, or A<-B and B<-A) the second waits for the
    // first and then finds its subject merged, instead of leaving a chain or a cycle of merges.
    for (const id of found.map((f) => f.id).sort()) await lockHead(trx, ws, id);
    const into = await subjects.store.require(ws, intoId, trx);
    const from = await subjects.store.require(ws, fromId, trx);
    if (into.mergedInto || from.mergedInto)
      throw new AssentError('conflict', 'One of the subjects was already merged');
    await subjects.store.merge(trx, actor.workspaceId, into.id, from.id);
    await subjects.store.setAttributes(trx, actor.workspaceId, into.id, {
      ...from.attributes,
      ...into.attributes,
    });
    await rebuildState(trx, actor.workspaceId, into.id);
    await rebuildState(trx, actor.workspaceId, from.id);
    await emit(trx, actor.workspaceId, 'subject.merged', { subjectId: into.id, mergedId: from.id });
    await audit(trx, auditEntry(actor, 'subject.merge', 'subject', into.id));
  }

  async function recordById(workspaceId: string, id: string): Promise<LedgerRecord> {
    const row = await db
      .selectFrom('consent_records')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new AssentError('not_found', 'Consent record was not found');
    return toLedgerRecord(row as RecordRow);
  }

  return { record, recordNow, rebuildState, mergeSubjects, recordById, subjects };
}

export type ConsentService = ReturnType<typeof createConsentService>;
