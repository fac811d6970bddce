import { Type } from '@sinclair/typebox';
import type { AppDeps } from '../../app-deps.ts';
import type { HttpApp } from '../../http/app.ts';
import { actorOf } from '../../http/context.ts';
import { decodeCursor, pageOf, pageQueryWith, toPage } from '../../http/pagination.ts';

const AuditView = Type.Object({
  id: Type.String(),
  actor: Type.String({ description: 'The API key id that acted, or `system`.' }),
  action: Type.String({ description: 'e.g. consent.record, subject.read, brand.create' }),
  targetType: Type.String(),
  targetId: Type.Union([Type.String(), Type.Null()]),
  requestId: Type.Union([Type.String(), Type.Null()]),
  at: Type.String(),
});

export function registerAuditRoutes(app: HttpApp, deps: AppDeps) {
  app.get(
    '/v1/audit-log',
    {
      config: { permission: 'readAudit' },
      schema: {
        tags: ['audit'],
        summary: 'Who did what, and who read whose data, newest first',
        querystring: pageQueryWith({
          targetId: Type.Optional(
            Type.String({
              maxLength: 64,
              description: 'Only entries about this object (e.g. a subject id).',
            }),
          ),
          actor: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: { 200: pageOf(AuditView) },
      },
    },
    async (req) => {
      const { workspaceId } = actorOf(req);
      const { limit, targetId, actor } = req.query;
      const after = decodeCursor<{ id: string }>(req.query.cursor, ['id']);
      let q = deps.db.kysely.selectFrom('audit_log').selectAll().where('workspace_id', '=', workspaceId);
      if (targetId) q = q.where('target_id', '=', targetId);
      if (actor) q = q.where('actor', '=', actor);
      if (after) q = q.where('id', '<', after.id);
      const rows = await q
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      return toPage(
        rows,
        limit,
        (r) => ({
          id: r.id,
          actor: r.actor,
          action: r.action,
          targetType: r.target_type,
          targetId: r.target_id,
          requestId: r.request_id,
          at: r.at,
        }),
        (r) => ({ id: r.id }),
      );
    },
  );
}
