import { AssentError } from '@assent/core';
import { Type } from '@sinclair/typebox';
import type { AppDeps } from '../../app-deps.ts';
import type { HttpApp } from '../../http/app.ts';
import { actorOf } from '../../http/context.ts';
import { IdempotencyHeaders, idempotencyScope, idempotent } from '../../http/idempotency.ts';
import { decodeCursor, PageQuery, pageOf, toPage } from '../../http/pagination.ts';
import { IdParams } from './catalog-schemas.ts';
import { createCatalogStore } from './catalog-store.ts';
import { createNoticeVersion } from './notice-version-service.ts';
import { createNoticeVersionStore, type NoticeVersion } from './notice-version-store.ts';

const NewVersion = Type.Object(
  {
    language: Type.String({
      pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$',
      maxLength: 16,
      description: 'A BCP 47 language tag: `en`, `fr-CA`.',
    }),
    content: Type.String({ minLength: 1, maxLength: 200_000, description: 'The text or HTML shown.' }),
    material: Type.Boolean({
      default: false,
      description: 'A material change: everyone who agreed to an earlier version is asked again.',
    }),
  },
  { additionalProperties: false },
);

const VersionFields = {
  id: Type.String(),
  noticeId: Type.String(),
  version: Type.Integer({ description: '1, 2, ... per notice and language.' }),
  language: Type.String(),
  contentHash: Type.String({ description: 'sha256 (hex) of the content, UTF-8.' }),
  material: Type.Boolean(),
  createdAt: Type.String(),
};
const VersionView = Type.Object(VersionFields);
const VersionDetail = Type.Object({ ...VersionFields, content: Type.String() });

const summary = ({ content: _, ...v }: NoticeVersion) => v;

/** Notice versions: append-only (no PATCH or DELETE), numbered per language. */
export function registerNoticeVersionRoutes(app: HttpApp, deps: AppDeps) {
  const db = deps.db.kysely;
  const versions = createNoticeVersionStore(db);
  const tags = ['catalog'];

  const noticeOf = async (workspaceId: string, id: string) => {
    const notice = await createCatalogStore(db).byId(workspaceId, 'notice', id);
    if (!notice) throw new AssentError('not_found', 'The notice was not found');
    return notice;
  };

  app.post(
    '/v1/notices/:id/versions',
    {
      config: { permission: 'writeCatalog' },
      // 200,000 characters escaped as JSON can pass the default limit
      bodyLimit: Math.max(deps.config.bodyLimit, 2 * 1024 * 1024),
      schema: {
        tags,
        summary: 'Add a version of a notice in one language',
        description: 'Versions are immutable. Accepts an `Idempotency-Key` header.',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: NewVersion,
        response: { 201: VersionView },
      },
    },
    async (req, reply) => {
      const a = actorOf(req);
      const out = await idempotent(
        deps.db,
        idempotencyScope(req, `catalog.notice.version.create:${req.params.id}`),
        async (trx) => ({
          status: 201,
          body: summary(await createNoticeVersion(trx, a, req.params.id, req.body)),
        }),
      );
      return reply.code(out.status as 201).send(out.body);
    },
  );

  app.get(
    '/v1/notices/:id/versions',
    {
      config: { permission: 'readCatalog' },
      schema: {
        tags,
        summary: "List a notice's versions, newest first",
        params: IdParams,
        querystring: PageQuery,
        response: { 200: pageOf(VersionView) },
      },
    },
    async (req) => {
      const { workspaceId } = actorOf(req);
      const before = decodeCursor<{ id: string }>(req.query.cursor, ['id']);
      await noticeOf(workspaceId, req.params.id);
      const rows = await versions.list(workspaceId, req.params.id, {
        before: before?.id,
        limit: req.query.limit + 1,
      });
      return toPage(rows, req.query.limit, summary, (v) => ({ id: v.id }));
    },
  );

  app.get(
    '/v1/notices/:id/versions/:versionId',
    {
      config: { permission: 'readCatalog' },
      schema: {
        tags,
        summary: 'Get one version of a notice, with its content',
        params: Type.Object({
          id: Type.String({ maxLength: 64 }),
          versionId: Type.String({ maxLength: 64 }),
        }),
        response: { 200: VersionDetail },
      },
    },
    async (req) => {
      const { workspaceId } = actorOf(req);
      const v = await versions.byId(workspaceId, req.params.versionId, req.params.id);
      if (!v) throw new AssentError('not_found', 'The notice version was not found');
      return v;
    },
  );
}
