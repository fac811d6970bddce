import type { LegalBasis, PurposeCategory } from '@assent/core';
import type { Executor } from '../../db/transaction.ts';
import { ancestorsIn, createCatalogStore } from '../catalog/catalog-store.ts';

/** What a decision needs from one workspace's catalog (archived objects included: they are history). */
export interface CatalogSnapshot {
  topicParents: Map<string, string | null>;
  purposes: Map<string, { legalBasis: LegalBasis; category: PurposeCategory | null }>;
  vendors: Set<string>;
  brands: Set<string>;
  /** Property key -> its brand's key. */
  properties: Map<string, string | null>;
  loadedAt: number;
}

export interface CatalogCacheOptions {
  /** How long a snapshot serves before it is read again; edits show within this delay. */
  ttlMs?: number;
  /** A key missing from a snapshot at least this old triggers one re-read (a just-created object). */
  missRefreshMs?: number;
  now?: () => number;
}

/**
 * The catalog seen by /v1/check, kept in memory per workspace for a few seconds: the hot path
 * reads no catalog row. Concurrent misses share one load.
 */
export function createCatalogCache(db: Executor, opts: CatalogCacheOptions = {}) {
  const store = createCatalogStore(db);
  const ttlMs = opts.ttlMs ?? 5_000;
  const missRefreshMs = opts.missRefreshMs ?? 200;
  const now = opts.now ?? Date.now;
  const snapshots = new Map<string, CatalogSnapshot>();
  const loading = new Map<string, Promise<CatalogSnapshot>>();

  async function load(workspaceId: string): Promise<CatalogSnapshot> {
    const all = { includeArchived: true };
    const [topics, purposes, vendors, brands, properties] = await Promise.all([
      store.list(workspaceId, 'topic', all),
      store.list(workspaceId, 'purpose', all),
      store.list(workspaceId, 'vendor', all),
      store.list(workspaceId, 'brand', all),
      store.list(workspaceId, 'property', all),
    ]);
    const snap: CatalogSnapshot = {
      topicParents: new Map(topics.map((t) => [t.key, t.parentKey ?? null])),
      purposes: new Map(
        purposes.map((p) => [p.key, { legalBasis: p.legalBasis ?? 'consent', category: p.category ?? null }]),
      ),
      vendors: new Set(vendors.map((v) => v.key)),
      brands: new Set(brands.map((b) => b.key)),
      properties: new Map(properties.map((p) => [p.key, p.brandKey ?? null])),
      loadedAt: now(),
    };
    if (snapshots.size > 1_000) snapshots.clear();
    snapshots.set(workspaceId, snap);
    return snap;
  }

  function reload(workspaceId: string): Promise<CatalogSnapshot> {
    let p = loading.get(workspaceId);
    if (!p) {
      p = load(workspaceId).finally(() => loading.delete(workspaceId));
      loading.set(workspaceId, p);
    }
    return p;
  }

  return {
    /** The workspace's snapshot, read again when stale. */
    async snapshot(workspaceId: string): Promise<CatalogSnapshot> {
      const snap = snapshots.get(workspaceId);
      if (snap && now() - snap.loadedAt < ttlMs) return snap;
      return reload(workspaceId);
    },

    /** Called when a key is missing: a fresh read, unless the snapshot is brand new. */
    async refreshForMiss(workspaceId: string, snap: CatalogSnapshot): Promise<CatalogSnapshot> {
      if (now() - snap.loadedAt < missRefreshMs) return snap;
      return reload(workspaceId);
    },

    forget(workspaceId?: string) {
      if (workspaceId) snapshots.delete(workspaceId);
      else snapshots.clear();
    },
  };
}

export type CatalogCache = ReturnType<typeof createCatalogCache>;

/** A topic's ancestors, nearest first. */
export const topicAncestors = (snap: CatalogSnapshot, topicKey: string) =>
  ancestorsIn(snap.topicParents, topicKey);
