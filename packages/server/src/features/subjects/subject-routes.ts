import { AssentError, normalizeIdentifier, parseIdentifierRef } from '@assent/core';
import { Type } from '@sinclair/typebox';
import type { AppDeps } from '../../app-deps.ts';
import type { HttpApp } from '../../http/app.ts';
import { actorOf, auditEntry } from '../../http/context.ts';
import { IdempotencyHeaders, idempotencyScope, idempotent } from '../../http/idempotency.ts';
import { audit } from '../audit/audit-log.ts';
import { createConsentService } from '../consents/consent-service.ts';
import { emit } from '../outbox/outbox.ts';
import { Attributes, IdentifierInput, SubjectView } from './subject-schemas.ts';
import { createSubjectService, normalizeAll } from './subject-service.ts';

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

export function registerSubjectRoutes(app: HttpApp, deps: AppDeps) {
  const db = deps.db.kysely;
  const subjects = createSubjectService(db);
  const consents = createConsentService(deps);

  app.post(
    '/v1/subjects',
    {
      config: { permission: 'writeSubjects' },
      schema: {
        tags: ['subjects'],
        summary: 'Find a subject by any identifier, or create it',
        headers: IdempotencyHeaders,
        description:
          'Identifiers are normalised (emails trimmed and lower-cased, phones to E.164). 200 when an existing subject was found (missing identifiers are linked to it), 201 when created.',
        body: Type.Object(
          {
            identifiers: Type.Array(IdentifierInput, { minItems: 1, maxItems: 20 }),
            attributes: Type.Optional(Attributes),
          },
          { additionalProperties: false },
        ),
        response: { 200: SubjectView, 201: SubjectView },
      },
    },
    async (req, reply) => {
      const a = actorOf(req);
      const identifiers = normalizeAll(req.body.identifiers);
      const out = await idempotent(deps.db, idempotencyScope(req, 'subjects.upsert'), async (trx) => {
        const r = await subjects.upsert(trx, a, identifiers, req.body.attributes);
        // an existing person's identifiers and attributes go back to the caller: a read
        if (!r.created) await audit(trx, auditEntry(a, 'subject.read', 'subject', r.subjectId));
        return {
          status: r.created ? 201 : 200,
          body: await subjects.store.require(a.workspaceId, r.subjectId, trx),
        };
      });
      // a replay answers with the person's data too
      if (out.replayed) {
        await audit(deps.db.kysely, auditEntry(a, 'subject.read', 'subject', out.body.id));
      }
      return reply.code(out.status as 200).send(out.body);
    },
  );

  app.get(
    '/v1/subjects',
    {
      config: { permission: 'readSubjects' },
      schema: {
        tags: ['subjects'],
        summary: 'Find a subject by identifier',
        querystring: Type.Object(
          {
            identifier: Type.String({
              minLength: 3,
              maxLength: 400,
              description: 'type:value, e.g. email:ana@example.com',
            }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(SubjectView), nextCursor: Type.Null() }) },
      },
    },
    async (req) => {
      const a = actorOf(req);
      const identifier = normalizeIdentifier(parseIdentifierRef(req.query.identifier));
      const id = await subjects.find(a.workspaceId, identifier);
      const subject = id ? await subjects.store.byId(a.workspaceId, id) : null;
      if (subject) await audit(db, auditEntry(a, 'subject.read', 'subject', subject.id));
      return { items: subject ? [subject] : [], nextCursor: null };
    },
  );

  app.get(
    '/v1/subjects/:id',
    {
      config: { permission: 'readSubjects' },
      schema: {
        tags: ['subjects'],
        summary: 'Read a subject',
        params: IdParams,
        response: { 200: SubjectView },
      },
    },
    async (req) => {
      const a = actorOf(req);
      const subject = await subjects.store.require(a.workspaceId, req.params.id);
      await audit(db, auditEntry(a, 'subject.read', 'subject', subject.id));
      return subject;
    },
  );

  app.post(
    '/v1/subjects/:id/identifiers',
    {
      config: { permission: 'writeSubjects' },
      schema: {
        tags: ['subjects'],
        summary: 'Link one more identifier to a subject',
        description:
          'An identifier that already belongs to another subject is a 409: merge the two subjects instead.',
        params: IdParams,
        body: IdentifierInput,
        response: { 200: SubjectView },
      },
    },
    async (req) => {
      const a = actorOf(req);
      const [identifier] = normalizeAll([req.body], '');
      return deps.db.write(async (trx) => {
        const s = await subjects.store.require(a.workspaceId, req.params.id, trx);
        if (s.mergedInto)
          throw new AssentError('conflict', `Subject was merged into ${s.mergedInto}; link to that one`);
        const owner = await subjects.find(a.workspaceId, identifier, trx);
        if (owner && owner !== s.id) {
          throw new AssentError(
            'conflict',
            'The identifier belongs to another subject; merge the two subjects instead',
          );
        }
        if (!owner) {
          await subjects.store.addIdentifier(trx, a.workspaceId, s.id, identifier);
          await emit(trx, a.workspaceId, 'subject.updated', { subjectId: s.id });
          await audit(trx, auditEntry(a, 'subject.link', 'subject', s.id));
        }
        await audit(trx, auditEntry(a, 'subject.read', 'subject', s.id));
        return subjects.store.require(a.workspaceId, s.id, trx);
      });
    },
  );

  app.post(
    '/v1/subjects/:id/merge',
    {
      config: { permission: 'mergeSubjects' },
      schema: {
        tags: ['subjects'],
        summary: 'Merge another subject into this one',
        description:
          "The other subject's identifiers and ledger history follow this one; its records stay untouched in the ledger and the current consent state is recomputed from both histories.",
        params: IdParams,
        body: Type.Object({ from: Type.String({ maxLength: 64 }) }, { additionalProperties: false }),
        response: { 200: SubjectView },
      },
    },
    async (req) => {
      const a = actorOf(req);
      return deps.db.write(async (trx) => {
        await consents.mergeSubjects(trx, a, req.params.id, req.body.from);
        return subjects.store.require(a.workspaceId, req.params.id, trx);
      });
    },
  );
}
