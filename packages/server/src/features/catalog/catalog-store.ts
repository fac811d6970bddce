import type { Selectable } from 'kysely';
import type { CatalogObjectTable } from '../../db/schema.ts';
import type { Executor } from '../../db/transaction.ts';
import { nowIso } from '../../shared/ids.ts';
import { parseJson } from '../../shared/json.ts';
import type { CatalogData, CatalogItem, CatalogKind, Purpose } from './catalog-schemas.ts';
import { createNoticeVersionStore, type NoticeVersion } from './notice-version-store.ts';

type Row = Selectable<CatalogObjectTable>;

export function toItem<K extends CatalogKind>(r: Row): CatalogItem<K> {
  return {
    ...parseJson<CatalogData[K]>(r.data, {} as CatalogData[K]),
    id: r.id,
    key: r.key,
    name: r.name,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    archivedAt: r.archived_at,
  };
}

export interface ListOptions {
  includeArchived?: boolean;
  /** Returns items whose id sorts after this one (ids are time-ordered). */
  after?: string;
  /** Without it, every matching item. */
  limit?: number;
}

export interface CatalogRowInput {
  id: string;
  workspaceId: string;
  kind: CatalogKind;
  key: string;
  name: string;
  data: object;
  parentKey: string | null;
}

/**
 * The catalog as the other features read it. Every read is scoped by workspace; items carry
 * their kind's fields flattened (a property's `settings` include its secrets: never send them out).
 */
export function createCatalogStore(db: Executor) {
  const scoped = (workspaceId: string, kind: CatalogKind) =>
    db
      .selectFrom('catalog_objects')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('kind', '=', kind);

  /** Archived items too: check `archivedAt` when only live ones will do. */
  async function byKey<K extends CatalogKind>(
    workspaceId: string,
    kind: K,
    key: string,
  ): Promise<CatalogItem<K> | null> {
    const row = await scoped(workspaceId, kind).where('key', '=', key).executeTakeFirst();
    return row ? toItem<K>(row) : null;
  }

  return {
    byKey,

    async byId<K extends CatalogKind>(
      workspaceId: string,
      kind: K,
      id: string,
    ): Promise<CatalogItem<K> | null> {
      const row = await scoped(workspaceId, kind).where('id', '=', id).executeTakeFirst();
      return row ? toItem<K>(row) : null;
    },

    /** Items of several keys at once, archived or not, by key. */
    async byKeys<K extends CatalogKind>(
      workspaceId: string,
      kind: K,
      keys: readonly string[],
    ): Promise<Map<string, CatalogItem<K>>> {
      if (keys.length === 0) return new Map();
      const rows = await scoped(workspaceId, kind)
        .where('key', 'in', [...new Set(keys)])
        .execute();
      return new Map(rows.map((r) => [r.key, toItem<K>(r)]));
    },

    /** In creation order; archived items only with `includeArchived`. */
    async list<K extends CatalogKind>(
      workspaceId: string,
      kind: K,
      opts: ListOptions = {},
    ): Promise<CatalogItem<K>[]> {
      let q = scoped(workspaceId, kind);
      if (!opts.includeArchived) q = q.where('archived_at', 'is', null);
      if (opts.after) q = q.where('id', '>', opts.after);
      q = q.orderBy('id');
      if (opts.limit !== undefined) q = q.limit(opts.limit);
      return (await q.execute()).map((r) => toItem<K>(r));
    },

    async purpose(workspaceId: string, key: string): Promise<Purpose | null> {
      return byKey(workspaceId, 'purpose', key);
    },

    /**
     * The keys of a topic's ancestors, nearest first (archived ones included: the tree is history).
     * An unknown topic has none.
     */
    async topicAncestors(workspaceId: string, topicKey: string): Promise<string[]> {
      const rows = await db
        .selectFrom('catalog_objects')
        .select(['key', 'parent_key'])
        .where('workspace_id', '=', workspaceId)
        .where('kind', '=', 'topic')
        .execute();
      return ancestorsIn(new Map(rows.map((r) => [r.key, r.parent_key])), topicKey);
    },

    /** One notice version of the workspace, e.g. to check the evidence of a consent. */
    async noticeVersion(workspaceId: string, versionId: string): Promise<NoticeVersion | null> {
      return createNoticeVersionStore(db).byId(workspaceId, versionId);
    },

    async insert(exec: Executor, input: CatalogRowInput): Promise<Row> {
      const now = nowIso();
      const row: Row = {
        id: input.id,
        workspace_id: input.workspaceId,
        kind: input.kind,
        key: input.key,
        name: input.name,
        data: JSON.stringify(input.data),
        parent_key: input.parentKey,
        created_at: now,
        updated_at: now,
        archived_at: null,
      };
      await exec.insertInto('catalog_objects').values(row).execute();
      return row;
    },

    async update(
      exec: Executor,
      workspaceId: string,
      kind: CatalogKind,
      id: string,
      change: { name: string; data: object; parentKey: string | null },
    ): Promise<Row | undefined> {
      await exec
        .updateTable('catalog_objects')
        .set({
          name: change.name,
          data: JSON.stringify(change.data),
          parent_key: change.parentKey,
          updated_at: nowIso(),
        })
        .where('workspace_id', '=', workspaceId)
        .where('kind', '=', kind)
        .where('id', '=', id)
        .execute();
      return exec
        .selectFrom('catalog_objects')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('kind', '=', kind)
        .where('id', '=', id)
        .executeTakeFirst();
    },

    /** Sets archivedAt once; archiving an archived item changes nothing. */
    async archive(
      exec: Executor,
      workspaceId: string,
      kind: CatalogKind,
      id: string,
    ): Promise<{ row: Row; changed: boolean } | null> {
      const now = nowIso();
      const res = await exec
        .updateTable('catalog_objects')
        .set({ archived_at: now, updated_at: now })
        .where('workspace_id', '=', workspaceId)
        .where('kind', '=', kind)
        .where('id', '=', id)
        .where('archived_at', 'is', null)
        .executeTakeFirst();
      const row = await exec
        .selectFrom('catalog_objects')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('kind', '=', kind)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? { row, changed: Number(res.numUpdatedRows) > 0 } : null;
    },
  };
}

export type CatalogStore = ReturnType<typeof createCatalogStore>;

/** Walks parent links, nearest first; stops at a missing parent or a loop. */
export function ancestorsIn(parents: Map<string, string | null>, key: string): string[] {
  const out: string[] = [];
  const seen = new Set([key]);
  let next = parents.get(key) ?? null;
  while (next !== null && !seen.has(next)) {
    out.push(next);
    seen.add(next);
    next = parents.get(next) ?? null;
  }
  return out;
}
