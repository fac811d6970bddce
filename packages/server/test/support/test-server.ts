import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { bootstrap } from '../../src/bootstrap.ts';
import { loadConfig } from '../../src/config.ts';
import { createServer, type Server } from '../../src/server.ts';
import type { TestDatabase } from './selected-databases.ts';
import { freshDatabase } from './test-database.ts';

export interface TestServer extends Server {
  kind: TestDatabase;
  workspaceId: string;
  ownerKey: string;
  /** Calls the API in-process with a key (the owner's by default). */
  call(opts: InjectOptions & { key?: string | null }): Promise<LightMyRequestResponse>;
  /** Creates a workspace and an admin key in it. */
  newWorkspace(key: string): Promise<{ id: string; adminKey: string }>;
  keyFor(role: string, workspaceId?: string): Promise<string>;
}

export const OWNER_KEY = 'assent_sk_test_owner_key_0123456789abcdef';

/** A real server on a fresh database, migrated and bootstrapped, called with inject (no socket). */
export async function startTestServer(
  kind: TestDatabase,
  overrides: Record<string, string> = {},
): Promise<TestServer> {
  const { db, dataDir } = await freshDatabase(kind);
  const config = loadConfig({
    DATA_DIR: dataDir,
    ASSENT_DEMO: '0',
    LOG_LEVEL: 'silent',
    CHECKPOINT_INTERVAL: '0',
    ...overrides,
  });
  const server = await createServer(config, { db, logger: false });
  const boot = await bootstrap(db, OWNER_KEY);
  const call: TestServer['call'] = ({ key, ...opts }) => {
    const headers = { ...(opts.headers ?? {}) } as Record<string, string>;
    const k = key === undefined ? OWNER_KEY : key;
    if (k) headers.authorization = `Bearer ${k}`;
    return server.app.inject({ ...opts, headers });
  };
  const keyFor: TestServer['keyFor'] = async (role, workspaceId = boot.workspace.id) => {
    const res = await call({
      method: 'POST',
      url: `/v1/workspaces/${workspaceId}/api-keys`,
      payload: { name: role, role },
    });
    if (res.statusCode !== 201) throw new Error(`cannot create key: ${res.body}`);
    return res.json().secret;
  };
  return {
    ...server,
    kind,
    workspaceId: boot.workspace.id,
    ownerKey: OWNER_KEY,
    call,
    keyFor,
    async newWorkspace(key) {
      const res = await call({ method: 'POST', url: '/v1/workspaces', payload: { key, name: key } });
      if (res.statusCode !== 201) throw new Error(`cannot create workspace: ${res.body}`);
      const id = res.json().id;
      return { id, adminKey: await keyFor('admin', id) };
    },
    async close() {
      await server.close();
      await db.close();
    },
  };
}
