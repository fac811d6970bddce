import { insertRows } from '../../db/query-templates.ts';
import type { Executor } from '../../db/transaction.ts';
import { newId, nowIso } from '../../shared/ids.ts';

export interface AuditEntry {
  workspaceId: string;
  /** The API key id (or `system`, `person`) that acted. */
  actor: string;
  /** e.g. `brand.create`, `subject.read`, `consent.record`. */
  action: string;
  targetType: string;
  targetId: string | null;
  requestId: string | null;
}

/** The insert of an audit entry, to run with others (`runTogether`) in the caller's transaction. */
export function auditQuery(exec: Executor, entry: AuditEntry) {
  return insertRows(exec, 'audit_log', [
    {
      id: newId(),
      workspace_id: entry.workspaceId,
      actor: entry.actor,
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId,
      request_id: entry.requestId,
      at: nowIso(),
    },
  ]);
}

/** Appends to the audit log; writes pass their transaction so the entry commits with the change. */
export async function audit(exec: Executor, entry: AuditEntry): Promise<void> {
  await exec.executeQuery(auditQuery(exec, entry).compile());
}
