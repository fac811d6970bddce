import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../test/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../test/support/test-server.ts';

describe.each(testDatabases())('catalog on %s', (kind) => {
  let s: TestServer;
  let key: string;
  const post = (url: string, payload: object, k = key, headers: Record<string, string> = {}) =>
    s.call({ method: 'POST', url, payload, key: k, headers });
  const get = (url: string, k = key) => s.call({ method: 'GET', url, key: k });
  const patch = (url: string, payload: object, k = key) => s.call({ method: 'PATCH', url, payload, key: k });
  const del = (url: string, k = key) => s.call({ method: 'DELETE', url, key: k });
  const created = async (url: string, payload: object) => {
    const res = await post(url, payload);
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const count = async (table: 'catalog_objects' | 'notice_versions' | 'outbox' | 'audit_log') => {
    const r = await s.deps.db.kysely
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  };

  beforeAll(async () => {
    s = await startTestServer(kind);
    key = (await s.newWorkspace('catalog')).adminKey;
    await created('/v1/brands', { key: 'acme', name: 'Acme' });
  });
  afterAll(() => s.close());

  it('creates, reads, changes, lists and archives a brand', async () => {
    const b = await created('/v1/brands', {
      key: 'globex',
      name: 'Globex',
      contact: { email: 'privacy@globex.example', phone: '+33 1 23 45 67 89' },
      theme: { primary: '#ff0000' },
    });
    expect(b).toMatchObject({
      key: 'globex',
      name: 'Globex',
      contact: { email: 'privacy@globex.example' },
      theme: { primary: '#ff0000' },
      archivedAt: null,
    });
    expect(b.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.createdAt).toBe(b.updatedAt);
    expect((await get(`/v1/brands/${b.id}`)).json()).toEqual(b);

    const changed = await patch(`/v1/brands/${b.id}`, { name: 'Globex Corp', theme: { primary: '#00ff00' } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({
      key: 'globex',
      name: 'Globex Corp',
      theme: { primary: '#00ff00' },
    });
    expect(changed.json().contact).toEqual(b.contact);
    const rekey = await patch(`/v1/brands/${b.id}`, { key: 'other' });
    expect(rekey.statusCode).toBe(400);

    const archived = await del(`/v1/brands/${b.id}`);
    expect(archived.statusCode).toBe(200);
    expect(archived.json().archivedAt).toEqual(expect.any(String));
    expect((await get(`/v1/brands/${b.id}`)).json().archivedAt).toBe(archived.json().archivedAt);
    const again = await del(`/v1/brands/${b.id}`);
    expect(again.json().archivedAt).toBe(archived.json().archivedAt);
    expect((await patch(`/v1/brands/${b.id}`, { name: 'x' })).statusCode).toBe(409);

    const live = (await get('/v1/brands')).json().items.map((i: { key: string }) => i.key);
    expect(live).toContain('acme');
    expect(live).not.toContain('globex');
    const all = (await get('/v1/brands?includeArchived=true'))
      .json()
      .items.map((i: { key: string }) => i.key);
    expect(all).toContain('globex');
    expect((await get('/v1/brands/00000000-0000-7000-8000-000000000000')).statusCode).toBe(404);
  });

  it('refuses a duplicate key with 409, archived ones included', async () => {
    const dup = await post('/v1/brands', { key: 'acme', name: 'Again' });
    expect(dup.statusCode).toBe(409);
    expect(dup.headers['content-type']).toContain('application/problem+json');
    expect((await post('/v1/brands', { key: 'globex', name: 'Archived one' })).statusCode).toBe(409);
    // keys are unique per kind, not across kinds
    expect(
      (await post('/v1/topics', { key: 'acme', name: 'Acme news', channels: ['email'] })).statusCode,
    ).toBe(201);
  });

  it('answers a text PostgreSQL cannot store with 422, not 500', async () => {
    const res = await post('/v1/brands', { key: 'nul-name', name: 'Acme\u0000 Ltd' });
    // SQLite keeps the character; PostgreSQL refuses it and the statement writes nothing
    expect(res.statusCode).toBe(kind === 'postgres' ? 422 : 201);
    if (kind === 'postgres') {
      expect(res.json()).toMatchObject({ code: 'unprocessable', detail: expect.stringContaining('U+0000') });
      expect((await get('/v1/brands')).json().items.map((i: { key: string }) => i.key)).not.toContain(
        'nul-name',
      );
    }
  });

  it('checks that a property names a live brand, and indexes it', async () => {
    const none = await post('/v1/properties', { key: 'p1', name: 'P', brandKey: 'nope', type: 'web' });
    expect(none.statusCode).toBe(422);
    expect(none.json().errors).toEqual([{ pointer: '/brandKey', detail: expect.stringContaining('nope') }]);
    expect(
      (await post('/v1/properties', { key: 'p1', name: 'P', brandKey: 'globex', type: 'web' })).statusCode,
    ).toBe(422);
    const p = await created('/v1/properties', {
      key: 'acme-web',
      name: 'Acme web',
      brandKey: 'acme',
      type: 'web',
      domains: ['Acme.Example', 'localhost'],
    });
    expect(p).toMatchObject({
      domains: ['acme.example', 'localhost'],
      consentGroup: null,
      settings: {},
      secretsSet: [],
    });
    const row = await s.deps.db.kysely
      .selectFrom('catalog_objects')
      .select('parent_key')
      .where('id', '=', p.id)
      .executeTakeFirstOrThrow();
    expect(row.parent_key).toBe('acme');
    expect((await patch(`/v1/properties/${p.id}`, { brandKey: 'nope' })).statusCode).toBe(422);
    expect((await patch(`/v1/properties/${p.id}`, { type: 'kiosk' })).statusCode).toBe(400);
  });

  it('never returns write-only settings', async () => {
    const p = await created('/v1/properties', {
      key: 'acme-sms',
      name: 'Acme SMS',
      brandKey: 'acme',
      type: 'sms',
      settings: {
        provider: 'twilio',
        authToken: 'tok-SECRET-1',
        numbers: ['+33600000000'],
        webhook: { signingSecret: 'sig-SECRET-2', url: 'https://hooks.example/sms' },
      },
    });
    expect(p.settings).toEqual({
      provider: 'twilio',
      numbers: ['+33600000000'],
      webhook: { url: 'https://hooks.example/sms' },
    });
    expect(p.secretsSet).toEqual(['authToken', 'webhook.signingSecret']);
    for (const res of [await get(`/v1/properties/${p.id}`), await get('/v1/properties')]) {
      expect(res.body).not.toContain('SECRET');
      expect(res.body).toContain('authToken');
    }
    const stored = await s.deps.db.kysely
      .selectFrom('catalog_objects')
      .select('data')
      .where('id', '=', p.id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(stored.data).settings.authToken).toBe('tok-SECRET-1');

    // a client that never saw the secrets keeps them by sending the settings it saw
    const kept = await patch(`/v1/properties/${p.id}`, { settings: { ...p.settings, provider: 'generic' } });
    expect(kept.json().secretsSet).toEqual(['authToken', 'webhook.signingSecret']);
    expect(kept.body).not.toContain('SECRET');
    const removed = await patch(`/v1/properties/${p.id}`, { settings: { authToken: null } });
    expect(removed.json().secretsSet).toEqual([]);
    expect(removed.json().settings).toEqual({});
    const outbox = await s.deps.db.kysely.selectFrom('outbox').select('payload').execute();
    expect(outbox.some((o) => o.payload.includes('SECRET'))).toBe(false);
  });

  it('stores purposes with their defaults and typed fields', async () => {
    const p = await created('/v1/purposes', { key: 'analytics', name: 'Analytics', category: 'analytics' });
    expect(p).toMatchObject({
      description: '',
      legalBasis: 'consent',
      category: 'analytics',
      consentMode: [],
      tcfPurposes: [],
      expiresAfterDays: null,
      sale: false,
      sharing: false,
    });
    const changed = await patch(`/v1/purposes/${p.id}`, {
      consentMode: ['analytics_storage'],
      tcfPurposes: [8, 9],
      expiresAfterDays: 395,
    });
    expect(changed.json()).toMatchObject({
      consentMode: ['analytics_storage'],
      expiresAfterDays: 395,
      category: 'analytics',
    });
    expect((await patch(`/v1/purposes/${p.id}`, { tcfPurposes: [12] })).statusCode).toBe(400);
    expect((await patch(`/v1/purposes/${p.id}`, { consentMode: ['cookies'] })).statusCode).toBe(400);
    expect((await post('/v1/purposes', { key: 'x', name: 'X' })).statusCode).toBe(400);
    await created('/v1/purposes', {
      key: 'ads',
      name: 'Ads',
      category: 'marketing',
      consentMode: ['ad_storage'],
      sale: true,
    });
  });

  it('checks that a vendor names existing purposes', async () => {
    const bad = await post('/v1/vendors', { key: 'ga', name: 'GA', purposes: ['analytics', 'nope'] });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors[0].pointer).toBe('/purposes/1');
    const v = await created('/v1/vendors', {
      key: 'ga',
      name: 'GA',
      purposes: ['analytics'],
      privacyPolicyUrl: 'https://policies.google.com/privacy',
      tcfVendorId: 755,
    });
    expect(v).toMatchObject({ purposes: ['analytics'], cookies: [], tcfVendorId: 755 });
    expect(
      (await post('/v1/vendors', { key: 'v2', name: 'V', privacyPolicyUrl: 'not a url' })).statusCode,
    ).toBe(400);
  });

  it('keeps topics a tree', async () => {
    const offers = await created('/v1/topics', { key: 'offers', name: 'Offers', channels: ['email', 'sms'] });
    const shoes = await created('/v1/topics', {
      key: 'shoes',
      name: 'Shoes',
      parentKey: 'offers',
      channels: ['email'],
      brandKey: 'acme',
    });
    await created('/v1/topics', { key: 'running', name: 'Running', parentKey: 'shoes', channels: ['email'] });
    expect(shoes).toMatchObject({ parentKey: 'offers', brandKey: 'acme', description: '' });

    const cycle = await patch(`/v1/topics/${offers.id}`, { parentKey: 'running' });
    expect(cycle.statusCode).toBe(422);
    expect(cycle.json().errors[0].pointer).toBe('/parentKey');
    expect((await patch(`/v1/topics/${offers.id}`, { parentKey: 'offers' })).statusCode).toBe(422);
    expect(
      (await post('/v1/topics', { key: 't', name: 'T', parentKey: 'nope', channels: ['email'] })).statusCode,
    ).toBe(422);
    expect(
      (await post('/v1/topics', { key: 't', name: 'T', brandKey: 'nope', channels: ['email'] })).statusCode,
    ).toBe(422);
    expect((await post('/v1/topics', { key: 't', name: 'T', channels: ['fax'] })).statusCode).toBe(400);
    const { createCatalogStore } = await import('./catalog-store.ts');
    const ws = (
      await s.deps.db.kysely
        .selectFrom('workspaces')
        .select('id')
        .where('key', '=', 'catalog')
        .executeTakeFirstOrThrow()
    ).id;
    expect(await createCatalogStore(s.deps.db.kysely).topicAncestors(ws, 'running')).toEqual([
      'shoes',
      'offers',
    ]);

    // archiving a parent keeps its children; the moved child is no longer below it
    expect((await del(`/v1/topics/${offers.id}`)).statusCode).toBe(200);
    expect((await patch(`/v1/topics/${shoes.id}`, { parentKey: null })).json().parentKey).toBeNull();
  });

  it('refuses malformed, unknown and mistyped fields with 400 and writes nothing', async () => {
    const before = await count('catalog_objects');
    const cases = [
      await post('/v1/brands', { key: 'b1', name: 'B', colour: 'red' }),
      await post('/v1/brands', { key: 'B 1', name: 'B' }),
      await post('/v1/brands', { key: 'b1', name: 42 }),
      await post('/v1/brands', { key: 'b1', name: 'B', contact: { fax: '1' } }),
      await post('/v1/brands', { key: 'b1', name: 'B', contact: { email: 'not-an-email' } }),
      await post('/v1/purposes', { key: 'p1', name: 'P', category: 'analytics', sale: 'yes' }),
      await post('/v1/properties', {
        key: 'p1',
        name: 'P',
        brandKey: 'acme',
        type: 'web',
        domains: ['no spaces'],
      }),
      await s.call({
        method: 'POST',
        url: '/v1/brands',
        key,
        headers: { 'content-type': 'application/json' },
        payload: '{"key": "b1", "name": ',
      }),
    ];
    for (const res of cases) {
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect(cases[0].json().errors[0].detail).toContain('colour');
    expect(await count('catalog_objects')).toBe(before);
  });

  it('pages through a list with a cursor, and refuses a forged one', async () => {
    for (let i = 0; i < 5; i++) await created('/v1/vendors', { key: `page-${i}`, name: `Page ${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/v1/vendors?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const page = res.json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((v: { key: string }) => v.key));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(['ga', 'page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    expect(pages).toBe(3);
    const bad = await get('/v1/vendors?cursor=not-a-cursor');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().type).toBe('/problems/invalid-cursor');
    expect((await get('/v1/vendors?limit=0')).statusCode).toBe(400);
  });

  it('creates once per Idempotency-Key', async () => {
    const headers = { 'idempotency-key': `brand-${kind}-1` };
    const body = { key: 'initech', name: 'Initech' };
    const first = await post('/v1/brands', body, key, headers);
    const again = await post('/v1/brands', body, key, headers);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.json().id).toBe(first.json().id);
    const rows = await s.deps.db.kysely
      .selectFrom('catalog_objects')
      .select('id')
      .where('key', '=', 'initech')
      .execute();
    expect(rows).toHaveLength(1);
    const other = await post('/v1/brands', { key: 'initech2', name: 'Initech' }, key, headers);
    expect(other.statusCode).toBe(409);
    expect(other.json().type).toBe('/problems/idempotency-conflict');
  });

  it('lets a viewer read but not write', async () => {
    const ws = await s.call({ method: 'GET', url: '/v1/workspaces?limit=500' });
    const wsId = ws.json().items.find((w: { key: string }) => w.key === 'catalog').id;
    const viewer = await s.keyFor('viewer', wsId);
    const agent = await s.keyFor('agent', wsId);
    const brand = (await get('/v1/brands')).json().items[0];
    expect((await get('/v1/brands', viewer)).statusCode).toBe(200);
    expect((await get(`/v1/brands/${brand.id}`, agent)).statusCode).toBe(200);
    expect((await post('/v1/brands', { key: 'v', name: 'V' }, viewer)).statusCode).toBe(403);
    expect((await patch(`/v1/brands/${brand.id}`, { name: 'V' }, viewer)).statusCode).toBe(403);
    expect((await del(`/v1/brands/${brand.id}`, agent)).statusCode).toBe(403);
    expect((await get('/v1/brands', null as unknown as string)).statusCode).toBe(401);
    const editor = await s.keyFor('editor', wsId);
    expect((await post('/v1/brands', { key: 'by-editor', name: 'E' }, editor)).statusCode).toBe(201);
  });

  it('writes an audit entry and an outbox event with each change', async () => {
    const [audits, events] = [await count('audit_log'), await count('outbox')];
    const b = await created('/v1/brands', { key: 'audited', name: 'Audited' });
    await patch(`/v1/brands/${b.id}`, { name: 'Audited 2' });
    await del(`/v1/brands/${b.id}`);
    await del(`/v1/brands/${b.id}`);
    expect(await count('audit_log')).toBe(audits + 3);
    expect(await count('outbox')).toBe(events + 3);
    const log = await s.deps.db.kysely
      .selectFrom('audit_log')
      .select(['action', 'target_type'])
      .where('target_id', '=', b.id)
      .orderBy('id')
      .execute();
    expect(log.map((l) => l.action)).toEqual(['brand.create', 'brand.update', 'brand.archive']);
    const feed = await s.deps.db.kysely
      .selectFrom('outbox')
      .select(['type', 'payload'])
      .orderBy('id', 'desc')
      .limit(3)
      .execute();
    expect(feed.map((e) => e.type).reverse()).toEqual([
      'catalog.created',
      'catalog.updated',
      'catalog.archived',
    ]);
    expect(JSON.parse(feed[0].payload)).toMatchObject({
      kind: 'brand',
      id: b.id,
      object: { key: 'audited' },
    });
  });

  it('documents every catalog route in OpenAPI', async () => {
    const doc = (await s.call({ method: 'GET', url: '/openapi.json', key: null })).json();
    for (const path of ['brands', 'properties', 'purposes', 'vendors', 'topics', 'notices']) {
      const list = doc.paths[`/v1/${path}`];
      const one = doc.paths[`/v1/${path}/{id}`];
      expect(Object.keys(list).sort()).toEqual(['get', 'post']);
      expect(Object.keys(one).sort()).toEqual(['delete', 'get', 'patch']);
      expect(list.post.tags).toEqual(['catalog']);
      expect(list.post.summary).toBeTruthy();
      expect(list.post.requestBody).toBeDefined();
    }
    expect(doc.paths['/v1/notices/{id}/versions'].post.tags).toEqual(['catalog']);
    expect(doc.paths['/v1/notices/{id}/versions/{versionId}'].get).toBeDefined();
  });
});
