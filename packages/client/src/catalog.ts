import type {
  CatalogListParams,
  NoticeVersion,
  NoticeVersionDetail,
  NoticeVersionInput,
} from './catalog-types.ts';
import type { Http } from './http.ts';
import type { CreateOptions, Page, PageParams } from './types.ts';

export const newIdempotencyKey = () => crypto.randomUUID();
export const seg = (id: string) => encodeURIComponent(id);

/** The five calls every catalog kind has. */
export interface CatalogResource<View, Input, Patch> {
  create(input: Input, options?: CreateOptions): Promise<View>;
  list(params?: CatalogListParams): Promise<Page<View>>;
  /** Archived objects too. */
  get(id: string): Promise<View>;
  /** Only the fields sent change; `key` cannot change. */
  update(id: string, patch: Patch): Promise<View>;
  /** Archives it: it stays readable by id for the history that refers to it. */
  archive(id: string): Promise<View>;
}

export function catalogResource<View, Input, Patch>(
  http: Http,
  path: string,
): CatalogResource<View, Input, Patch> {
  const base = `/v1/${path}`;
  return {
    create: async (input, options = {}) =>
      (
        await http.call<View>('POST', base, {
          body: input,
          idempotencyKey: options.idempotencyKey ?? newIdempotencyKey(),
          retry: true,
        })
      ).body,
    list: async (params = {}) =>
      (await http.call<Page<View>>('GET', base, { query: { ...params }, retry: true })).body,
    get: async (id) => (await http.call<View>('GET', `${base}/${seg(id)}`, { retry: true })).body,
    // a patch sets fields: sending it twice changes nothing more
    update: async (id, patch) =>
      (await http.call<View>('PATCH', `${base}/${seg(id)}`, { body: patch, retry: true })).body,
    archive: async (id) => (await http.call<View>('DELETE', `${base}/${seg(id)}`, { retry: true })).body,
  };
}

/** A notice's versions: append-only, numbered per language. */
export interface NoticeVersions {
  createVersion(noticeId: string, input: NoticeVersionInput, options?: CreateOptions): Promise<NoticeVersion>;
  /** Newest first. */
  listVersions(noticeId: string, params?: PageParams): Promise<Page<NoticeVersion>>;
  getVersion(noticeId: string, versionId: string): Promise<NoticeVersionDetail>;
}

export function noticeVersions(http: Http): NoticeVersions {
  const base = (id: string) => `/v1/notices/${seg(id)}/versions`;
  return {
    createVersion: async (noticeId, input, options = {}) =>
      (
        await http.call<NoticeVersion>('POST', base(noticeId), {
          body: input,
          idempotencyKey: options.idempotencyKey ?? newIdempotencyKey(),
          retry: true,
        })
      ).body,
    listVersions: async (noticeId, params = {}) =>
      (await http.call<Page<NoticeVersion>>('GET', base(noticeId), { query: { ...params }, retry: true }))
        .body,
    getVersion: async (noticeId, versionId) =>
      (await http.call<NoticeVersionDetail>('GET', `${base(noticeId)}/${seg(versionId)}`, { retry: true }))
        .body,
  };
}
