import { AssentError } from '@assent/core';
import { type Static, type TProperties, Type } from '@sinclair/typebox';

export const PageQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Items per page (1-500).' }),
    cursor: Type.Optional(
      Type.String({ maxLength: 512, description: 'The `nextCursor` of the previous page.' }),
    ),
  },
  { additionalProperties: false },
);
export type PageQuery = Static<typeof PageQuery>;

/** The page parameters plus a route's own filters, in one closed object. */
export const pageQueryWith = <P extends TProperties>(props: P) =>
  Type.Object({ ...PageQuery.properties, ...props }, { additionalProperties: false });

export const pageOf = <T extends ReturnType<typeof Type.Object>>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

/** Cursors are opaque to clients: base64url JSON of the last item's sort key. */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<T extends Record<string, string | number>>(
  cursor: string | undefined,
  keys: (keyof T)[],
): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      value &&
      typeof value === 'object' &&
      keys.every((k) => ['string', 'number'].includes(typeof value[k]))
    )
      return value as T;
  } catch {
    // fall through
  }
  throw new AssentError('invalid_cursor', 'The cursor is not one this server issued; start again without it');
}

/** Builds a page from `limit + 1` fetched rows. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  map: (r: R) => T,
  position: (r: R) => Record<string, string | number>,
) {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { items: page.map(map), nextCursor: more ? encodeCursor(position(page[page.length - 1])) : null };
}
