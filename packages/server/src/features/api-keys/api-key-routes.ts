import { AssentError } from '@assent/core';
import { Type } from '@sinclair/typebox';
import type { AppDeps } from '../../app-deps.ts';
import type { HttpApp } from '../../http/app.ts';
import { actorOf, auditEntry } from '../../http/context.ts';
import { decodeCursor, PageQuery, pageOf, toPage } from '../../http/pagination.ts';
import { audit } from '../audit/audit-log.ts';
import { ApiKeyView, CreatedApiKey, NewApiKey, NO_IDEMPOTENCY } from '../workspaces/workspace-routes.ts';
import { createApiKeyStore } from './api-key-store.ts';

export function registerApiKeyRoutes(app: HttpApp, deps: AppDeps) {
  const keys = createApiKeyStore(deps.db.kysely);

  app.get(
    '/v1/api-keys',
    {
      config: { permission: 'manageKeys' },
      schema: {
        tags: ['workspaces'],
        summary: "List this workspace's API keys",
        querystring: PageQuery,
        response: { 200: pageOf(ApiKeyView) },
      },
    },
    async (req) => {
      const after = decodeCursor<{ id: string }>(req.query.cursor, ['id']);
      const rows = await keys.list(actorOf(req).workspaceId, {
        after: after?.id,
        limit: req.query.limit + 1,
      });
      return toPage(
        rows,
        req.query.limit,
        (k) => k,
        (k) => ({ id: k.id }),
      );
    },
  );

  app.post(
    '/v1/api-keys',
    {
      config: { permission: 'manageKeys' },
      schema: {
        tags: ['workspaces'],
        summary: 'Create an API key in this workspace; the secret is shown once',
        description: NO_IDEMPOTENCY,
        body: NewApiKey,
        response: { 201: CreatedApiKey },
      },
    },
    async (req, reply) => {
      const a = actorOf(req);
      if (req.body.role === 'owner' && req.auth?.role !== 'owner') {
        throw new AssentError('forbidden', 'Only an owner key may create another owner key');
      }
      const created = await deps.db.write(async (trx) => {
        const c = await keys.create(trx, { workspaceId: a.workspaceId, ...req.body });
        await audit(trx, auditEntry(a, 'api_key.create', 'api_key', c.key.id));
        return c;
      });
      return reply.code(201).send({ ...created.key, secret: created.secret });
    },
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      config: { permission: 'manageKeys' },
      schema: {
        tags: ['workspaces'],
        summary: 'Revoke an API key',
        params: Type.Object({ id: Type.String() }),
        response: { 200: ApiKeyView },
      },
    },
    async (req) => {
      const a = actorOf(req);
      const key = await deps.db.write(async (trx) => {
        const found = await keys.find(trx, a.workspaceId, req.params.id);
        // as for creating one: an admin must not lock the operator out
        if (found?.role === 'owner' && req.auth?.role !== 'owner') {
          throw new AssentError('forbidden', 'Only an owner key may revoke an owner key');
        }
        const k = found && (await keys.revoke(trx, a.workspaceId, req.params.id));
        if (k) await audit(trx, auditEntry(a, 'api_key.revoke', 'api_key', k.id));
        return k;
      });
      if (!key) throw new AssentError('not_found', 'API key was not found');
      app.forgetApiKeys();
      return key;
    },
  );
}
