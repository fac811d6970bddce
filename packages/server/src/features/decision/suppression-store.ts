import { channels } from '@assent/core';
import type { Selectable } from 'kysely';
import type { SuppressionTable } from '../../db/schema.ts';
import type { Executor } from '../../db/transaction.ts';
import { newId, nowIso } from '../../shared/ids.ts';

export interface Suppression {
  id: string;
  channel: string;
  identifierHash: string;
  reason: string;
  createdAt: string;
}

const toSuppression = (r: Selectable<SuppressionTable>): Suppression => ({
  id: r.id,
  channel: r.channel,
  identifierHash: r.identifier_hash,
  reason: r.reason,
  createdAt: r.created_at,
});

/** Suppressed identifiers, kept only as hashes; every query is scoped to one workspace. */
export function createSuppressionStore(db: Executor) {
  const scoped = (exec: Executor, workspaceId: string) =>
    exec.selectFrom('suppressions').selectAll().where('workspace_id', '=', workspaceId);

  return {
    async find(workspaceId: string, channel: string, hash: string, exec: Executor = db) {
      const row = await scoped(exec, workspaceId)
        .where('channel', '=', channel)
        .where('identifier_hash', '=', hash)
        .executeTakeFirst();
      return row ? toSuppression(row) : null;
    },

    async insert(exec: Executor, workspaceId: string, input: Omit<Suppression, 'id' | 'createdAt'>) {
      const row = {
        id: newId(),
        workspace_id: workspaceId,
        channel: input.channel,
        identifier_hash: input.identifierHash,
        reason: input.reason,
        created_at: nowIso(),
      };
      await exec.insertInto('suppressions').values(row).execute();
      return toSuppression(row);
    },

    async byId(workspaceId: string, id: string, exec: Executor = db) {
      const row = await scoped(exec, workspaceId).where('id', '=', id).executeTakeFirst();
      return row ? toSuppression(row) : null;
    },

    async remove(exec: Executor, workspaceId: string, id: string): Promise<Suppression | null> {
      const found = await this.byId(workspaceId, id, exec);
      if (!found) return null;
      await exec
        .deleteFrom('suppressions')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .execute();
      return found;
    },

    async list(workspaceId: string, opts: { channel?: string; after?: string; limit: number }) {
      let q = scoped(db, workspaceId);
      if (opts.channel) q = q.where('channel', '=', opts.channel);
      if (opts.after) q = q.where('id', '>', opts.after);
      return (await q.orderBy('id').limit(opts.limit).execute()).map(toSuppression);
    },

    async byHash(workspaceId: string, hash: string, channel?: string) {
      // naming the channels lets the (workspace, channel, hash) index serve a lookup on every channel
      const q = scoped(db, workspaceId)
        .where('channel', 'in', channel ? [channel] : [...channels])
        .where('identifier_hash', '=', hash);
      return (await q.orderBy('id').execute()).map(toSuppression);
    },
  };
}

export type SuppressionStore = ReturnType<typeof createSuppressionStore>;
