import type { AppDeps } from '../../app-deps.ts';
import { isUniqueViolation } from '../../db/transaction.ts';
import type { HttpApp } from '../../http/app.ts';
import { actorOf } from '../../http/context.ts';
import { IdempotencyHeaders, idempotencyScope, idempotent } from '../../http/idempotency.ts';
import { decodeCursor, pageOf, toPage } from '../../http/pagination.ts';
import {
  type CatalogInput,
  type CatalogKind,
  type CatalogPatch,
  catalogKinds,
  catalogSchemas,
  IdParams,
  ListQuery,
} from './catalog-schemas.ts';
import { createCatalogService, duplicateKey } from './catalog-service.ts';
import { registerNoticeVersionRoutes } from './notice-version-routes.ts';

/** The same five routes for each of the six kinds, and a notice's versions. */
export function registerCatalogRoutes(app: HttpApp, deps: AppDeps) {
  for (const kind of catalogKinds) registerKindRoutes(app, deps, kind);
  registerNoticeVersionRoutes(app, deps);
}

function registerKindRoutes<K extends CatalogKind>(app: HttpApp, deps: AppDeps, kind: K) {
  const catalog = createCatalogService(deps.db.kysely);
  const schemas = catalogSchemas[kind];
  const base = `/v1/${schemas.path}`;
  const params = IdParams;
  const tags = ['catalog'];

  app.post(
    base,
    {
      config: { permission: 'writeCatalog' },
      schema: {
        tags,
        summary: `Create a ${kind}`,
        description:
          'Accepts an `Idempotency-Key` header: a retry with the same key and body creates nothing.',
        headers: IdempotencyHeaders,
        body: schemas.create,
        response: { 201: schemas.view },
      },
    },
    async (req, reply) => {
      const a = actorOf(req);
      const input = req.body as CatalogInput<K>;
      try {
        const out = await idempotent(
          deps.db,
          idempotencyScope(req, `catalog.${kind}.create`),
          async (trx) => ({ status: 201, body: await catalog.create(trx, a, kind, input) }),
        );
        return reply.code(out.status as 201).send(out.body);
      } catch (err) {
        if (isUniqueViolation(err)) throw duplicateKey(kind, input.key);
        throw err;
      }
    },
  );

  app.get(
    base,
    {
      config: { permission: 'readCatalog' },
      schema: {
        tags,
        summary: `List ${schemas.path}`,
        description: 'In creation order; archived ones only with `includeArchived=true`.',
        querystring: ListQuery,
        response: { 200: pageOf(schemas.view) },
      },
    },
    async (req) => {
      const { limit, cursor, includeArchived } = req.query;
      const after = decodeCursor<{ id: string }>(cursor, ['id']);
      const items = await catalog.list(actorOf(req).workspaceId, kind, {
        after: after?.id,
        limit: limit + 1,
        includeArchived,
      });
      return toPage(
        items,
        limit,
        (i) => i,
        (i) => ({ id: i.id }),
      );
    },
  );

  app.get(
    `${base}/:id`,
    {
      config: { permission: 'readCatalog' },
      schema: {
        tags,
        summary: `Get a ${kind}, archived or not`,
        params,
        response: { 200: schemas.view },
      },
    },
    async (req) => catalog.get(actorOf(req).workspaceId, kind, req.params.id),
  );

  app.patch(
    `${base}/:id`,
    {
      config: { permission: 'writeCatalog' },
      schema: {
        tags,
        summary: `Change a ${kind}`,
        params,
        body: schemas.patch,
        response: { 200: schemas.view },
      },
    },
    async (req) => {
      const a = actorOf(req);
      return deps.db.write((trx) => catalog.update(trx, a, kind, req.params.id, req.body as CatalogPatch<K>));
    },
  );

  app.delete(
    `${base}/:id`,
    {
      config: { permission: 'writeCatalog' },
      schema: {
        tags,
        summary: `Archive a ${kind}`,
        description:
          'Sets `archivedAt`. The object stays readable by id for the history that refers to it; new references to it are refused.',
        params,
        response: { 200: schemas.view },
      },
    },
    async (req) => {
      const a = actorOf(req);
      return deps.db.write((trx) => catalog.archive(trx, a, kind, req.params.id));
    },
  );
}
