import { insertRows } from '../../db/query-templates.ts';
import type { Executor } from '../../db/transaction.ts';
import { newId, nowIso } from '../../shared/ids.ts';

export const eventTypes = [
  'consent.updated',
  'subject.created',
  'subject.updated',
  'subject.merged',
  'catalog.created',
  'catalog.updated',
  'catalog.archived',
  'notice.version_created',
  'suppression.added',
  'suppression.removed',
  'ledger.checkpointed',
] as const;
export type EventType = (typeof eventTypes)[number];

/** The insert of an event, to run with others (`runTogether`) in the caller's transaction. */
export function emitQuery(exec: Executor, workspaceId: string, type: EventType, payload: object) {
  return insertRows(exec, 'outbox', [
    {
      id: newId(),
      workspace_id: workspaceId,
      type,
      payload: JSON.stringify(payload),
      created_at: nowIso(),
      delivered_at: null,
    },
  ]);
}

/** Writes an event in the caller's transaction; delivery (webhooks, feed) reads the outbox later. */
export async function emit(
  exec: Executor,
  workspaceId: string,
  type: EventType,
  payload: object,
): Promise<void> {
  await exec.executeQuery(emitQuery(exec, workspaceId, type, payload).compile());
}
