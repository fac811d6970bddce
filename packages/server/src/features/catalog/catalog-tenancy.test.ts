import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../test/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../test/support/test-server.ts';

const paths = ['brands', 'properties', 'purposes', 'vendors', 'topics', 'notices'] as const;

/** One object of each kind, all with the same keys, in a workspace. */
async function fill(s: TestServer, key: string): Promise<Record<(typeof paths)[number] | 'version', string>> {
  const make = async (path: string, payload: object) => {
    const res = await s.call({ method: 'POST', url: `/v1/${path}`, payload, key });
    if (res.statusCode !== 201) throw new Error(`${path}: ${res.body}`);
    return res.json().id as string;
  };
  const brands = await make('brands', { key: 'acme', name: 'Acme' });
  const properties = await make('properties', { key: 'web', name: 'Web', brandKey: 'acme', type: 'web' });
  const purposes = await make('purposes', { key: 'analytics', name: 'Analytics', category: 'analytics' });
  const vendors = await make('vendors', { key: 'ga', name: 'GA', purposes: ['analytics'] });
  const topics = await make('topics', { key: 'news', name: 'News', channels: ['email'] });
  const notices = await make('notices', { key: 'banner', name: 'Banner', kind: 'banner' });
  const version = await make(`notices/${notices}/versions`, { language: 'en', content: 'Hello' });
  return { brands, properties, purposes, vendors, topics, notices, version };
}

describe.each(testDatabases())('catalog tenant isolation on %s', (kind) => {
  let s: TestServer;
  let a: string;
  let b: string;
  let bIds: Awaited<ReturnType<typeof fill>>;

  beforeAll(async () => {
    s = await startTestServer(kind);
    a = (await s.newWorkspace('tenant-a')).adminKey;
    b = (await s.newWorkspace('tenant-b')).adminKey;
    await fill(s, a);
    bIds = await fill(s, b);
  });
  afterAll(() => s.close());

  it("answers 404 on every catalog route for another workspace's ids", async () => {
    const payloads: Record<string, object> = {
      brands: { name: 'Hijacked' },
      properties: { name: 'Hijacked' },
      purposes: { name: 'Hijacked' },
      vendors: { name: 'Hijacked' },
      topics: { name: 'Hijacked' },
      notices: { name: 'Hijacked' },
    };
    for (const path of paths) {
      const url = `/v1/${path}/${bIds[path]}`;
      expect((await s.call({ method: 'GET', url, key: a })).statusCode, `GET ${path}`).toBe(404);
      expect((await s.call({ method: 'PATCH', url, key: a, payload: payloads[path] })).statusCode).toBe(404);
      expect((await s.call({ method: 'DELETE', url, key: a })).statusCode, `DELETE ${path}`).toBe(404);
    }
    const versions = `/v1/notices/${bIds.notices}/versions`;
    expect((await s.call({ method: 'GET', url: versions, key: a })).statusCode).toBe(404);
    expect((await s.call({ method: 'GET', url: `${versions}/${bIds.version}`, key: a })).statusCode).toBe(
      404,
    );
    const add = await s.call({
      method: 'POST',
      url: versions,
      key: a,
      payload: { language: 'en', content: 'x' },
    });
    expect(add.statusCode).toBe(404);

    // nothing of B changed
    for (const path of paths) {
      const res = await s.call({ method: 'GET', url: `/v1/${path}/${bIds[path]}`, key: b });
      expect(res.json()).toMatchObject({ archivedAt: null });
      expect(res.json().name).not.toBe('Hijacked');
    }
    const bVersions = (await s.call({ method: 'GET', url: versions, key: b })).json().items;
    expect(bVersions).toHaveLength(1);
  });

  it("never lists another workspace's objects", async () => {
    for (const path of paths) {
      const res = await s.call({ method: 'GET', url: `/v1/${path}?includeArchived=true`, key: a });
      const ids = res.json().items.map((i: { id: string }) => i.id);
      expect(ids).toHaveLength(1);
      expect(ids).not.toContain(bIds[path]);
    }
  });

  it("never accepts another workspace's keys as references", async () => {
    await s.call({ method: 'POST', url: '/v1/brands', key: b, payload: { key: 'only-in-b', name: 'B' } });
    await s.call({
      method: 'POST',
      url: '/v1/purposes',
      key: b,
      payload: { key: 'only-in-b', name: 'B', category: 'marketing' },
    });
    const prop = await s.call({
      method: 'POST',
      url: '/v1/properties',
      key: a,
      payload: { key: 'p2', name: 'P', brandKey: 'only-in-b', type: 'web' },
    });
    expect(prop.statusCode).toBe(422);
    const vendor = await s.call({
      method: 'POST',
      url: '/v1/vendors',
      key: a,
      payload: { key: 'v2', name: 'V', purposes: ['only-in-b'] },
    });
    expect(vendor.statusCode).toBe(422);
  });

  it('keeps idempotency keys per workspace', async () => {
    const headers = { 'idempotency-key': 'shared-key' };
    const ra = await s.call({
      method: 'POST',
      url: '/v1/brands',
      key: a,
      headers,
      payload: { key: 'same', name: 'S' },
    });
    const rb = await s.call({
      method: 'POST',
      url: '/v1/brands',
      key: b,
      headers,
      payload: { key: 'same', name: 'S' },
    });
    expect(ra.statusCode).toBe(201);
    expect(rb.statusCode).toBe(201);
    expect(rb.json().id).not.toBe(ra.json().id);
  });
});
