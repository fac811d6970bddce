import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../test/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../test/support/test-server.ts';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe.each(testDatabases())('notices and their versions on %s', (kind) => {
  let s: TestServer;
  let key: string;
  let notice: { id: string };
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    s.call({ method, url, payload, key });
  const addVersion = async (payload: object, noticeId = notice.id) => {
    const res = await call('POST', `/v1/notices/${noticeId}/versions`, payload);
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };

  beforeAll(async () => {
    s = await startTestServer(kind);
    key = (await s.newWorkspace('notices')).adminKey;
    await call('POST', '/v1/brands', { key: 'acme', name: 'Acme' });
    await call('POST', '/v1/brands', { key: 'globex', name: 'Globex' });
    await call('POST', '/v1/properties', { key: 'acme-web', name: 'Web', brandKey: 'acme', type: 'web' });
    const res = await call('POST', '/v1/notices', {
      key: 'banner',
      name: 'Banner',
      kind: 'banner',
      brandKey: 'acme',
      propertyKey: 'acme-web',
    });
    expect(res.statusCode, res.body).toBe(201);
    notice = res.json();
  });
  afterAll(() => s.close());

  it('creates a notice with no versions yet, and checks its references', async () => {
    expect(notice).toMatchObject({
      kind: 'banner',
      brandKey: 'acme',
      propertyKey: 'acme-web',
      latestVersions: {},
    });
    const mismatch = await call('POST', '/v1/notices', {
      key: 'n2',
      name: 'N',
      kind: 'form',
      brandKey: 'globex',
      propertyKey: 'acme-web',
    });
    expect(mismatch.statusCode).toBe(422);
    expect(mismatch.json().errors[0].pointer).toBe('/propertyKey');
    expect(
      (await call('POST', '/v1/notices', { key: 'n2', name: 'N', kind: 'form', propertyKey: 'nope' }))
        .statusCode,
    ).toBe(422);
    expect((await call('POST', '/v1/notices', { key: 'n2', name: 'N', kind: 'popup' })).statusCode).toBe(400);
  });

  it('numbers versions per language and hashes their content', async () => {
    const content = 'We use cookies — with your consent. Ça va ? 🍪';
    const v1 = await addVersion({ language: 'en', content });
    expect(v1).toEqual({
      id: expect.any(String),
      noticeId: notice.id,
      version: 1,
      language: 'en',
      contentHash: sha256(content),
      material: false,
      createdAt: expect.any(String),
    });
    const v2 = await addVersion({ language: 'en', content: 'Second text', material: true });
    expect(v2).toMatchObject({ version: 2, material: true, contentHash: sha256('Second text') });
    const fr = await addVersion({ language: 'fr-ca', content: 'Bonjour' });
    expect(fr).toMatchObject({ version: 1, language: 'fr-CA' });

    const n = (await call('GET', `/v1/notices/${notice.id}`)).json();
    expect(n.latestVersions).toEqual({
      en: { id: v2.id, version: 2, contentHash: v2.contentHash, material: true },
      'fr-CA': { id: fr.id, version: 1, contentHash: fr.contentHash, material: false },
    });
    const listed = (await call('GET', '/v1/notices')).json().items[0];
    expect(listed.latestVersions.en.version).toBe(2);

    const one = (await call('GET', `/v1/notices/${notice.id}/versions/${v1.id}`)).json();
    expect(one).toMatchObject({ id: v1.id, content, version: 1 });
  });

  it('lists versions newest first, page by page', async () => {
    const p1 = (await call('GET', `/v1/notices/${notice.id}/versions?limit=2`)).json();
    expect(p1.items.map((v: { language: string; version: number }) => `${v.language}@${v.version}`)).toEqual([
      'fr-CA@1',
      'en@2',
    ]);
    expect(p1.items[0]).not.toHaveProperty('content');
    const p2 = (
      await call('GET', `/v1/notices/${notice.id}/versions?limit=2&cursor=${p1.nextCursor}`)
    ).json();
    expect(p2.items.map((v: { version: number }) => v.version)).toEqual([1]);
    expect(p2.nextCursor).toBeNull();
    expect((await call('GET', `/v1/notices/${notice.id}/versions?cursor=%%%`)).statusCode).toBe(400);
  });

  it('refuses bad versions and keeps versions immutable', async () => {
    const before = (await call('GET', `/v1/notices/${notice.id}/versions?limit=500`)).json().items.length;
    for (const payload of [
      { language: 'english!', content: 'x' },
      { language: 'en', content: '' },
      { language: 'en', content: 'x', extra: 1 },
      { language: 'en', content: 'x'.repeat(200_001) },
      { language: 'en', content: 'x', material: 'yes' },
    ]) {
      const res = await call('POST', `/v1/notices/${notice.id}/versions`, payload);
      expect(res.statusCode, JSON.stringify(payload).slice(0, 60)).toBe(400);
    }
    expect((await call('GET', `/v1/notices/${notice.id}/versions?limit=500`)).json().items.length).toBe(
      before,
    );
    const v = (await call('GET', `/v1/notices/${notice.id}/versions`)).json().items[0];
    // no route changes a version: versions are immutable
    expect(
      (await call('PATCH', `/v1/notices/${notice.id}/versions/${v.id}`, { content: 'y' })).statusCode,
    ).toBe(404);
    expect((await call('DELETE', `/v1/notices/${notice.id}/versions/${v.id}`)).statusCode).toBe(404);
    const still = (await call('GET', `/v1/notices/${notice.id}/versions/${v.id}`)).json();
    expect(still.contentHash).toBe(v.contentHash);
  });

  it('accepts a content of 200,000 characters', async () => {
    const content = 'é'.repeat(200_000);
    const v = await addVersion({ language: 'de', content });
    expect(v.contentHash).toBe(sha256(content));
    // escaped as JSON, this one is over the default 1 MiB body limit
    const escaped = '\u0001'.repeat(200_000);
    expect((await addVersion({ language: 'de', content: escaped })).version).toBe(2);
  });

  it('answers 404 for a version asked through another notice, or an unknown notice', async () => {
    const other = (await call('POST', '/v1/notices', { key: 'other', name: 'Other', kind: 'form' })).json();
    const v = (await call('GET', `/v1/notices/${notice.id}/versions`)).json().items[0];
    expect((await call('GET', `/v1/notices/${other.id}/versions/${v.id}`)).statusCode).toBe(404);
    const unknown = '00000000-0000-7000-8000-000000000000';
    expect((await call('GET', `/v1/notices/${unknown}/versions`)).statusCode).toBe(404);
    expect(
      (await call('POST', `/v1/notices/${unknown}/versions`, { language: 'en', content: 'x' })).statusCode,
    ).toBe(404);
    // a brand's id is not a notice
    const brand = (await call('GET', '/v1/brands')).json().items[0];
    expect(
      (await call('POST', `/v1/notices/${brand.id}/versions`, { language: 'en', content: 'x' })).statusCode,
    ).toBe(404);
  });

  it('numbers concurrent versions without gaps or duplicates', async () => {
    const n = (await call('POST', '/v1/notices', { key: 'busy', name: 'Busy', kind: 'form' })).json();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call('POST', `/v1/notices/${n.id}/versions`, { language: 'en', content: `text ${i}` }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(201));
    expect(results.map((r) => r.json().version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('retries a version with an Idempotency-Key without adding one', async () => {
    const headers = { 'idempotency-key': 'version-retry' };
    const payload = { language: 'it', content: 'Ciao' };
    const url = `/v1/notices/${notice.id}/versions`;
    const a = await s.call({ method: 'POST', url, payload, headers, key });
    const b = await s.call({ method: 'POST', url, payload, headers, key });
    expect(b.json()).toEqual(a.json());
    expect((await call('GET', `/v1/notices/${notice.id}`)).json().latestVersions.it.version).toBe(1);
  });

  it('writes an audit entry and an event for each version; an archived notice takes no more', async () => {
    const n = (await call('POST', '/v1/notices', { key: 'audited', name: 'A', kind: 'call_script' })).json();
    const v = await addVersion({ language: 'en', content: 'Hello, this call is recorded.' }, n.id);
    const audit = await s.deps.db.kysely
      .selectFrom('audit_log')
      .selectAll()
      .where('target_id', '=', v.id)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['notice.version_create']);
    const events = await s.deps.db.kysely
      .selectFrom('outbox')
      .selectAll()
      .where('type', '=', 'notice.version_created')
      .execute();
    const mine = events.map((e) => JSON.parse(e.payload)).find((p) => p.id === v.id);
    expect(mine).toMatchObject({
      noticeId: n.id,
      noticeKey: 'audited',
      version: 1,
      language: 'en',
      contentHash: v.contentHash,
    });
    expect((await call('DELETE', `/v1/notices/${n.id}`)).statusCode).toBe(200);
    const late = await call('POST', `/v1/notices/${n.id}/versions`, { language: 'en', content: 'again' });
    expect(late.statusCode).toBe(409);
    const archived = (await call('GET', `/v1/notices/${n.id}`)).json();
    expect(archived.latestVersions.en.id).toBe(v.id);
    expect((await call('GET', `/v1/notices/${n.id}/versions/${v.id}`)).statusCode).toBe(200);
  });
});
