import { randomUUID } from 'node:crypto';
import { tokenAudiences } from '@assent/core';
import { Type } from '@sinclair/typebox';
import type { AppDeps } from '../../app-deps.ts';
import type { HttpApp } from '../../http/app.ts';
import { actorOf, auditEntry } from '../../http/context.ts';
import { enumOf } from '../../http/schema-helpers.ts';
import { audit } from '../audit/audit-log.ts';
import { SubjectRef } from './subject-schemas.ts';
import { createSubjectService } from './subject-service.ts';

export function registerSubjectTokenRoutes(app: HttpApp, deps: AppDeps) {
  const subjects = createSubjectService(deps.db.kysely);

  app.post(
    '/v1/subject-tokens',
    {
      config: { permission: 'issueTokens' },
      schema: {
        tags: ['subjects'],
        summary: 'Issue a signed token that lets a browser act for one subject',
        description:
          "For the banner's `identify(token)` and links into the preference center. The token names the subject, the workspace and its audience, and expires (default 15 minutes, at most 24 hours). The subject is found, or created, from the identifiers.",
        body: Type.Object(
          {
            subject: SubjectRef,
            audience: enumOf(tokenAudiences),
            ttlSeconds: Type.Optional(Type.Integer({ minimum: 30, maximum: 86_400, default: 900 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ token: Type.String(), subjectId: Type.String(), expiresAt: Type.String() }),
        },
      },
    },
    async (req, reply) => {
      const a = actorOf(req);
      const ttl = req.body.ttlSeconds ?? 900;
      const subjectId = await deps.db.write(async (trx) => {
        const { subjectId } = await subjects.resolve(trx, a, req.body.subject);
        await audit(trx, auditEntry(a, 'subject.token', 'subject', subjectId));
        return subjectId;
      });
      const iat = Math.floor(Date.now() / 1000);
      const exp = iat + ttl;
      const token = await deps.signer.sign(
        {
          iss: deps.config.publicUrl,
          sub: subjectId,
          ws: a.workspaceId,
          aud: req.body.audience,
          iat,
          exp,
          jti: randomUUID(),
        },
        'assent-subject+jwt',
      );
      return reply.code(201).send({ token, subjectId, expiresAt: new Date(exp * 1000).toISOString() });
    },
  );
}
