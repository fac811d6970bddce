import type { Executor } from '../../db/transaction.ts';
import { newId, nowIso } from '../../shared/ids.ts';

export interface Workspace {
  id: string;
  key: string;
  name: string;
  createdAt: string;
}

const toWorkspace = (r: { id: string; key: string; name: string; created_at: string }): Workspace => ({
  id: r.id,
  key: r.key,
  name: r.name,
  createdAt: r.created_at,
});

export function createWorkspaceStore(db: Executor) {
  return {
    async create(exec: Executor, input: { key: string; name: string }): Promise<Workspace> {
      const row = { id: newId(), key: input.key, name: input.name, settings: '{}', created_at: nowIso() };
      await exec.insertInto('workspaces').values(row).execute();
      return toWorkspace(row);
    },
    async byId(id: string): Promise<Workspace | null> {
      const row = await db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toWorkspace(row) : null;
    },
    async byKey(key: string): Promise<Workspace | null> {
      const row = await db.selectFrom('workspaces').selectAll().where('key', '=', key).executeTakeFirst();
      return row ? toWorkspace(row) : null;
    },
    async list(opts: { after?: string; limit: number }): Promise<Workspace[]> {
      let q = db.selectFrom('workspaces').selectAll();
      if (opts.after) q = q.where('id', '>', opts.after);
      return (await q.orderBy('id').limit(opts.limit).execute()).map(toWorkspace);
    },
  };
}

export type WorkspaceStore = ReturnType<typeof createWorkspaceStore>;
