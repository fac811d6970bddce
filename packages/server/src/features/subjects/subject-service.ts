import { AssentError, compareIdentifiers, type Identifier, normalizeIdentifier } from '@assent/core';
import type { RowsInsert } from '../../db/query-templates.ts';
import { runTogether } from '../../db/run-together.ts';
import { type Executor, isPostgres } from '../../db/transaction.ts';
import type { Actor } from '../../http/context.ts';
import { auditEntry } from '../../http/context.ts';
import { newId } from '../../shared/ids.ts';
import { audit, auditQuery } from '../audit/audit-log.ts';
import { emit, emitQuery } from '../outbox/outbox.ts';
import { headReaderOf } from './head-reader.ts';
import type { IdentifierInput, SubjectRef } from './subject-schemas.ts';
import { type ChainHead, createSubjectStore } from './subject-store.ts';

/** Normalises identifiers, naming the one at fault; duplicates collapse to one. */
export function normalizeAll(inputs: IdentifierInput[], pointer = '/identifiers'): Identifier[] {
  const seen = new Set<string>();
  const out: Identifier[] = [];
  inputs.forEach((input, i) => {
    try {
      const id = normalizeIdentifier(input);
      const k = `${id.type}:${id.value}`;
      if (!seen.has(k)) {
        seen.add(k);
        out.push(id);
      }
    } catch (err) {
      if (err instanceof AssentError) {
        throw new AssentError(err.code, err.message, [
          { pointer: `${pointer}/${i}/value`, detail: err.message },
        ]);
      }
      throw err;
    }
  });
  return out;
}

export interface ResolvedSubject {
  subjectId: string;
  created: boolean;
  /**
   * With `deferCreate`, a subject that does not exist yet is not written: these are its inserts
   * (with its outbox event and audit entry), for the caller to run with its own writes, the
   * subject carrying the chain head of its first records.
   */
  createQueries?: (ledger: { seq: number; head: string | null }) => RowsInsert[];
  /** With `readOnly`: the subject exists and the upsert would have changed it; nothing was written. */
  changes?: boolean;
  /** With `readOnly` and one identifier: the found subject's chain head, read with it (not locked). */
  head?: ChainHead;
}

export interface UpsertOptions {
  deferCreate?: boolean;
  /**
   * Write nothing to a subject that exists: when the upsert would change it (link an identifier,
   * set attributes) it answers `changes: true` instead, for the caller to redo it in a transaction.
   */
  readOnly?: boolean;
}

export function createSubjectService(db: Executor) {
  const store = createSubjectStore(db);
  const headReader = (workspaceId: string, identifier: Identifier) =>
    headReaderOf(db)(workspaceId, identifier);

  /**
   * Finds the subject by any identifier, else creates it; identifiers not yet linked to anyone
   * are linked to it. A merged subject resolves to its survivor.
   */
  async function upsert(
    trx: Executor,
    actor: Actor,
    identifiers: Identifier[],
    attributes: Record<string, unknown> | undefined,
    opts: UpsertOptions = {},
  ): Promise<ResolvedSubject> {
    let owners: (string | null)[];
    if (opts.readOnly && identifiers.length === 1) {
      // one query finds the subject and where its chain ends
      // outside a transaction, on PostgreSQL, with the lookups of other requests (createHeadReader)
      const found =
        trx === db && isPostgres(db)
          ? await headReader(actor.workspaceId, identifiers[0])
          : await store.headByIdentifier(actor.workspaceId, identifiers[0], trx);
      if (found) {
        const changes = attributes !== undefined && Object.keys(attributes).length > 0;
        return { subjectId: found.subject_id, created: false, ...(changes ? { changes } : { head: found }) };
      }
      owners = [null];
    } else {
      owners = await Promise.all(identifiers.map((i) => store.idByIdentifier(actor.workspaceId, i, trx)));
    }
    const subjectId = owners.find((o): o is string => o !== null);
    if (!subjectId) {
      const id = newId();
      // without a ledger head the subject starts with an empty chain (the store's default)
      const createQueries = (ledger?: { seq: number; head: string | null }) => [
        ...store.createQueries(trx, actor.workspaceId, identifiers, attributes ?? {}, { id, ledger }).queries,
        emitQuery(trx, actor.workspaceId, 'subject.created', { subjectId: id }),
        auditQuery(trx, auditEntry(actor, 'subject.create', 'subject', id)),
      ];
      if (opts.deferCreate) return { subjectId: id, created: true, createQueries };
      await runTogether(trx, createQueries());
      return { subjectId: id, created: true };
    }
    const hasAttributes = attributes !== undefined && Object.keys(attributes).length > 0;
    if (opts.readOnly && (hasAttributes || owners.includes(null))) {
      return { subjectId, created: false, changes: true };
    }
    let changed = false;
    // in the one order every path inserts new identifiers in (see the store's createQueries)
    const unlinked = identifiers.filter((_, i) => owners[i] === null).sort(compareIdentifiers);
    for (const identifier of unlinked) {
      await store.addIdentifier(trx, actor.workspaceId, subjectId, identifier);
      changed = true;
    }
    if (attributes && hasAttributes) {
      const current = await store.require(actor.workspaceId, subjectId, trx);
      await store.setAttributes(trx, actor.workspaceId, subjectId, { ...current.attributes, ...attributes });
      changed = true;
    }
    if (changed) {
      await emit(trx, actor.workspaceId, 'subject.updated', { subjectId });
      await audit(trx, auditEntry(actor, 'subject.update', 'subject', subjectId));
    }
    return { subjectId, created: false };
  }

  /** Resolves `{id}` (404 when unknown; merged ids follow to the survivor) or `{identifiers}` (upserted). */
  async function resolve(
    trx: Executor,
    actor: Actor,
    ref: SubjectRef,
    opts: UpsertOptions = {},
  ): Promise<ResolvedSubject> {
    if ('id' in ref) {
      const s = await store.require(actor.workspaceId, ref.id, trx);
      return { subjectId: s.mergedInto ?? s.id, created: false };
    }
    return upsert(trx, actor, normalizeAll(ref.identifiers, '/subject/identifiers'), ref.attributes, opts);
  }

  /** Finds without creating: null for an unknown identifier. */
  async function find(
    workspaceId: string,
    identifier: Identifier,
    exec: Executor = db,
  ): Promise<string | null> {
    return store.idByIdentifier(workspaceId, identifier, exec);
  }

  return { upsert, resolve, find, store };
}

export type SubjectService = ReturnType<typeof createSubjectService>;
