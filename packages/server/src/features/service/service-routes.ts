import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { AppDeps } from '../../app-deps.ts';
import type { HttpApp } from '../../http/app.ts';
import { sendProblem, toProblem } from '../../http/problem.ts';

export function registerServiceRoutes(app: HttpApp, deps: AppDeps) {
  const noAuth = { security: [] as never[] };
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['service'],
        summary: 'The process is up',
        ...noAuth,
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    { schema: { tags: ['service'], summary: 'The database answers (503 when it does not)', ...noAuth } },
    async (req, reply) => {
      try {
        await sql`select 1`.execute(deps.db.kysely);
        return { status: 'ready', database: deps.db.dialect };
      } catch (err) {
        req.log.warn({ err: (err as Error).message }, 'database not ready');
        return sendProblem(req, reply, toProblem('unavailable', 'The database does not answer'));
      }
    },
  );
  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['service'],
        summary: 'Public keys that verify receipts and ledger checkpoints',
        ...noAuth,
      },
    },
    async (_req, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return { keys: [deps.signer.publicJwk] };
    },
  );
}
