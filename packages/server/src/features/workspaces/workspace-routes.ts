import { AssentError, roles } from '@assent/core';
import { Type } from '@sinclair/typebox';
import type { AppDeps } from '../../app-deps.ts';
import { isUniqueViolation } from '../../db/transaction.ts';
import type { HttpApp } from '../../http/app.ts';
import { actorOf, auditEntry } from '../../http/context.ts';
import { IdempotencyHeaders, idempotencyScope, idempotent } from '../../http/idempotency.ts';
import { decodeCursor, PageQuery, pageOf, toPage } from '../../http/pagination.ts';
import { enumOf } from '../../http/schema-helpers.ts';
import { createApiKeyStore } from '../api-keys/api-key-store.ts';
import { audit } from '../audit/audit-log.ts';
import { createWorkspaceStore } from './workspace-store.ts';

const Key = Type.String({
  pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
  description: 'A slug: lower-case letters, digits, - and _.',
});
const WorkspaceView = Type.Object({
  id: Type.String(),
  key: Type.String(),
  name: Type.String(),
  createdAt: Type.String(),
});
export const ApiKeyView = Type.Object({
  id: Type.String(),
  workspaceId: Type.String(),
  name: Type.String(),
  role: Type.String(),
  prefix: Type.String({ description: 'The first characters of the secret, to recognise it.' }),
  createdAt: Type.String(),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});
/** Why key creation takes no Idempotency-Key: a replay would need the secret, which is never stored. */
export const NO_IDEMPOTENCY =
  'Takes no `Idempotency-Key`: a replayed answer would have to hold the secret, and only its hash is ever stored. If a retry made a second key, revoke the one you do not use.';

export const NewApiKey = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    role: enumOf(
      roles,
      'owner (operator), admin, editor, viewer, agent (call center / store staff) or dsr (rights requests).',
    ),
  },
  { additionalProperties: false },
);
export const CreatedApiKey = Type.Intersect([
  ApiKeyView,
  Type.Object({ secret: Type.String({ description: 'Shown once.' }) }),
]);

export function registerWorkspaceRoutes(app: HttpApp, deps: AppDeps) {
  const workspaces = createWorkspaceStore(deps.db.kysely);
  const keys = createApiKeyStore(deps.db.kysely);

  app.post(
    '/v1/workspaces',
    {
      config: { permission: 'manageWorkspaces' },
      schema: {
        tags: ['workspaces'],
        summary: 'Create a workspace (owner)',
        headers: IdempotencyHeaders,
        body: Type.Object(
          { key: Key, name: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: { 201: WorkspaceView, 200: WorkspaceView },
      },
    },
    async (req, reply) => {
      const a = actorOf(req);
      try {
        const out = await idempotent(deps.db, idempotencyScope(req, 'workspaces.create'), async (trx) => {
          const ws = await workspaces.create(trx, req.body);
          await audit(trx, auditEntry(a, 'workspace.create', 'workspace', ws.id));
          return { status: 201, body: ws };
        });
        return reply.code(out.status as 201).send(out.body);
      } catch (err) {
        if (isUniqueViolation(err))
          throw new AssentError('conflict', `A workspace with key "${req.body.key}" exists`);
        throw err;
      }
    },
  );

  app.get(
    '/v1/workspaces',
    {
      config: { permission: 'manageWorkspaces' },
      schema: {
        tags: ['workspaces'],
        summary: 'List workspaces (owner)',
        querystring: PageQuery,
        response: { 200: pageOf(WorkspaceView) },
      },
    },
    async (req) => {
      const after = decodeCursor<{ id: string }>(req.query.cursor, ['id']);
      const rows = await workspaces.list({ after: after?.id, limit: req.query.limit + 1 });
      return toPage(
        rows,
        req.query.limit,
        (w) => w,
        (w) => ({ id: w.id }),
      );
    },
  );

  app.post(
    '/v1/workspaces/:id/api-keys',
    {
      config: { permission: 'manageWorkspaces' },
      schema: {
        tags: ['workspaces'],
        summary: 'Create an API key in any workspace (owner); the secret is shown once',
        description: NO_IDEMPOTENCY,
        params: Type.Object({ id: Type.String() }),
        body: NewApiKey,
        response: { 201: CreatedApiKey },
      },
    },
    async (req, reply) => {
      const a = actorOf(req);
      const ws = await workspaces.byId(req.params.id);
      if (!ws) throw new AssentError('not_found', 'Workspace was not found');
      const created = await deps.db.write(async (trx) => {
        const c = await keys.create(trx, { workspaceId: ws.id, ...req.body });
        const entry = auditEntry(a, 'api_key.create', 'api_key', c.key.id);
        // in the workspace that gets the key, so that its admins see it, and in the owner's own
        await audit(trx, { ...entry, workspaceId: ws.id });
        if (ws.id !== a.workspaceId) await audit(trx, entry);
        return c;
      });
      return reply.code(201).send({ ...created.key, secret: created.secret });
    },
  );
}
