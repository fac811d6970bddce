import { Type } from '@sinclair/typebox';
import type { AppDeps } from '../../app-deps.ts';
import type { HttpApp } from '../../http/app.ts';
import { actorOf, auditEntry } from '../../http/context.ts';
import { decodeCursor, PageQuery, pageOf, toPage } from '../../http/pagination.ts';
import { audit } from '../audit/audit-log.ts';
import { createCheckpointService } from './checkpoint-service.ts';
import { verifyLedger } from './ledger-verify.ts';

const Problem = Type.Object({
  kind: Type.String(),
  detail: Type.String(),
  recordId: Type.Optional(Type.String()),
  subjectId: Type.Optional(Type.String()),
  seq: Type.Optional(Type.Integer()),
  checkpointId: Type.Optional(Type.String()),
});
const CheckpointView = Type.Object({
  id: Type.String(),
  from: Type.String(),
  to: Type.String(),
  records: Type.Integer(),
  merkleRoot: Type.String(),
  signature: Type.String({
    description: 'JWS (EdDSA) over the window, count and root; verify with /.well-known/jwks.json.',
  }),
  createdAt: Type.String(),
});

export function registerLedgerRoutes(app: HttpApp, deps: AppDeps) {
  const checkpoints = createCheckpointService(deps);

  app.get(
    '/v1/ledger/verify',
    {
      config: { permission: 'readLedger' },
      schema: {
        tags: ['consents'],
        summary: "Verify this workspace's ledger",
        description:
          'Recomputes every per-subject hash chain and every checkpoint. `ok: false` names the first broken record (edited, deleted, inserted or reordered) in `firstProblem`.',
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            records: Type.Integer(),
            subjects: Type.Integer(),
            checkpoints: Type.Integer(),
            firstProblem: Type.Union([Problem, Type.Null()]),
            problems: Type.Array(Problem),
          }),
        },
      },
    },
    async (req) => {
      const a = actorOf(req);
      await audit(deps.db.kysely, auditEntry(a, 'ledger.verify', 'ledger', null));
      return verifyLedger(deps.db.kysely, deps.signer, { workspaceId: a.workspaceId });
    },
  );

  app.get(
    '/v1/ledger/checkpoints',
    {
      config: { permission: 'readLedger' },
      schema: {
        tags: ['consents'],
        summary: 'Signed ledger checkpoints',
        querystring: PageQuery,
        response: { 200: pageOf(CheckpointView) },
      },
    },
    async (req) => {
      const after = decodeCursor<{ id: string }>(req.query.cursor, ['id']);
      const rows = await checkpoints.list(actorOf(req).workspaceId, {
        after: after?.id,
        limit: req.query.limit + 1,
      });
      return toPage(
        rows,
        req.query.limit,
        (c) => c,
        (c) => ({ id: c.id }),
      );
    },
  );

  app.post(
    '/v1/ledger/checkpoints',
    {
      config: { permission: 'manageKeys' },
      schema: {
        tags: ['consents'],
        summary: 'Make a checkpoint now',
        description:
          'Signs the Merkle root of the records recorded since the last checkpoint, up to 30 seconds ago (younger records go into the next one). The server also does this in the background (CHECKPOINT_INTERVAL). 204 when there is nothing new.',
        response: { 201: CheckpointView, 204: Type.Null() },
      },
    },
    async (req, reply) => {
      const cp = await checkpoints.create(actorOf(req).workspaceId);
      return cp ? reply.code(201).send(cp) : reply.code(204).send(null);
    },
  );
}
