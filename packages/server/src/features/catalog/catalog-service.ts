import { AssentError, type FieldError } from '@assent/core';
import type { Static } from '@sinclair/typebox';
import type { Executor } from '../../db/transaction.ts';
import { type Actor, auditEntry } from '../../http/context.ts';
import { newId, newPublishableKey } from '../../shared/ids.ts';
import { audit } from '../audit/audit-log.ts';
import { bannerSettingsErrors } from '../collect/banner-settings.ts';
import { emit } from '../outbox/outbox.ts';
import {
  type CatalogData,
  type CatalogInput,
  type CatalogItem,
  type CatalogKind,
  type CatalogPatch,
  type catalogSchemas,
  defaultsOf,
} from './catalog-schemas.ts';
import {
  ancestorsIn,
  type CatalogStore,
  createCatalogStore,
  type ListOptions,
  toItem,
} from './catalog-store.ts';
import { createNoticeVersionStore } from './notice-version-store.ts';
import { dropNullSecrets, mergeSettings, redactSettings } from './property-secrets.ts';

/** An object as the API returns it: secrets redacted, a notice's latest versions attached. */
export type CatalogView<K extends CatalogKind = CatalogKind> = Static<(typeof catalogSchemas)[K]['view']>;

const unprocessable = (errors: FieldError[]) =>
  new AssentError('unprocessable', errors.map((e) => e.detail).join('; '), errors);

function split<K extends CatalogKind>(item: CatalogItem<K>): CatalogData[K] {
  const { id: _i, key: _k, name: _n, createdAt: _c, updatedAt: _u, archivedAt: _a, ...data } = item;
  return data as unknown as CatalogData[K];
}

