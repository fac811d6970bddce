import { AssentError } from '@assent/core';
import type { AppDeps } from '../../app-deps.ts';
import type { HttpApp } from '../../http/app.ts';
import { authOf } from '../../http/auth.ts';
import { createCatalogStore } from '../catalog/catalog-store.ts';
import { BannerStats, BannerStatsQuery } from './collect-schemas.ts';

const DAY_MS = 86_400_000;
const day = (t: number) => new Date(t).toISOString().slice(0, 10);

/** `GET /v1/banner-stats`: the banner's beacons per day and variant, with the share of choices that accepted all. */
export function registerBannerStatsRoutes(app: HttpApp, deps: AppDeps) {
  app.get(
    '/v1/banner-stats',
    {
      config: { permission: 'readCatalog' },
      schema: {
        tags: ['collect'],
        summary: "A property's banner counters per day and variant",
        description:
          'Counts of shown, accept_all, reject_all, custom, opened_details and dismissed. `acceptRate` is accept_all over all choices (accept_all + reject_all + custom); null on a day without choices.',
        querystring: BannerStatsQuery,
        response: { 200: BannerStats },
      },
    },
    async (req) => {
      const { workspaceId } = authOf(req);
      const to = req.query.to ?? day(Date.now());
      const from = req.query.from ?? day(Date.parse(to) - 29 * DAY_MS);
      if (from > to)
        throw new AssentError('unprocessable', '`from` is after `to`', [
          { pointer: '/from', detail: 'after to' },
        ]);
      const property = await createCatalogStore(deps.db.kysely).byKey(
        workspaceId,
        'property',
        req.query.property,
      );
      if (!property) throw new AssentError('not_found', `No property with key "${req.query.property}"`);
      const rows = await deps.db.kysely
        .selectFrom('banner_events')
        .select(['day', 'variant', 'type', 'count'])
        .where('workspace_id', '=', workspaceId)
        .where('property_id', '=', property.id)
        .where('day', '>=', from)
        .where('day', '<=', to)
        .orderBy('day')
        .orderBy('variant')
        .execute();
      const days = new Map<string, { day: string; variant: string; counts: Record<string, number> }>();
      for (const r of rows) {
        const k = `${r.day} ${r.variant}`;
        const d = days.get(k) ?? { day: r.day, variant: r.variant, counts: {} };
        d.counts[r.type] = Number(r.count);
        days.set(k, d);
      }
      return {
        property: property.key,
        from,
        to,
        days: [...days.values()].map((d) => {
          const c = (t: string) => d.counts[t] ?? 0;
          const choices = c('accept_all') + c('reject_all') + c('custom');
          return { ...d, acceptRate: choices ? c('accept_all') / choices : null };
        }),
      };
    },
  );
}
