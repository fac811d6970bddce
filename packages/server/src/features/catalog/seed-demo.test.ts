import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../test/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { seedDemo } from '../../demo/seed-demo.ts';
import { createCatalogStore } from './catalog-store.ts';

describe.each(testDatabases())('the demo catalog on %s', (kind) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(kind);
    await seedDemo(s.deps.db, s.workspaceId);
  });
  afterAll(() => s.close());

  it('seeds a brand, a site, purposes, vendors, topics and a banner in three languages', async () => {
    const store = createCatalogStore(s.deps.db.kysely);
    const ws = s.workspaceId;
    expect(await store.byKey(ws, 'brand', 'acme')).toMatchObject({
      name: 'Acme',
      contact: { email: 'privacy@acme.example' },
    });
    expect(await store.byKey(ws, 'property', 'acme-web')).toMatchObject({
      brandKey: 'acme',
      type: 'web',
      domains: ['localhost', '127.0.0.1', 'acme.example'],
    });
    expect(await store.purpose(ws, 'necessary')).toMatchObject({
      legalBasis: 'contract',
      category: 'necessary',
      consentMode: ['security_storage', 'functionality_storage'],
    });
    expect(await store.purpose(ws, 'analytics')).toMatchObject({
      legalBasis: 'consent',
      category: 'analytics',
    });
    expect(await store.purpose(ws, 'marketing')).toMatchObject({
      category: 'marketing',
      consentMode: ['ad_storage', 'ad_user_data', 'ad_personalization'],
      sale: true,
      sharing: true,
    });
    expect((await store.purpose(ws, 'analytics'))?.translations.id?.name).toBe('Pengukuran audiens');
    expect((await store.list(ws, 'vendor')).length).toBeGreaterThanOrEqual(1);
    expect((await store.list(ws, 'topic')).map((t) => t.key).sort()).toEqual([
      'newsletter',
      'offers',
      'weekly',
    ]);
    expect(await store.byKey(ws, 'topic', 'offers')).toMatchObject({ channels: ['email', 'sms'] });
    expect(await store.topicAncestors(ws, 'weekly')).toEqual(['newsletter']);
    expect(await store.topicAncestors(ws, 'newsletter')).toEqual([]);
    expect(await store.topicAncestors(ws, 'unknown')).toEqual([]);

    const banner = (await s.call({ method: 'GET', url: '/v1/notices' })).json().items[0];
    expect(banner).toMatchObject({ key: 'acme-banner', kind: 'banner' });
    expect(Object.keys(banner.latestVersions).sort()).toEqual(['en', 'fr', 'id']);
    const v = await store.noticeVersion(ws, banner.latestVersions.fr.id);
    expect(v?.content).toContain('cookies');
  });

  it('does nothing the second time', async () => {
    const count = async () =>
      Number(
        (
          await s.deps.db.kysely
            .selectFrom('catalog_objects')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    await seedDemo(s.deps.db, s.workspaceId);
    expect(await count()).toBe(before);
  });

  it('keeps each workspace to itself', async () => {
    const other = await s.newWorkspace('empty');
    const store = createCatalogStore(s.deps.db.kysely);
    expect(await store.byKey(other.id, 'brand', 'acme')).toBeNull();
    expect(await store.list(other.id, 'purpose')).toEqual([]);
  });
});