async function publishableKeys(exec: Executor, workspaceId: string, ids: string[]) {
  if (!ids.length) return new Map<string, string>();
  const rows = await exec
    .selectFrom('property_keys')
    .select(['property_id', 'publishable_key'])
    .where('workspace_id', '=', workspaceId)
    .where('property_id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [r.property_id, r.publishable_key]));
}

/** The column that indexes a kind's main reference: a property's brand, a topic's parent. */
function parentKeyOf(kind: CatalogKind, data: object): string | null {
  if (kind === 'property') return (data as CatalogData['property']).brandKey;
  if (kind === 'topic') return (data as CatalogData['topic']).parentKey;
  return null;
}

function normalize(kind: CatalogKind, data: Record<string, unknown>) {
  if (kind === 'property') {
    const p = data as unknown as CatalogData['property'];
    p.domains = [...new Set(p.domains.map((d) => d.toLowerCase().replace(/\.$/, '')))];
    p.settings = dropNullSecrets(p.settings) as Record<string, unknown>;
    const errors = bannerSettingsErrors(p.settings.banner);
    if (errors.length) throw unprocessable(errors);
  }
}

/**
 * Checks the references a create or a change introduces: each must name a live object of the
 * workspace (references kept unchanged may point at archived ones), and topics form a tree.
 */
async function checkReferences(
  store: CatalogStore,
  workspaceId: string,
  kind: CatalogKind,
  selfKey: string,
  next: Record<string, unknown>,
  prev: Record<string, unknown> | null,
): Promise<void> {
  const errors: FieldError[] = [];
  const changed = (field: string) => !prev || JSON.stringify(prev[field]) !== JSON.stringify(next[field]);
  const live = async (field: string, refKind: CatalogKind, key: unknown) => {
    const pointer = `/${field}`;
    if (typeof key !== 'string') return null;
    const found = await store.byKey(workspaceId, refKind, key);
    if (!found) errors.push({ pointer, detail: `No ${refKind} with key "${key}" in this workspace` });
    else if (found.archivedAt) errors.push({ pointer, detail: `The ${refKind} "${key}" is archived` });
    return found && !found.archivedAt ? found : null;
  };

  if (kind === 'property' && changed('brandKey')) await live('brandKey', 'brand', next.brandKey);
  if (kind === 'vendor' && changed('purposes')) {
    const before = new Set((prev?.purposes as string[] | undefined) ?? []);
    const purposes = next.purposes as string[];
    const found = await store.byKeys(workspaceId, 'purpose', purposes);
    for (const [i, key] of purposes.entries()) {
      if (before.has(key)) continue;
      const p = found.get(key);
      const pointer = `/purposes/${i}`;
      if (!p) errors.push({ pointer, detail: `No purpose with key "${key}" in this workspace` });
      else if (p.archivedAt) errors.push({ pointer, detail: `The purpose "${key}" is archived` });
    }
  }
  if (kind === 'topic') {
    if (changed('brandKey')) await live('brandKey', 'brand', next.brandKey);
    const parent = next.parentKey;
    if (changed('parentKey') && typeof parent === 'string') {
      if (parent === selfKey) {
        errors.push({ pointer: '/parentKey', detail: 'A topic cannot be its own parent' });
      } else if (await live('parentKey', 'topic', parent)) {
        const topics = await store.list(workspaceId, 'topic', { includeArchived: true });
        const parents = new Map(topics.map((t) => [t.key, t.parentKey]));
        if (ancestorsIn(parents, parent).includes(selfKey)) {
          errors.push({
            pointer: '/parentKey',
            detail: `"${parent}" is below "${selfKey}": the topic tree would have a cycle`,
          });
        }
      }
    }
  }
  if (kind === 'notice' && (changed('brandKey') || changed('propertyKey'))) {
    if (changed('brandKey')) await live('brandKey', 'brand', next.brandKey);
    if (changed('propertyKey')) await live('propertyKey', 'property', next.propertyKey);
    if (!errors.length && typeof next.brandKey === 'string' && typeof next.propertyKey === 'string') {
      const property = await store.byKey(workspaceId, 'property', next.propertyKey);
      if (property && property.brandKey !== next.brandKey) {
        errors.push({
          pointer: '/propertyKey',
          detail: `The property "${property.key}" belongs to brand "${property.brandKey}", not "${next.brandKey}"`,
        });
      }
    }
  }
  if (errors.length) throw unprocessable(errors);
}

/**
 * Writes to the catalog. Each write takes the caller's transaction and commits its audit entry
 * and outbox event with it; reads return what the API shows.
 */
export function createCatalogService(db: Executor) {
  async function views<K extends CatalogKind>(
    exec: Executor,
    workspaceId: string,
    kind: K,
    items: CatalogItem<K>[],
  ): Promise<CatalogView<K>[]> {
    if (kind === 'property') {
      const keys = await publishableKeys(
        exec,
        workspaceId,
        items.map((i) => i.id),
      );
      return items.map((item) => {
        const { settings, secretsSet } = redactSettings((item as CatalogItem<'property'>).settings);
        const publishableKey = keys.get(item.id) ?? '';
        return { ...item, settings, secretsSet, publishableKey } as unknown as CatalogView<K>;
      });
    }
    if (kind === 'notice') {
      const latest = await createNoticeVersionStore(exec).latest(
        workspaceId,
        items.map((i) => i.id),
      );
      return items.map(
        (i) => ({ ...i, latestVersions: latest.get(i.id) ?? {} }) as unknown as CatalogView<K>,
      );
    }
    return items as unknown as CatalogView<K>[];
  }

  const viewOf = async <K extends CatalogKind>(
    exec: Executor,
    workspaceId: string,
    kind: K,
    item: CatalogItem<K>,
  ) => (await views(exec, workspaceId, kind, [item]))[0];

  async function existing<K extends CatalogKind>(exec: Executor, workspaceId: string, kind: K, id: string) {
    const item = await createCatalogStore(exec).byId(workspaceId, kind, id);
    if (!item) throw new AssentError('not_found', `The ${kind} was not found`);
    return item;
  }

  async function record(
    trx: Executor,
    actor: Actor,
    kind: CatalogKind,
    id: string,
    what: 'create' | 'update' | 'archive',
    object: unknown,
  ) {
    const type =
      what === 'create' ? 'catalog.created' : what === 'update' ? 'catalog.updated' : 'catalog.archived';
    await audit(trx, auditEntry(actor, `${kind}.${what}`, kind, id));
    await emit(trx, actor.workspaceId, type, { kind, id, object });
  }

  return {
    async get<K extends CatalogKind>(workspaceId: string, kind: K, id: string): Promise<CatalogView<K>> {
      return viewOf(db, workspaceId, kind, await existing(db, workspaceId, kind, id));
    },

    async list<K extends CatalogKind>(
      workspaceId: string,
      kind: K,
      opts: ListOptions,
    ): Promise<CatalogView<K>[]> {
      return views(db, workspaceId, kind, await createCatalogStore(db).list(workspaceId, kind, opts));
    },

    async create<K extends CatalogKind>(
      trx: Executor,
      actor: Actor,
      kind: K,
      input: CatalogInput<K>,
    ): Promise<CatalogView<K>> {
      const store = createCatalogStore(trx);
      const { key, name, ...fields } = input as { key: string; name: string } & Record<string, unknown>;
      if (await store.byKey(actor.workspaceId, kind, key)) throw duplicateKey(kind, key);
      const data: Record<string, unknown> = {
        ...structuredClone(defaultsOf(kind)),
        ...structuredClone(fields),
      };
      normalize(kind, data);
      await checkReferences(store, actor.workspaceId, kind, key, data, null);
      const row = await store.insert(trx, {
        id: newId(),
        workspaceId: actor.workspaceId,
        kind,
        key,
        name,
        data,
        parentKey: parentKeyOf(kind, data),
      });
      if (kind === 'property') {
        await trx
          .insertInto('property_keys')
          .values({
            publishable_key: newPublishableKey(),
            workspace_id: actor.workspaceId,
            property_id: row.id,
            created_at: row.created_at,
          })
          .execute();
      }
      const view = await viewOf(trx, actor.workspaceId, kind, toItem<K>(row));
      await record(trx, actor, kind, row.id, 'create', view);
      return view;
    },

    /** Changes only the fields sent. Archived objects are history: they cannot change. */
    async update<K extends CatalogKind>(
      trx: Executor,
      actor: Actor,
      kind: K,
      id: string,
      patch: CatalogPatch<K>,
    ): Promise<CatalogView<K>> {
      const store = createCatalogStore(trx);
      const item = await existing(trx, actor.workspaceId, kind, id);
      if (item.archivedAt) throw new AssentError('conflict', `The ${kind} "${item.key}" is archived`);
      const { name, ...fields } = patch as { name?: string } & Record<string, unknown>;
      const prev = split(item) as unknown as Record<string, unknown>;
      const next: Record<string, unknown> = { ...prev, ...structuredClone(fields) };
      if (kind === 'property' && fields.settings) {
        next.settings = mergeSettings(
          prev.settings as Record<string, unknown>,
          fields.settings as Record<string, unknown>,
        );
      }
      normalize(kind, next);
      await checkReferences(store, actor.workspaceId, kind, item.key, next, prev);
      const row = await store.update(trx, actor.workspaceId, kind, id, {
        name: name ?? item.name,
        data: next,
        parentKey: parentKeyOf(kind, next),
      });
      if (!row) throw new AssentError('not_found', `The ${kind} was not found`);
      const view = await viewOf(trx, actor.workspaceId, kind, toItem<K>(row));
      await record(trx, actor, kind, id, 'update', view);
      return view;
    },

    /** Archives once; the object stays readable by id for the history that refers to it. */
    async archive<K extends CatalogKind>(
      trx: Executor,
      actor: Actor,
      kind: K,
      id: string,
    ): Promise<CatalogView<K>> {
      const out = await createCatalogStore(trx).archive(trx, actor.workspaceId, kind, id);
      if (!out) throw new AssentError('not_found', `The ${kind} was not found`);
      const view = await viewOf(trx, actor.workspaceId, kind, toItem<K>(out.row));
      if (out.changed) await record(trx, actor, kind, id, 'archive', view);
      return view;
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;

export const duplicateKey = (kind: CatalogKind, key: string) =>
  new AssentError(
    'conflict',
    `A ${kind} with key "${key}" already exists in this workspace (archived ones included)`,
  );
