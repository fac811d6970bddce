import { defaultLabels } from '@assent/banner/labels';
import type { BannerConfig, BannerLabels, BannerPurpose, BannerTexts } from '@assent/core';
import type { Executor } from '../../db/transaction.ts';
import type { CatalogItem } from '../catalog/catalog-schemas.ts';
import { createCatalogStore, toItem } from '../catalog/catalog-store.ts';
import { readBannerSettings } from './banner-settings.ts';
import { sanitizeNoticeHtml } from './sanitize-html.ts';

/** The banner notice a property shows: the one its settings name, else its own, its brand's, the workspace's. */
export function pickBannerNotice(
  notices: CatalogItem<'notice'>[],
  cp: CollectProperty,
): CatalogItem<'notice'> | null {
  const banners = notices.filter((n) => n.kind === 'banner' && !n.archivedAt);
  const { property, settings } = cp;
  return (
    (settings.noticeKey && banners.find((n) => n.key === settings.noticeKey)) ||
    banners.find((n) => n.propertyKey === property.key) ||
    banners.find((n) => n.propertyKey === null && n.brandKey === property.brandKey) ||
    banners.find((n) => n.propertyKey === null && n.brandKey === null) ||
    null
  );
}

/** The property's banner notice and when its newest material version appeared (choices before it are stale). */
export async function bannerNoticeOf(db: Executor, cp: CollectProperty) {
  const notice = pickBannerNotice(await createCatalogStore(db).list(cp.workspaceId, 'notice', {}), cp);
  if (!notice) return null;
  const material = await db
    .selectFrom('notice_versions')
    .select(['id', 'created_at'])
    .where('workspace_id', '=', cp.workspaceId)
    .where('notice_id', '=', notice.id)
    .where('material', '=', 1)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return { notice, materialSince: material?.created_at ?? null };
}

/** A property found by its publishable key, with what its banner needs. */
export interface CollectProperty {
  workspaceId: string;
  publishableKey: string;
  property: CatalogItem<'property'>;
  settings: ReturnType<typeof readBannerSettings>;
}

/** The property behind a publishable key; null when unknown or archived. */
export async function findCollectProperty(
  db: Executor,
  publishableKey: string,
): Promise<CollectProperty | null> {
  const row = await db
    .selectFrom('property_keys as k')
    .innerJoin('catalog_objects as p', 'p.id', 'k.property_id')
    .selectAll('p')
    .where('k.publishable_key', '=', publishableKey)
    .where('p.archived_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  const property = toItem<'property'>(row);
  return {
    workspaceId: row.workspace_id,
    publishableKey,
    property,
    settings: readBannerSettings(property.settings),
  };
}

const labelsFor = (language: string, overrides: Record<string, Record<string, string>>): BannerLabels => {
  const base = (defaultLabels as Record<string, BannerLabels>)[language.split('-')[0]] ?? defaultLabels.en;
  const own = overrides[language] ?? {};
  const out = { ...base };
  for (const k of Object.keys(base) as (keyof BannerLabels)[])
    if (typeof own[k] === 'string') out[k] = own[k];
  return out;
};

/**
 * Builds the banner configuration of a property from the catalog: its banner notice's newest
 * version per language (sanitised), the live purposes with their vendors, the brand's theme.
 * `revision` is the newest material version's id: a stored choice made before it is asked again.
 */
export async function buildBannerConfig(
  db: Executor,
  cp: CollectProperty,
  publicUrl: string,
): Promise<BannerConfig> {
  const store = createCatalogStore(db);
  const { workspaceId, property, settings } = cp;
  const [purposes, vendors, notices, brand] = await Promise.all([
    store.list(workspaceId, 'purpose', {}),
    store.list(workspaceId, 'vendor', {}),
    store.list(workspaceId, 'notice', {}),
    store.byKey(workspaceId, 'brand', property.brandKey),
  ]);
  // Without a banner notice (or a version of it) the config has no texts: the banner then shows
  // nothing and records nothing, but still pushes the Consent Mode default, so that Google tags on
  // the page run in their denied mode until there is a banner.
  const notice = pickBannerNotice(notices, cp);
  const languages: Record<string, BannerTexts> = {};
  let revision = notice?.id ?? 'no-banner-notice';
  if (notice) {
    const versions = await db
      .selectFrom('notice_versions as v')
      .select(['v.id', 'v.language', 'v.version', 'v.content', 'v.material', 'v.created_at'])
      .where('v.workspace_id', '=', workspaceId)
      .where('v.notice_id', '=', notice.id)
      .orderBy('v.id')
      .execute();
    const newest = new Map<string, (typeof versions)[number]>();
    for (const v of versions) {
      const seen = newest.get(v.language);
      if (!seen || Number(v.version) > Number(seen.version)) newest.set(v.language, v);
      if (v.material) revision = v.id; // ids are time-ordered: the last one seen is the newest
    }
    for (const [language, v] of newest) {
      languages[language] = {
        noticeVersionId: v.id,
        body: sanitizeNoticeHtml(v.content),
        labels: labelsFor(language, settings.labels),
        purposes: Object.fromEntries(
          purposes.map((p) => {
            const t = p.translations?.[language] ?? p.translations?.[language.split('-')[0]] ?? {};
            return [p.key, { name: t.name ?? p.name, description: t.description ?? p.description }];
          }),
        ),
      };
    }
  }

  const bannerPurposes: BannerPurpose[] = purposes.map((p) => ({
    key: p.key,
    category: p.category,
    consentMode: p.consentMode,
    sale: p.sale,
    sharing: p.sharing,
    vendors: vendors
      .filter((v) => v.purposes.includes(p.key))
      .map((v) => ({ key: v.key, name: v.name, privacyPolicyUrl: v.privacyPolicyUrl, cookies: v.cookies })),
  }));
  const available = Object.keys(languages);
  const defaultLanguage =
    (settings.defaultLanguage && available.includes(settings.defaultLanguage) && settings.defaultLanguage) ||
    (available.includes('en') ? 'en' : (available[0] ?? 'en'));

  return {
    propertyKey: cp.publishableKey,
    endpoint: `${publicUrl}/c/${cp.publishableKey}`,
    consentGroup: property.consentGroup,
    defaultLanguage,
    languages,
    purposes: bannerPurposes,
    revision,
    choiceDays: settings.choiceDays,
    privacyPolicyUrl: settings.privacyPolicyUrl,
    theme: brand?.theme ?? {},
    consentMode: settings.consentMode,
    cookieWall: settings.cookieWall,
    variant: settings.variant,
  };
}
