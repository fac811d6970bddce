import { AssentError, identifierHash, normalizeIdentifier, parseIdentifierRef } from '@assent/core';
import { Type } from '@sinclair/typebox';
import type { AppDeps } from '../../app-deps.ts';
import { isUniqueViolation } from '../../db/transaction.ts';
import type { HttpApp } from '../../http/app.ts';
import { actorOf, auditEntry } from '../../http/context.ts';
import { IdempotencyHeaders, idempotencyScope, idempotent } from '../../http/idempotency.ts';
import { decodeCursor, pageOf, toPage } from '../../http/pagination.ts';
import { audit } from '../audit/audit-log.ts';
import { emit } from '../outbox/outbox.ts';
import {
  NewSuppression,
  SuppressionListQuery,
  SuppressionLookup,
  SuppressionLookupQuery,
  SuppressionView,
} from './decision-schemas.ts';
import { createSuppressionStore } from './suppression-store.ts';

/** Normalises an identifier, naming the field at fault. */
function hashOf(input: { type: string; value: string }, pointer: string): string {
  try {
    return identifierHash(normalizeIdentifier(input));
  } catch (err) {
    if (err instanceof AssentError)
      throw new AssentError(err.code, err.message, [{ pointer, detail: err.message }]);
    throw err;
  }
}

/** The suppression list: identifiers never to contact on a channel, kept only as hashes. */
export function registerSuppressionRoutes(app: HttpApp, deps: AppDeps) {
  const store = createSuppressionStore(deps.db.kysely);
  const tags = ['decision'];

  app.post(
    '/v1/suppressions',
    {
      config: { permission: 'manageSuppressions' },
      schema: {
        tags,
        summary: 'Suppress an identifier on a channel (201; 200 with the existing one if already suppressed)',
        description: 'Only the hash of the normalised identifier is stored, so suppression survives erasure.',
        headers: IdempotencyHeaders,
        body: NewSuppression,
        response: { 201: SuppressionView, 200: SuppressionView },
      },
    },
    async (req, reply) => {
      const a = actorOf(req);
      const { channel, reason } = req.body;
      const hash = hashOf(req.body.identifier, '/identifier/value');
      const existing = () => store.find(a.workspaceId, channel, hash);
      try {
        const out = await idempotent(deps.db, idempotencyScope(req, 'suppressions.create'), async (trx) => {
          const before = await store.find(a.workspaceId, channel, hash, trx);
          if (before) return { status: 200, body: before };
          const s = await store.insert(trx, a.workspaceId, { channel, identifierHash: hash, reason });
          await audit(trx, auditEntry(a, 'suppression.add', 'suppression', s.id));
          await emit(trx, a.workspaceId, 'suppression.added', s);
          return { status: 201, body: s };
        });
        return reply.code(out.status as 200 | 201).send(out.body);
      } catch (err) {
        // a concurrent request suppressed it first
        const winner = isUniqueViolation(err) ? await existing() : null;
        if (winner) return reply.code(200).send(winner);
        throw err;
      }
    },
  );

  app.get(
    '/v1/suppressions',
    {
      config: { permission: 'readLedger' },
      schema: {
        tags,
        summary: 'List suppressions, oldest first',
        querystring: SuppressionListQuery,
        response: { 200: pageOf(SuppressionView) },
      },
    },
    async (req) => {
      const after = decodeCursor<{ id: string }>(req.query.cursor, ['id']);
      const rows = await store.list(actorOf(req).workspaceId, {
        channel: req.query.channel,
        after: after?.id,
        limit: req.query.limit + 1,
      });
      return toPage(
        rows,
        req.query.limit,
        (s) => s,
        (s) => ({ id: s.id }),
      );
    },
  );

  app.get(
    '/v1/suppressions/lookup',
    {
      config: { permission: 'readLedger' },
      schema: {
        tags,
        summary: 'Is this identifier suppressed (on a channel, or on any)?',
        querystring: SuppressionLookupQuery,
        response: { 200: SuppressionLookup },
      },
    },
    async (req) => {
      const ref = (() => {
        try {
          return parseIdentifierRef(req.query.identifier);
        } catch (err) {
          if (err instanceof AssentError)
            throw new AssentError(err.code, err.message, [{ pointer: '/identifier', detail: err.message }]);
          throw err;
        }
      })();
      const hash = hashOf(ref, '/identifier');
      const items = await store.byHash(actorOf(req).workspaceId, hash, req.query.channel);
      return { suppressed: items.length > 0, identifierHash: hash, items };
    },
  );

  app.get(
    '/v1/suppressions/:id',
    {
      config: { permission: 'readLedger' },
      schema: {
        tags,
        summary: 'One suppression',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: SuppressionView },
      },
    },
    async (req) => {
      const s = await store.byId(actorOf(req).workspaceId, req.params.id);
      if (!s) throw new AssentError('not_found', 'Suppression was not found');
      return s;
    },
  );

  app.delete(
    '/v1/suppressions/:id',
    {
      config: { permission: 'manageSuppressions' },
      schema: {
        tags,
        summary: 'Lift a suppression',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: SuppressionView },
      },
    },
    async (req) => {
      const a = actorOf(req);
      const removed = await deps.db.write(async (trx) => {
        const s = await store.remove(trx, a.workspaceId, req.params.id);
        if (s) {
          await audit(trx, auditEntry(a, 'suppression.remove', 'suppression', s.id));
          await emit(trx, a.workspaceId, 'suppression.removed', s);
        }
        return s;
      });
      if (!removed) throw new AssentError('not_found', 'Suppression was not found');
      return removed;
    },
  );
}
