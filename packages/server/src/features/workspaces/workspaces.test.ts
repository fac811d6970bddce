import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../test/support/test-database.ts';
import { OWNER_KEY, startTestServer, type TestServer } from '../../../test/support/test-server.ts';

describe.each(testDatabases())('workspaces and keys on %s', (kind) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(kind);
  });
  afterAll(() => s.close());

  it('answers health and readiness without a key', async () => {
    expect((await s.call({ method: 'GET', url: '/healthz', key: null })).json()).toEqual({ status: 'ok' });
    const ready = await s.call({ method: 'GET', url: '/readyz', key: null });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().database).toBe(kind);
  });

  it('refuses /v1 without a key or with an unknown one, as problem+json', async () => {
    const none = await s.call({ method: 'GET', url: '/v1/api-keys', key: null });
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toContain('application/problem+json');
    expect(none.json()).toMatchObject({ status: 401, type: '/problems/unauthorized' });
    const bad = await s.call({ method: 'GET', url: '/v1/api-keys', key: 'assent_sk_nope' });
    expect(bad.statusCode).toBe(401);
  });

  it('checks the key before the body: no schema errors for a caller without the right key', async () => {
    const invalid = { method: 'POST' as const, url: '/v1/consents', payload: { nonsense: true } };
    expect((await s.call({ ...invalid, key: null })).statusCode).toBe(401);
    expect((await s.call({ ...invalid, key: await s.keyFor('viewer') })).statusCode).toBe(403);
    expect((await s.call(invalid)).statusCode).toBe(400);
  });

  it('lets the owner create workspaces and keys, shown once and stored hashed', async () => {
    const ws = await s.newWorkspace('acme-group');
    const list = await s.call({ method: 'GET', url: '/v1/api-keys', key: ws.adminKey });
    expect(list.statusCode).toBe(200);
    const items = list.json().items;
    expect(items).toHaveLength(1);
    expect(items[0]).not.toHaveProperty('secret');
    const rows = await s.deps.db.kysely.selectFrom('api_keys').select(['secret_hash']).execute();
    expect(rows.every((r) => r.secret_hash.length === 64 && !r.secret_hash.startsWith('assent_sk_'))).toBe(
      true,
    );
    const dup = await s.call({
      method: 'POST',
      url: '/v1/workspaces',
      payload: { key: 'acme-group', name: 'again' },
    });
    expect(dup.statusCode).toBe(409);
  });

  it('scopes keys by role', async () => {
    const viewer = await s.keyFor('viewer');
    const res = await s.call({
      method: 'POST',
      url: '/v1/api-keys',
      key: viewer,
      payload: { name: 'x', role: 'admin' },
    });
    expect(res.statusCode).toBe(403);
    const admin = await s.keyFor('admin');
    const asOwner = await s.call({
      method: 'POST',
      url: '/v1/api-keys',
      key: admin,
      payload: { name: 'x', role: 'owner' },
    });
    expect(asOwner.statusCode).toBe(403);
    const ws = await s.call({ method: 'GET', url: '/v1/workspaces', key: admin });
    expect(ws.statusCode).toBe(403);
  });

  it('stops a revoked key at once', async () => {
    const admin = await s.keyFor('admin');
    const created = await s.call({
      method: 'POST',
      url: '/v1/api-keys',
      key: admin,
      payload: { name: 'temp', role: 'editor' },
    });
    const { id, secret } = created.json();
    expect((await s.call({ method: 'GET', url: '/v1/api-keys', key: admin })).statusCode).toBe(200);
    expect((await s.call({ method: 'DELETE', url: `/v1/api-keys/${id}`, key: admin })).statusCode).toBe(200);
    expect((await s.call({ method: 'GET', url: '/healthz', key: secret })).statusCode).toBe(200);
    const after = await s.call({
      method: 'POST',
      url: '/v1/api-keys',
      key: secret,
      payload: { name: 'y', role: 'viewer' },
    });
    expect(after.statusCode).toBe(401);
  });

  it('lets only an owner revoke an owner key, and lists a chosen secret by a fingerprint only', async () => {
    const admin = await s.keyFor('admin');
    const keys = (await s.call({ method: 'GET', url: '/v1/api-keys', key: admin })).json().items;
    const owner = keys.find((k: { role: string }) => k.role === 'owner');
    // the test's bootstrap key is chosen, not generated: nothing of it shows
    expect(owner.prefix).toMatch(/^sha256:[0-9a-f]{8}$/);
    expect(OWNER_KEY.startsWith(owner.prefix)).toBe(false);
    const byAdmin = await s.call({ method: 'DELETE', url: `/v1/api-keys/${owner.id}`, key: admin });
    expect(byAdmin.statusCode).toBe(403);
    expect((await s.call({ method: 'GET', url: '/v1/workspaces' })).statusCode).toBe(200);
    const generated = keys.find((k: { role: string }) => k.role === 'admin');
    expect(generated.prefix).toMatch(/^assent_sk_.{4}$/);
  });

  it("audits a key the owner makes in another workspace in that workspace's log too", async () => {
    const ws = await s.newWorkspace('audited-keys');
    const log = await s.call({ method: 'GET', url: '/v1/audit-log', key: ws.adminKey });
    expect(log.statusCode).toBe(200);
    const created = log.json().items.filter((e: { action: string }) => e.action === 'api_key.create');
    // newWorkspace made its admin key through the owner's route
    expect(created).toHaveLength(1);
  });

  it("answers 404 for another workspace's key", async () => {
    const a = await s.newWorkspace('ws-a');
    const b = await s.newWorkspace('ws-b');
    const bKeys = (await s.call({ method: 'GET', url: '/v1/api-keys', key: b.adminKey })).json().items;
    const res = await s.call({ method: 'DELETE', url: `/v1/api-keys/${bKeys[0].id}`, key: a.adminKey });
    expect(res.statusCode).toBe(404);
  });

  it('publishes the signing key and the OpenAPI document', async () => {
    const jwks = (await s.call({ method: 'GET', url: '/.well-known/jwks.json', key: null })).json();
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    const doc = (await s.call({ method: 'GET', url: '/openapi.json', key: null })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/v1/api-keys']).toBeDefined();
    for (const path of ['/v1/consents', '/v1/check', '/v1/subjects', '/v1/brands', '/v1/ledger/verify']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    const docs = await s.call({ method: 'GET', url: '/docs/', key: null });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
  });
});
