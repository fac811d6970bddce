import { createHash } from 'node:crypto';
import { withConfig } from '@assent/banner/build';
import { AssentError, rateLimitKey } from '@assent/core';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../../app-deps.ts';
import type { HttpApp } from '../../http/app.ts';
import { createBannerAssets } from './banner-assets.ts';
import { buildBannerConfig, type CollectProperty, findCollectProperty } from './banner-config.ts';
import {
  CollectConsent,
  CollectEvent,
  CollectIdempotencyHeaders,
  CollectIdentify,
  IdentifyAnswer,
  KeyParams,
  Recorded,
} from './collect-schemas.ts';
import { createCollectService } from './collect-service.ts';
import { isAllowedHost, originHost } from './origin.ts';
import { createRateLimiter } from './rate-limiter.ts';

declare module 'fastify' {
  interface FastifyRequest {
    collect: CollectProperty | null;
  }
}

const CACHE_MS = 2_000;
const PUBLISHABLE_KEY = /^pk_[A-Za-z0-9]{24}$/;

const CONFIG_MAX_AGE = 60;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The Collect API (`/c/{publishableKey}/...`): what the banner reads and sends. No API key: a
 * publishable key names the property, CORS admits only its domains, and each IP is rate limited
 * per property.
 */
export function registerCollectRoutes(app: HttpApp, deps: AppDeps) {
  const collect = createCollectService(deps);
  const assets = createBannerAssets();
  const writes = createRateLimiter({ perMinute: deps.config.collectRateLimit });
  const reads = createRateLimiter({ perMinute: deps.config.collectRateLimit * 10 });
  const properties = new Map<string, { at: number; value: Promise<CollectProperty | null> }>();
  const configs = new Map<string, { at: number; value: Promise<{ json: string; etag: string }> }>();

  const cached = <T>(
    map: Map<string, { at: number; value: Promise<T> }>,
    key: string,
    make: () => Promise<T>,
  ) => {
    const hit = map.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
    if (map.size > 10_000) map.clear();
    const value = make();
    map.set(key, { at: Date.now(), value });
    value.catch(() => map.delete(key));
    return value;
  };
  const propertyOf = (key: string) => cached(properties, key, () => findCollectProperty(deps.db.kysely, key));
  const configOf = (cp: CollectProperty) =>
    cached(configs, cp.publishableKey, async () => {
      const json = JSON.stringify(await buildBannerConfig(deps.db.kysely, cp, deps.config.publicUrl));
      return { json, etag: `"${createHash('sha256').update(json).digest('hex').slice(0, 32)}"` };
    });

  app.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
    scope.decorateRequest('collect', null);
    // beacons arrive as text/plain (sendBeacon with a string), which needs no CORS preflight
    scope.removeContentTypeParser('text/plain');
    scope.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(new AssentError('bad_request', 'The body is not valid JSON'), undefined);
      }
    });

    scope.addHook('onRequest', async (req: FastifyRequest<{ Params: { key?: string } }>, reply) => {
      const key = req.params.key;
      if (!key) return;
      // limited before any lookup, so made-up keys cost the database nothing either
      const limiter = req.method === 'POST' ? writes : reads;
      if (req.method !== 'OPTIONS' && !limiter.take(`${rateLimitKey(req.ip)}|${key}`)) {
        reply.header('retry-after', String(limiter.retryAfter()));
        throw new AssentError(
          'rate_limited',
          'Too many requests from this address for this property; retry later',
        );
      }
      const cp = PUBLISHABLE_KEY.test(key) ? await propertyOf(key) : null;
      if (!cp) {
        // readable by any page, so a site with a wrong or archived key can tell why nothing works
        reply.header('access-control-allow-origin', '*');
        throw new AssentError('not_found', 'No live property has this publishable key');
      }
      req.collect = cp;
      reply.header('vary', 'Origin');
      const origin = req.headers.origin || undefined;
      const host = originHost(origin);
      if (host && isAllowedHost(host, cp.property.domains)) {
        reply.header('access-control-allow-origin', origin);
        return;
      }
      // A beacon from a page whose Referrer-Policy is no-referrer (or same-origin) is sent with
      // Origin: null. Counts are no boundary worth losing them for: any client can claim an Origin.
      if (origin === 'null' && req.method === 'POST' && req.routeOptions.url === '/c/:key/events') return;
      // a script tag or a crawler sends no Origin, and neither does an app; every call from a web page does
      const readOnly = req.method === 'GET' || req.method === 'HEAD';
      if (origin === undefined && (readOnly || cp.property.type !== 'web')) return;
      throw new AssentError(
        'origin_not_allowed',
        `${origin ?? 'A request without an Origin'} may not call this property's Collect API`,
      );
    });

    scope.options('/c/:key/*', { schema: { hide: true } }, async (_req, reply) => {
      reply
        .header('access-control-allow-methods', 'GET, POST')
        .header('access-control-allow-headers', 'content-type, idempotency-key')
        .header('access-control-max-age', '600')
        .code(204)
        .send();
    });

    const tags = ['collect'];
    scope.get(
      '/c/:key/config',
      {
        schema: {
          tags,
          summary: "The banner's configuration",
          description:
            'Purposes with their vendors, texts per language (notice versions, sanitised), theme, Consent Mode and cookie-wall settings. Cacheable; answers 304 to a matching If-None-Match.',
          params: KeyParams,
        },
      },
      async (req, reply) => {
        const { json, etag } = await configOf(req.collect as CollectProperty);
        reply.header('etag', etag).header('cache-control', `public, max-age=${CONFIG_MAX_AGE}`);
        if (req.headers['if-none-match'] === etag) return reply.code(304).send();
        return reply.type('application/json; charset=utf-8').send(json);
      },
    );

    const script = (which: 'banner' | 'headless') => async (req: FastifyRequest, reply: FastifyReply) => {
      const cp = req.collect as CollectProperty;
      const [{ json, etag: configTag }, built] = await Promise.all([configOf(cp), assets()]);
      const etag = `"${createHash('sha256')
        .update(configTag + built.hashes[which])
        .digest('hex')
        .slice(0, 32)}"`;
      reply
        .header('etag', etag)
        .header('cache-control', `public, max-age=${CONFIG_MAX_AGE}`)
        .type('text/javascript; charset=utf-8');
      if (req.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.send(withConfig(built[which], json));
    };
    const scriptSchema = (summary: string) => ({
      schema: {
        tags,
        summary,
        description:
          "The bundle with the property's configuration in front. Cached a minute (ETag); with `?v=` set to the first 12 characters of the ETag, cached for a year.",
        params: KeyParams,
      },
    });
    scope.get(
      '/c/:key/banner.js',
      scriptSchema('The banner script, configured for this property'),
      script('banner'),
    );
    scope.get(
      '/c/:key/headless.js',
      scriptSchema('The headless script (no UI), configured for this property'),
      script('headless'),
    );

    scope.post(
      '/c/:key/consents',
      {
        schema: {
          tags,
          summary: 'Record the choice made in the banner',
          description:
            'Recorded in the ledger with source `banner`, scope the property, and evidence: the notice version and its language, the interaction, the GPC signal, the truncated IP and the user agent. Send an `Idempotency-Key` per choice.',
          params: KeyParams,
          headers: CollectIdempotencyHeaders,
          body: CollectConsent,
          response: { 201: Recorded },
        },
      },
      async (req, reply) => {
        const key = req.headers['idempotency-key'];
        // the browser's Sec-GPC header counts even when the page's script did not see the signal
        const gpc = req.body.gpc || req.headers['sec-gpc'] === '1';
        const out = await collect.recordChoice(
          req.collect as CollectProperty,
          { ...req.body, gpc },
          {
            requestId: req.id,
            ip: req.ip,
            userAgent: req.headers['user-agent'],
            idempotencyKey: typeof key === 'string' ? key : undefined,
          },
        );
        return reply.code(201).send(out.body);
      },
    );

    scope.post(
      '/c/:key/identify',
      {
        schema: {
          tags,
          summary: 'Tie this browser to a known person',
          description:
            "With a subject token (audience `banner`) from `POST /v1/subject-tokens`: the visitor's anonymous id joins the person (earlier anonymous choices follow), and the person's choices in the property's consent group are answered.",
          params: KeyParams,
          body: CollectIdentify,
          response: { 200: IdentifyAnswer },
        },
      },
      async (req) =>
        collect.identify(req.collect as CollectProperty, req.body.subjectToken, req.body.anonymousId, req.id),
    );

    scope.post(
      '/c/:key/events',
      {
        schema: {
          tags,
          summary: 'Count a banner beacon',
          description:
            'shown, accept_all, reject_all, custom, opened_details or dismissed; counted per property, variant and day. Accepts text/plain JSON (navigator.sendBeacon).',
          params: KeyParams,
          body: CollectEvent,
        },
      },
      async (req, reply) => {
        await collect.countEvent(req.collect as CollectProperty, req.body);
        return reply.code(204).send();
      },
    );

    scope.get(
      '/assets/banner-manifest.json',
      {
        schema: {
          tags,
          summary: 'Where the bare banner bundles are',
          description:
            'The versioned URLs of the banner and headless bundles without a configuration, for pages that set `window.assentConfig` themselves.',
        },
      },
      async () => {
        const built = await assets();
        return {
          banner: `/assets/assent-banner.${built.hashes.banner}.js`,
          headless: `/assets/assent-headless.${built.hashes.headless}.js`,
          gzipBytes: built.sizes,
        };
      },
    );

    scope.get('/assets/assent-:which.:hash.js', { schema: { hide: true } }, async (req, reply) => {
      const { which, hash } = req.params as { which: string; hash: string };
      const built = await assets();
      if ((which !== 'banner' && which !== 'headless') || built.hashes[which] !== hash) {
        throw new AssentError('not_found', 'No such asset');
      }
      return reply
        .header('cache-control', IMMUTABLE)
        .type('text/javascript; charset=utf-8')
        .send(built[which]);
    });
  });
}
