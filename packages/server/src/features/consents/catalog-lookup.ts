import { AssentError, type FieldError } from '@assent/core';
import type { Executor } from '../../db/transaction.ts';
import { parseJson } from '../../shared/json.ts';

export type CatalogKind = 'purpose' | 'vendor' | 'topic' | 'brand' | 'property';

export interface WantedObject {
  kind: CatalogKind;
  key: string;
  /** JSON pointer of the request field that names it, for the 422. */
  pointer: string;
}

/** Active catalog objects (`kind:key` -> data), and when they were read. */
interface Known {
  readAt: number;
  objects: Map<string, Record<string, unknown>>;
}

const MAX_WORKSPACES = 1_000;

/**
 * The catalog objects a ledger write names, kept in memory for `ttlMs` (5 s) per workspace: a
 * write whose keys were all seen recently reads no catalog row. Anything not seen (a new key,
 * a typo) is read from the database inside the write's transaction, so a just-created object
 * is found at once; an object archived or edited less than `ttlMs` ago may still be used as it was.
 */
export function createCatalogLookup({ ttlMs = 5_000, now = Date.now } = {}) {
  const known = new Map<string, Known>();

  async function read(trx: Executor, workspaceId: string, keys: string[]) {
    const rows = await trx
      .selectFrom('catalog_objects')
      .select(['kind', 'key', 'data'])
      .where('workspace_id', '=', workspaceId)
      .where('key', 'in', keys)
      .where('archived_at', 'is', null)
      .execute();
    return rows.map((r) => [`${r.kind}:${r.key}`, parseJson<Record<string, unknown>>(r.data, {})] as const);
  }

  /** The wanted objects by `kind:key`; unknown or archived keys are a 422 naming each field. */
  return async function lookup(
    trx: Executor,
    workspaceId: string,
    wanted: WantedObject[],
  ): Promise<Map<string, Record<string, unknown>>> {
    if (!wanted.length) return new Map();
    let k = known.get(workspaceId);
    if (!k || now() - k.readAt >= ttlMs) {
      if (known.size >= MAX_WORKSPACES) known.clear();
      k = { readAt: now(), objects: new Map() };
      known.set(workspaceId, k);
    }
    const objects = k.objects;
    const missing = [...new Set(wanted.filter((w) => !objects.has(`${w.kind}:${w.key}`)).map((w) => w.key))];
    if (missing.length) for (const [id, data] of await read(trx, workspaceId, missing)) objects.set(id, data);
    const errors: FieldError[] = wanted
      .filter((w) => !objects.has(`${w.kind}:${w.key}`))
      .map((w) => ({ pointer: w.pointer, detail: `No ${w.kind} with key "${w.key}" in this workspace` }));
    if (errors.length) throw new AssentError('unprocessable', errors.map((e) => e.detail).join('; '), errors);
    return objects;
  };
}
