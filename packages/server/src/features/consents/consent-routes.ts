import type { LedgerRecord } from '@assent/core';
import { Type } from '@sinclair/typebox';
import type { AppDeps } from '../../app-deps.ts';
import type { HttpApp } from '../../http/app.ts';
import { actorOf, auditEntry } from '../../http/context.ts';
import { IdempotencyHeaders, idempotencyScope, idempotent } from '../../http/idempotency.ts';
import { decodeCursor, pageOf, pageQueryWith, toPage } from '../../http/pagination.ts';
import { audit } from '../audit/audit-log.ts';
import { RecordConsents, RecordView, StateView } from './consent-schemas.ts';
import { createConsentService } from './consent-service.ts';
import { recordsOfSubjects, recordView, toLedgerRecord } from './consent-store.ts';
import { receiptFor } from './receipt.ts';

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

export function registerConsentRoutes(app: HttpApp, deps: AppDeps) {
  const db = deps.db.kysely;
  const consents = createConsentService(deps);

  app.post(
    '/v1/consents',
    {
      config: { permission: 'recordConsent' },
      schema: {
        tags: ['consents'],
        summary: 'Record one or more consent decisions, atomically',
        description:
          "Appends to the ledger: each record is chained to the subject's previous one by hash. The subject is named by id or found (and created when missing) by identifiers. IP addresses are stored truncated. Send an Idempotency-Key to retry safely.",
        body: RecordConsents,
        headers: IdempotencyHeaders,
        response: {
          201: Type.Object({ subjectId: Type.String(), records: Type.Array(RecordView) }),
        },
      },
    },
    async (req, reply) => {
      const a = actorOf(req);
      const scope = idempotencyScope(req, 'consents.record');
      const view = (r: { subjectId: string; records: LedgerRecord[] }) => ({
        subjectId: r.subjectId,
        records: r.records.map(recordView),
      });
      // without a key nothing is stored beside the records: the write may skip its transaction
      if (!scope.key) return reply.code(201).send(view(await consents.recordNow(a, req.body)));
      const out = await idempotent(deps.db, scope, async (trx) => ({
        status: 201,
        body: view(await consents.record(trx, a, req.body)),
      }));
      return reply.code(201).send(out.body);
    },
  );

  app.get(
    '/v1/subjects/:id/consents',
    {
      config: { permission: 'readSubjects' },
      schema: {
        tags: ['consents'],
        summary: "A subject's current consent state",
        description: 'One row per target x channel x scope, each with the record that decided it.',
        params: IdParams,
        response: { 200: Type.Object({ subjectId: Type.String(), items: Type.Array(StateView) }) },
      },
    },
    async (req) => {
      const a = actorOf(req);
      const s = await consents.subjects.store.require(a.workspaceId, req.params.id);
      const subjectId = s.mergedInto ?? s.id;
      const rows = await db
        .selectFrom('consent_state')
        .selectAll()
        .where('workspace_id', '=', a.workspaceId)
        .where('subject_id', '=', subjectId)
        .orderBy('target_type')
        .orderBy('target_key')
        .orderBy('channel')
        .orderBy('scope_type')
        .orderBy('scope_key')
        .execute();
      await audit(db, auditEntry(a, 'consent.read', 'subject', subjectId));
      return {
        subjectId,
        items: rows.map((r) => ({
          target: { type: r.target_type, key: r.target_key },
          channel: r.channel || null,
          scope: { type: r.scope_type, key: r.scope_key || null },
          state: r.state,
          occurredAt: r.occurred_at,
          expiresAt: r.expires_at,
          record: { id: r.record_id, source: r.source },
        })),
      };
    },
  );

  app.get(
    '/v1/consent-records',
    {
      config: { permission: 'readLedger' },
      schema: {
        tags: ['consents'],
        summary: "A subject's consent history, newest first",
        description: 'Includes the history of subjects merged into this one.',
        querystring: pageQueryWith({ subjectId: Type.String({ maxLength: 64 }) }),
        response: { 200: pageOf(RecordView) },
      },
    },
    async (req) => {
      const a = actorOf(req);
      const { subjectId, limit } = req.query;
      await consents.subjects.store.require(a.workspaceId, subjectId);
      const after = decodeCursor<{ o: string; id: string }>(req.query.cursor, ['o', 'id']);
      const ids = await consents.subjects.store.historyIds(a.workspaceId, subjectId);
      let q = recordsOfSubjects(db, a.workspaceId, ids);
      if (after) {
        q = q.where((eb) =>
          eb.or([
            eb('occurred_at', '<', after.o),
            eb.and([eb('occurred_at', '=', after.o), eb('id', '<', after.id)]),
          ]),
        );
      }
      const rows = await q
        .orderBy('occurred_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      await audit(db, auditEntry(a, 'consent.history.read', 'subject', subjectId));
      return toPage(
        rows,
        limit,
        (r) => recordView(toLedgerRecord(r)),
        (r) => ({ o: r.occurred_at, id: r.id }),
      );
    },
  );

  app.get(
    '/v1/consent-records/:id',
    {
      config: { permission: 'readLedger' },
      schema: {
        tags: ['consents'],
        summary: 'One ledger record',
        params: IdParams,
        response: { 200: RecordView },
      },
    },
    async (req) => {
      const a = actorOf(req);
      const r = await consents.recordById(a.workspaceId, req.params.id);
      await audit(db, auditEntry(a, 'consent.read', 'consent_record', r.id));
      return recordView(r);
    },
  );

  app.get(
    '/v1/consent-records/:id/receipt',
    {
      config: { permission: 'readLedger' },
      schema: {
        tags: ['consents'],
        summary: 'A signed receipt (JWS) of one record',
        description:
          'An EdDSA-signed JWT carrying the fields of a Kantara consent receipt; anyone can verify it with the key at /.well-known/jwks.json, without access to this server.',
        params: IdParams,
        response: { 200: Type.Object({ receipt: Type.String() }) },
      },
    },
    async (req) => {
      const a = actorOf(req);
      const r = await consents.recordById(a.workspaceId, req.params.id);
      await audit(db, auditEntry(a, 'consent.receipt', 'consent_record', r.id));
      return { receipt: await receiptFor(deps, r) };
    },
  );
}
