import type { FastifyRequest } from 'fastify';
import type { AuditEntry } from '../features/audit/audit-log.ts';
import { authOf } from './auth.ts';

/** Who is acting, for services and the audit log. */
export interface Actor {
  workspaceId: string;
  actor: string;
  requestId: string;
}

export function actorOf(req: FastifyRequest): Actor {
  const auth = authOf(req);
  return { workspaceId: auth.workspaceId, actor: auth.keyId, requestId: req.id };
}

export const auditEntry = (
  a: Actor,
  action: string,
  targetType: string,
  targetId: string | null,
): AuditEntry => ({
  workspaceId: a.workspaceId,
  actor: a.actor,
  action,
  targetType,
  targetId,
  requestId: a.requestId,
});
