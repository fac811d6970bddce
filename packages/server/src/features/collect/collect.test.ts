import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockWaiter } from '../../../test/support/lock-waiter.ts';
import { testDatabases } from '../../../test/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { seedDemo } from '../../demo/seed-demo.ts';
import { purgeIdempotencyKeys } from '../../http/idempotency.ts';
import { createConsentService } from '../consents/consent-service.ts';

const ORIGIN = 'https://www.acme.example';

describe.each(testDatabases())('the Collect API on %s', (kind) => {
  let s: TestServer;
  let pk: string;
  let config: {
    languages: Record<string, { noticeVersionId: string; body: string; labels: { acceptAll: string } }>;
    revision: string;
  };
  beforeAll(async () => {
    s = await startTestServer(kind, { COLLECT_RATE_LIMIT: '20' });
    await seedDemo(s.deps.db, s.workspaceId);
    const props = (await s.call({ method: 'GET', url: '/v1/properties' })).json();
    pk = props.items.find((p: { key: string }) => p.key === 'acme-web').publishableKey;
    config = (await collect('GET', 'config')).json();
  });
  afterAll(() => s.close());

  let ip = 0;
  /** Each call comes from its own address unless one is given, so rate limits stay out of the way. */
  function collect(
    method: 'GET' | 'POST' | 'OPTIONS',
    path: string,
    opts: { payload?: unknown; headers?: Record<string, string>; ip?: string } = {},
  ) {
    return s.call({
      method,
      url: `/c/${pk}/${path}`,
      key: null,
      payload: opts.payload as object,
      remoteAddress: opts.ip ?? `198.51.100.${(ip++ % 250) + 1}`,
      headers: { origin: ORIGIN, ...opts.headers },
    });
  }
  const choice = (over: object = {}) => ({
    anonymousId: `anon-${Math.random().toString(36).slice(2, 12)}`,
    decisions: { analytics: true, marketing: false },
    noticeVersionId: config.languages.fr.noticeVersionId,
    language: 'fr',
    interaction: 'custom',
    gpc: false,
    ...over,
  });
  const recordsOf = async (anonymousId: string) =>
    s.deps.db.kysely
      .selectFrom('consent_records as r')
      .innerJoin('subject_identifiers as i', 'i.subject_id', 'r.subject_id')
      .selectAll('r')
      .where('i.type', '=', 'anonymous_id')
      .where('i.value', '=', anonymousId)
      .orderBy('r.seq')
      .execute();

  it('gives every property a publishable key and serves its banner configuration', async () => {
    expect(pk).toMatch(/^pk_[A-Za-z0-9]{24}$/);
    const res = await collect('GET', 'config');
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(res.headers['cache-control']).toMatch(/max-age=\d+/);
    const c = res.json();
    expect(Object.keys(c.languages).sort()).toEqual(['en', 'fr', 'id']);
    expect(c.languages.fr.labels.acceptAll).toBe('Tout accepter');
    expect(c.languages.id.purposes.analytics.name).toBe('Pengukuran audiens');
    expect(c.purposes.map((p: { key: string }) => p.key)).toEqual(['necessary', 'analytics', 'marketing']);
    expect(c.purposes[2]).toMatchObject({
      sale: true,
      consentMode: ['ad_storage', 'ad_user_data', 'ad_personalization'],
    });
    expect(c.purposes[1].vendors[0]).toMatchObject({ key: 'google-analytics', cookies: ['_ga', '_gid'] });
    expect(c.theme.primary).toBe('#0a58ca');
    expect(c.endpoint).toBe(`${s.deps.config.publicUrl}/c/${pk}`);
    const again = await collect('GET', 'config', {
      headers: { 'if-none-match': res.headers.etag as string },
    });
    expect(again.statusCode).toBe(304);
  });

  it('serves the banner script with the configuration in front, after the compile hint, cached a minute', async () => {
    const res = await collect('GET', 'banner.js', { headers: { origin: '' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    const [hint, config, code] = res.body.split('\n');
    expect(hint).toBe('//# allFunctionsCalledOnLoad');
    expect(config.startsWith(`window.assentConfig={"propertyKey":"${pk}"`)).toBe(true);
    expect(code.startsWith('"use strict";')).toBe(true);
    expect(res.headers['cache-control']).toBe('public, max-age=60');
    const again = await collect('GET', 'banner.js', {
      headers: { 'if-none-match': res.headers.etag as string },
    });
    expect(again.statusCode).toBe(304);
  });

  it('serves a property without a banner notice a script that still denies Consent Mode by default', async () => {
    const ws = await s.newWorkspace(`no-notice-${kind}`);
    const create = (url: string, payload: object) =>
      s.call({ method: 'POST', url, key: ws.adminKey, payload });
    expect((await create('/v1/brands', { key: 'bare', name: 'Bare' })).statusCode).toBe(201);
    const property = await create('/v1/properties', {
      key: 'bare-web',
      name: 'Bare web',
      brandKey: 'bare',
      type: 'web',
      domains: ['bare.example'],
      settings: { banner: { consentMode: { enabled: true } } },
    });
    expect(property.statusCode).toBe(201);
    const res = await s.call({
      method: 'GET',
      url: `/c/${property.json().publishableKey}/banner.js`,
      key: null,
    });
    expect(res.statusCode).toBe(200);
    const config = JSON.parse(res.body.split('\n')[1].slice('window.assentConfig='.length, -1));
    expect(config).toMatchObject({ languages: {}, consentMode: { enabled: true } });
  });

  it('sanitises the notice HTML it serves', async () => {
    const notices = (await s.call({ method: 'GET', url: '/v1/notices' })).json().items;
    const banner = notices.find((n: { key: string }) => n.key === 'acme-banner');
    const created = await s.call({
      method: 'POST',
      url: `/v1/notices/${banner.id}/versions`,
      payload: { language: 'en', content: '<p>Hi<script>alert(1)</script><img src=x onerror=alert(2)></p>' },
    });
    expect(created.statusCode).toBe(201);
    await new Promise((r) => setTimeout(r, 2100)); // past the config cache
    const en = (await collect('GET', 'config')).json().languages.en;
    expect(en.body).toBe('<p>Hialert(1)</p>');
    expect(en.noticeVersionId).toBe(created.json().id);
  });

  it('records a banner choice in the ledger with its evidence, refusing GPC-covered purposes', async () => {
    const body = choice({
      decisions: { necessary: true, analytics: true, marketing: true },
      gpc: true,
      interaction: 'accept_all',
    });
    const res = await collect('POST', 'consents', {
      payload: body,
      ip: '203.0.113.77',
      headers: { 'user-agent': 'Mozilla/5.0 (test)' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ recorded: 2, identified: false });
    const records = await recordsOf(body.anonymousId);
    expect(records.map((r) => [r.target_key, r.state, r.source, r.scope_type, r.scope_key])).toEqual([
      ['analytics', 'granted', 'banner', 'property', 'acme-web'],
      ['marketing', 'denied', 'banner', 'property', 'acme-web'],
    ]);
    expect(JSON.parse(records[0].evidence)).toMatchObject({
      noticeVersionId: config.languages.fr.noticeVersionId,
      language: 'fr',
      interaction: 'accept_all',
      gpc: true,
      ipAddress: '203.0.113.0',
      userAgent: 'Mozilla/5.0 (test)',
      uiVariant: 'default',
    });
    // the text shown is proved by its hash, inside the record's own hash
    const shown = await s.deps.db.kysely
      .selectFrom('notice_versions')
      .select('content_hash')
      .where('id', '=', config.languages.fr.noticeVersionId)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(records[0].evidence).noticeContentHash).toBe(shown.content_hash);
    // the same through the API: the version is looked up in the caller's workspace
    const viaApi = await s.call({
      method: 'POST',
      url: '/v1/consents',
      payload: {
        subject: { identifiers: [{ type: 'email', value: 'shown-notice@example.com' }] },
        decisions: [{ target: { type: 'purpose', key: 'analytics' }, state: 'granted' }],
        source: 'form',
        evidence: { noticeVersionId: config.languages.fr.noticeVersionId },
      },
    });
    expect(viaApi.statusCode).toBe(201);
    const stored = await s.deps.db.kysely
      .selectFrom('consent_records')
      .select('evidence')
      .where('id', '=', viaApi.json().records[0].id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(stored.evidence).noticeContentHash).toBe(shown.content_hash);
  });

  it('honours the Sec-GPC header as the GPC signal', async () => {
    const body = choice({ decisions: { analytics: true, marketing: true }, gpc: false });
    const res = await collect('POST', 'consents', { payload: body, headers: { 'sec-gpc': '1' } });
    expect(res.statusCode).toBe(201);
    const records = await recordsOf(body.anonymousId);
    expect(records.map((r) => `${r.target_key}:${r.state}`)).toEqual([
      'analytics:granted',
      'marketing:denied',
    ]);
    expect(JSON.parse(records[1].evidence).gpc).toBe(true);
  });

  it('creates one set of records for a retried choice with the same Idempotency-Key', async () => {
    const body = choice();
    const headers = { 'idempotency-key': 'choice-retry-1' };
    const first = await collect('POST', 'consents', { payload: body, headers });
    const second = await collect('POST', 'consents', { payload: body, headers });
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(await recordsOf(body.anonymousId)).toHaveLength(2);
    // the page never saw the answer and its queue sends the choice again on a visit months later
    // (the banner keeps a queued choice at most `choiceDays`, 395 days)
    const monthsAgo = new Date(Date.now() - 390 * 86_400_000).toISOString();
    await s.deps.db.kysely
      .updateTable('idempotency_keys')
      .set({ created_at: monthsAgo })
      .where('key', 'like', '%:choice-retry-1')
      .execute();
    const late = await collect('POST', 'consents', { payload: body, headers });
    expect(late.statusCode).toBe(201);
    expect(await recordsOf(body.anonymousId)).toHaveLength(2);
  });

  it("keeps the banner's key namespace to itself, and bounds a banner key's length", async () => {
    const apiWrite = (key: string) =>
      s.call({
        method: 'POST',
        url: '/v1/consents',
        headers: { 'idempotency-key': key },
        payload: {
          subject: { identifiers: [{ type: 'email', value: 'ns@example.com' }] },
          decisions: [{ target: { type: 'purpose', key: 'analytics' }, state: 'granted' }],
          source: 'form',
        },
      });
    // in any case: SQLite's LIKE, with which the purge tells the banner's keys, ignores it
    for (const key of ['collect:pk_x:some-choice', 'COLLECT:pk_x:some-choice']) {
      const api = await apiWrite(key);
      expect(api.statusCode).toBe(400);
      expect(api.json().detail).toMatch(/reserved for the banner/);
    }
    const long = await collect('POST', 'consents', {
      payload: choice(),
      headers: { 'idempotency-key': 'k'.repeat(181) },
    });
    expect(long.statusCode).toBe(400);
    expect(long.json().errors[0].detail).toMatch(/180/);
    const longest = await collect('POST', 'consents', {
      payload: choice(),
      headers: { 'idempotency-key': 'k'.repeat(180) },
    });
    expect(longest.statusCode).toBe(201);
  });

  it('purges the Idempotency-Keys that no caller keeps any more', async () => {
    const at = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    const row = (key: string, days: number) => ({
      workspace_id: s.workspaceId,
      key,
      request_hash: 'h',
      status_code: 201,
      response: '{}',
      created_at: at(days),
    });
    await s.deps.db.kysely
      .insertInto('idempotency_keys')
      .values([
        row('purge-api-old', 2),
        row('purge-api-kept', 0.5),
        row('collect:pk_x:purge-old', 401),
        row('collect:pk_x:purge-kept', 300),
      ])
      .execute();
    expect(await purgeIdempotencyKeys(s.deps.db)).toBeGreaterThanOrEqual(2);
    const left = await s.deps.db.kysely
      .selectFrom('idempotency_keys')
      .select('key')
      .where('key', 'like', '%purge-%')
      .orderBy('key')
      .execute();
    // the API's keys after a day, the banner's after 400 days
    expect(left.map((r) => r.key)).toEqual(['collect:pk_x:purge-kept', 'purge-api-kept']);
  });

  it('refuses bad choices with a problem and writes nothing', async () => {
    const before = Number(
      (
        await s.deps.db.kysely
          .selectFrom('consent_records')
          .select((e) => e.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    const cases: [object, number][] = [
      [choice({ decisions: { nope: true } }), 422],
      [choice({ decisions: { necessary: true } }), 422],
      [choice({ noticeVersionId: 'not-a-version' }), 422],
      [choice({ interaction: 'clicked' }), 400],
      [choice({ extra: 1 }), 400],
      [choice({ anonymousId: 'x' }), 400],
      [choice({ language: 'en' }), 422],
      [choice({ decidedAt: 'yesterday' }), 400],
    ];
    for (const [payload, status] of cases) {
      const res = await collect('POST', 'consents', { payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const after = Number(
      (
        await s.deps.db.kysely
          .selectFrom('consent_records')
          .select((e) => e.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect(after).toBe(before);
  });

  it('records what it can: unknown purposes skipped, a stale token ignored, the choice dated by the browser', async () => {
    const decidedAt = new Date(Date.now() - 3_600_000).toISOString();
    const body = choice({
      decisions: { analytics: true, gone: false },
      subjectToken: 'forged.token.value',
      decidedAt,
    });
    const res = await collect('POST', 'consents', { payload: body });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ recorded: 1, identified: false });
    const [r] = await recordsOf(body.anonymousId);
    expect(r.occurred_at).toBe(decidedAt);
    const future = choice({ decidedAt: new Date(Date.now() + 86_400_000).toISOString() });
    expect((await collect('POST', 'consents', { payload: future })).statusCode).toBe(201);
    const [f] = await recordsOf(future.anonymousId);
    expect(Date.parse(f.occurred_at)).toBeLessThanOrEqual(Date.now());
  });

  it("keeps browser idempotency keys apart from API clients' keys", async () => {
    const headers = { 'idempotency-key': 'shared-key-1' };
    expect((await collect('POST', 'consents', { payload: choice(), headers })).statusCode).toBe(201);
    const api = await s.call({
      method: 'POST',
      url: '/v1/consents',
      headers,
      payload: {
        subject: { identifiers: [{ type: 'email', value: 'idem@example.com' }] },
        decisions: [{ target: { type: 'channel', key: 'email' }, state: 'granted' }],
        source: 'api',
      },
    });
    expect(api.statusCode, api.body).toBe(201);
  });

  it('admits only the property domains (and their subdomains), answering preflights', async () => {
    const ok = await collect('OPTIONS', 'consents', {
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
    });
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(ok.headers['access-control-allow-headers']).toContain('idempotency-key');
    for (const origin of ['https://evil.example', 'https://acme.example.evil.com', 'null']) {
      const pre = await collect('OPTIONS', 'consents', { headers: { origin } });
      expect(pre.statusCode, origin).toBe(403);
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
      const post = await collect('POST', 'consents', { payload: choice(), headers: { origin } });
      expect(post.statusCode).toBe(403);
      expect(post.json().type).toBe('/problems/origin-not-allowed');
    }
    const noOrigin = await s.call({ method: 'POST', url: `/c/${pk}/consents`, key: null, payload: choice() });
    expect(noOrigin.statusCode).toBe(403);
    // a beacon from a page with Referrer-Policy: no-referrer says Origin: null; it is still counted
    const beacon = await collect('POST', 'events', {
      payload: { type: 'shown' },
      headers: { origin: 'null', 'content-type': 'text/plain;charset=UTF-8' },
    });
    expect(beacon.statusCode).toBe(204);
    expect(beacon.headers['access-control-allow-origin']).toBeUndefined();
    const unknown = await s.call({
      method: 'GET',
      url: '/c/pk_unknown/config',
      key: null,
      headers: { origin: ORIGIN },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['access-control-allow-origin']).toBe('*');
  });

  it('rate limits each address per property, and the server keeps serving others', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      statuses.push(
        (await collect('POST', 'events', { payload: { type: 'shown' }, ip: '192.0.2.50' })).statusCode,
      );
    }
    expect(statuses.slice(0, 20).every((c) => c === 204)).toBe(true);
    expect(statuses.slice(20).every((c) => c === 429)).toBe(true);
    const limited = await collect('POST', 'events', { payload: { type: 'shown' }, ip: '192.0.2.50' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(
      (await collect('POST', 'events', { payload: { type: 'shown' }, ip: '192.0.2.51' })).statusCode,
    ).toBe(204);
  });

  it('counts beacons sent as text/plain per day, under the configured variant', async () => {
    const today = async () => {
      const stats = await s.call({ method: 'GET', url: '/v1/banner-stats?property=acme-web' });
      expect(stats.statusCode).toBe(200);
      return stats.json().days.find((d: { variant: string }) => d.variant === 'default') ?? { counts: {} };
    };
    const before = (await today()).counts;
    for (const type of ['shown', 'accept_all', 'reject_all', 'reject_all', 'opened_details']) {
      const res = await collect('POST', 'events', {
        payload: JSON.stringify({ type, variant: 'made-up' }),
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
      });
      expect(res.statusCode).toBe(204);
    }
    expect(
      (
        await collect('POST', 'events', {
          payload: '{"type":"bogus"}',
          headers: { 'content-type': 'text/plain' },
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (await collect('POST', 'events', { payload: 'not json', headers: { 'content-type': 'text/plain' } }))
        .statusCode,
    ).toBe(400);
    const after = await today();
    const delta = (t: string) => (after.counts[t] ?? 0) - (before[t] ?? 0);
    expect(['shown', 'accept_all', 'reject_all', 'opened_details', 'custom'].map(delta)).toEqual([
      1, 1, 2, 1, 0,
    ]);
    expect(after.acceptRate).toBeCloseTo(
      (after.counts.accept_all ?? 0) /
        ((after.counts.accept_all ?? 0) + (after.counts.reject_all ?? 0) + (after.counts.custom ?? 0)),
    );
    const stats = (await s.call({ method: 'GET', url: '/v1/banner-stats?property=acme-web' })).json();
    expect(stats.days.some((d: { variant: string }) => d.variant === 'made-up')).toBe(false);
  });

  it('identify joins the visitor to the person: earlier choices follow, later ones are theirs', async () => {
    const anon = choice({ decisions: { analytics: true, marketing: false } });
    expect((await collect('POST', 'consents', { payload: anon })).statusCode).toBe(201);
    const token = (
      await s.call({
        method: 'POST',
        url: '/v1/subject-tokens',
        payload: {
          subject: { identifiers: [{ type: 'email', value: 'ana@example.com' }] },
          audience: 'banner',
        },
      })
    ).json();
    const res = await collect('POST', 'identify', {
      payload: { anonymousId: anon.anonymousId, subjectToken: token.token },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().decisions).toEqual({ analytics: true, marketing: false });
    const later = choice({
      anonymousId: 'another-browser-1',
      decisions: { analytics: false },
      subjectToken: token.token,
    });
    expect((await collect('POST', 'consents', { payload: later })).statusCode).toBe(201);
    const state = (await s.call({ method: 'GET', url: `/v1/subjects/${token.subjectId}/consents` })).json();
    expect(
      state.items.map((r: { target: { key: string }; state: string }) => `${r.target.key}:${r.state}`).sort(),
    ).toEqual(['analytics:denied', 'marketing:denied']);
    const history = (
      await s.call({ method: 'GET', url: `/v1/consent-records?subjectId=${token.subjectId}` })
    ).json();
    expect(history.items).toHaveLength(3);
    const again = await collect('POST', 'identify', {
      payload: { anonymousId: 'another-browser-1', subjectToken: token.token },
    });
    expect(again.json().decisions).toEqual({ analytics: false, marketing: false });
    const preferences = (
      await s.call({
        method: 'POST',
        url: '/v1/subject-tokens',
        payload: { subject: { id: token.subjectId }, audience: 'preferences' },
      })
    ).json().token;
    const wrongAudience = await collect('POST', 'identify', {
      payload: { anonymousId: anon.anonymousId, subjectToken: preferences },
    });
    expect(wrongAudience.statusCode).toBe(401);
  });

  it('identify leaves out choices older than the property keeps them, and dates the rest by the oldest', async () => {
    const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
    const subject = { identifiers: [{ type: 'email', value: 'old-choices@example.com' }] };
    for (const [key, state, at] of [
      ['analytics', 'granted', daysAgo(200)],
      ['marketing', 'denied', daysAgo(20)],
    ] as const) {
      const res = await s.call({
        method: 'POST',
        url: '/v1/consents',
        payload: {
          subject,
          source: 'import',
          occurredAt: at,
          decisions: [{ target: { type: 'purpose', key }, state }],
        },
      });
      expect(res.statusCode).toBe(201);
    }
    const token = (
      await s.call({ method: 'POST', url: '/v1/subject-tokens', payload: { subject, audience: 'banner' } })
    ).json().token;
    const res = await collect('POST', 'identify', {
      payload: { anonymousId: 'browser-of-old-choices', subjectToken: token },
    });
    // the demo property keeps a choice 182 days: the 200-day-old grant is not in force any more
    expect(res.json().decisions).toEqual({ marketing: false });
    expect(Math.abs(Date.parse(res.json().decidedAt) - Date.parse(daysAgo(20)))).toBeLessThan(60_000);
  });

  it('identify answers each purpose as the check does: a later broader grant leaves a site refusal standing', async () => {
    const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
    const subject = { identifiers: [{ type: 'email', value: 'precedence@example.com' }] };
    const consent = (scope: object, state: string, at: string) =>
      s.call({
        method: 'POST',
        url: '/v1/consents',
        payload: {
          subject,
          scope,
          source: 'import',
          occurredAt: at,
          decisions: [{ target: { type: 'purpose', key: 'analytics' }, state }],
        },
      });
    expect((await consent({ property: 'acme-web' }, 'denied', daysAgo(2))).statusCode).toBe(201);
    expect((await consent({}, 'granted', daysAgo(1))).statusCode).toBe(201);
    const token = (
      await s.call({ method: 'POST', url: '/v1/subject-tokens', payload: { subject, audience: 'banner' } })
    ).json().token;
    const res = await collect('POST', 'identify', {
      payload: { anonymousId: 'browser-of-precedence', subjectToken: token },
    });
    expect(res.json().decisions).toEqual({ analytics: false });
    // the same once the site refusal is older than the property keeps a choice: it still decides
    // (as for the check), so identify leaves analytics out rather than hand back the later grant
    const old = { identifiers: [{ type: 'email', value: 'precedence-old@example.com' }] };
    for (const [scope, state, at] of [
      [{ property: 'acme-web' }, 'denied', daysAgo(190)],
      [{}, 'granted', daysAgo(30)],
    ] as const) {
      const r = await s.call({
        method: 'POST',
        url: '/v1/consents',
        payload: {
          subject: old,
          scope,
          source: 'import',
          occurredAt: at,
          decisions: [{ target: { type: 'purpose', key: 'analytics' }, state }],
        },
      });
      expect(r.statusCode).toBe(201);
    }
    const oldToken = (
      await s.call({
        method: 'POST',
        url: '/v1/subject-tokens',
        payload: { subject: old, audience: 'banner' },
      })
    ).json().token;
    const stale = await collect('POST', 'identify', {
      payload: { anonymousId: 'browser-of-old-refusal', subjectToken: oldToken },
    });
    expect(stale.json().decisions).toEqual({});
    const check = await s.call({
      method: 'POST',
      url: '/v1/check',
      payload: {
        subject: { identifier: subject.identifiers[0] },
        purpose: 'analytics',
        property: 'acme-web',
      },
    });
    expect(check.json()).toMatchObject({ allowed: false, reason: 'denied' });
  });

  // PostgreSQL only: there writes run side by side (SQLite's are one after the other)
  if (kind === 'postgres')
    it('identify for a browser that another identify is merging waits, then answers 200', async () => {
      const anon = choice();
      expect((await collect('POST', 'consents', { payload: anon })).statusCode).toBe(201);
      const subject = { identifiers: [{ type: 'email', value: 'two-tabs@example.com' }] };
      const token = (
        await s.call({ method: 'POST', url: '/v1/subject-tokens', payload: { subject, audience: 'banner' } })
      ).json();
      const visitor = (await recordsOf(anon.anonymousId))[0].subject_id;
      const actor = { workspaceId: s.workspaceId, actor: 'test', requestId: 'two-tabs' };
      let second: ReturnType<typeof collect> | undefined;
      // the first tab's identify merges the visitor and has not committed yet
      await s.deps.db.kysely.transaction().execute(async (trx) => {
        await createConsentService(s.deps).mergeSubjects(trx, actor, token.subjectId, visitor);
        second = collect('POST', 'identify', {
          payload: { anonymousId: anon.anonymousId, subjectToken: token.token },
        });
        await lockWaiter(s.deps.db.kysely as never);
      });
      const res = await second!;
      expect(res.statusCode).toBe(200);
      expect(res.json().decisions).toEqual({ analytics: true, marketing: false });
    });

  it('validates banner settings when a property is written', async () => {
    const props = (await s.call({ method: 'GET', url: '/v1/properties' })).json();
    const id = props.items.find((p: { key: string }) => p.key === 'acme-web').id;
    const bad = await s.call({
      method: 'PATCH',
      url: `/v1/properties/${id}`,
      payload: { settings: { banner: { choiceDays: 500, cookieWall: { alternativeUrl: 'ftp://x' } } } },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors.map((e: { pointer: string }) => e.pointer)).toContain(
      '/settings/banner/choiceDays',
    );
  });

  it("shares a known person's choice across the properties of one consent group", async () => {
    const props = (await s.call({ method: 'GET', url: '/v1/properties' })).json().items;
    const web = props.find((p: { key: string }) => p.key === 'acme-web');
    expect(
      (await s.call({ method: 'PATCH', url: `/v1/properties/${web.id}`, payload: { consentGroup: 'acme' } }))
        .statusCode,
    ).toBe(200);
    const shop = await s.call({
      method: 'POST',
      url: '/v1/properties',
      payload: {
        key: 'acme-shop',
        name: 'shop.acme.example',
        brandKey: 'acme',
        type: 'web',
        domains: ['shop.acme.example'],
        consentGroup: 'acme',
      },
    });
    expect(shop.statusCode).toBe(201);
    const token = (
      await s.call({
        method: 'POST',
        url: '/v1/subject-tokens',
        payload: {
          subject: { identifiers: [{ type: 'email', value: 'bo@example.com' }] },
          audience: 'banner',
        },
      })
    ).json().token;
    const onWeb = choice({
      anonymousId: 'web-visitor-1',
      decisions: { analytics: true, marketing: true },
      subjectToken: token,
    });
    expect((await collect('POST', 'consents', { payload: onWeb })).statusCode).toBe(201);
    await new Promise((r) => setTimeout(r, 2100)); // past the property cache
    const res = await s.call({
      method: 'POST',
      url: `/c/${shop.json().publishableKey}/identify`,
      key: null,
      headers: { origin: 'https://shop.acme.example' },
      payload: { anonymousId: 'shop-visitor-1', subjectToken: token },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().decisions).toEqual({ analytics: true, marketing: true });
  });

  it('serves the bundles as versioned static files for self-hosting', async () => {
    const js = (await collect('GET', 'banner.js')).body;
    const unknown = await s.call({ method: 'GET', url: '/assets/assent-banner.000000000000.js', key: null });
    expect(unknown.statusCode).toBe(404);
    const manifest = (await s.call({ method: 'GET', url: '/assets/banner-manifest.json', key: null })).json();
    expect(manifest.gzipBytes.banner).toBeLessThanOrEqual(8 * 1024);
    const res = await s.call({ method: 'GET', url: manifest.banner, key: null });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toContain('immutable');
    // the same bundle, less the config line served after the hint
    const [hint, , ...code] = js.split('\n');
    expect([hint, ...code].join('\n')).toBe(res.body);
  });
});
