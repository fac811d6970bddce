import type { Page, PageParams } from './types.ts';

/**
 * Every item of a cursor-paginated list, page after page, following `nextCursor`:
 * `for await (const b of paginate(client.brands.list)) ...` or
 * `paginate((page) => client.consents.history(subjectId, page), { limit: 500 })`.
 */
export async function* paginate<T>(
  list: (page: PageParams) => Promise<Page<T>>,
  options: { limit?: number } = {},
): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await list(options.limit === undefined ? { cursor } : { cursor, limit: options.limit });
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}
