import { createHash } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { NoticeVersionTable } from '../../db/schema.ts';
import type { Executor } from '../../db/transaction.ts';
import { newId, nowIso } from '../../shared/ids.ts';

export interface NoticeVersion {
  id: string;
  noticeId: string;
  version: number;
  language: string;
  content: string;
  /** sha256 (hex) of the content's UTF-8 bytes. */
  contentHash: string;
  material: boolean;
  createdAt: string;
}

export interface NoticeVersionSummary {
  id: string;
  version: number;
  contentHash: string;
  material: boolean;
}

type Row = Selectable<NoticeVersionTable>;

const toVersion = (r: Row): NoticeVersion => ({
  id: r.id,
  noticeId: r.notice_id,
  version: Number(r.version),
  language: r.language,
  content: r.content,
  contentHash: r.content_hash,
  material: Boolean(r.material),
  createdAt: r.created_at,
});

export const contentHash = (content: string) => createHash('sha256').update(content, 'utf8').digest('hex');

export function createNoticeVersionStore(db: Executor) {
  return {
    /**
     * Appends the next version for the notice and language. The caller's transaction must hold
     * the notice's row lock (see lockNotice), so concurrent writers number one after the other.
     */
    async create(
      exec: Executor,
      input: { workspaceId: string; noticeId: string; language: string; content: string; material: boolean },
    ): Promise<NoticeVersion> {
      const last = await exec
        .selectFrom('notice_versions')
        .select((eb) => eb.fn.max('version').as('v'))
        .where('workspace_id', '=', input.workspaceId)
        .where('notice_id', '=', input.noticeId)
        .where('language', '=', input.language)
        .executeTakeFirst();
      const row: Row = {
        id: newId(),
        workspace_id: input.workspaceId,
        notice_id: input.noticeId,
        version: Number(last?.v ?? 0) + 1,
        language: input.language,
        content: input.content,
        content_hash: contentHash(input.content),
        material: input.material ? 1 : 0,
        created_at: nowIso(),
      };
      await exec.insertInto('notice_versions').values(row).execute();
      return toVersion(row);
    },

    /** A no-op write on the notice's row: on PostgreSQL it takes the row lock until commit. */
    async lockNotice(exec: Executor, workspaceId: string, noticeId: string): Promise<void> {
      await exec
        .updateTable('catalog_objects')
        .set((eb) => ({ updated_at: eb.ref('updated_at') }))
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', noticeId)
        .execute();
    },

    async byId(workspaceId: string, id: string, noticeId?: string): Promise<NoticeVersion | null> {
      let q = db
        .selectFrom('notice_versions')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id);
      if (noticeId !== undefined) q = q.where('notice_id', '=', noticeId);
      const row = await q.executeTakeFirst();
      return row ? toVersion(row) : null;
    },

    /** Newest first. */
    async list(
      workspaceId: string,
      noticeId: string,
      opts: { before?: string; limit: number },
    ): Promise<NoticeVersion[]> {
      let q = db
        .selectFrom('notice_versions')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('notice_id', '=', noticeId);
      if (opts.before) q = q.where('id', '<', opts.before);
      return (await q.orderBy('id', 'desc').limit(opts.limit).execute()).map(toVersion);
    },

    /** The newest version per language of each notice. */
    async latest(
      workspaceId: string,
      noticeIds: readonly string[],
    ): Promise<Map<string, Record<string, NoticeVersionSummary>>> {
      const out = new Map<string, Record<string, NoticeVersionSummary>>();
      if (noticeIds.length === 0) return out;
      const rows = await db
        .selectFrom('notice_versions as v')
        .select(['v.id', 'v.notice_id', 'v.language', 'v.version', 'v.content_hash', 'v.material'])
        .where('v.workspace_id', '=', workspaceId)
        .where('v.notice_id', 'in', [...new Set(noticeIds)])
        .where('v.version', '=', (eb) =>
          eb
            .selectFrom('notice_versions as w')
            .select((e) => e.fn.max('w.version').as('m'))
            .whereRef('w.notice_id', '=', 'v.notice_id')
            .whereRef('w.language', '=', 'v.language'),
        )
        .orderBy('v.language')
        .execute();
      for (const r of rows) {
        const byLanguage = out.get(r.notice_id) ?? {};
        byLanguage[r.language] = {
          id: r.id,
          version: Number(r.version),
          contentHash: r.content_hash,
          material: Boolean(r.material),
        };
        out.set(r.notice_id, byLanguage);
      }
      return out;
    },
  };
}

export type NoticeVersionStore = ReturnType<typeof createNoticeVersionStore>;
