import { AssentError, type Role, roles } from '@assent/core';
import { bootstrap, DEFAULT_WORKSPACE_KEY } from './bootstrap.ts';
import type { Config } from './config.ts';
import { loadSigner } from './crypto/signer.ts';
import { createDatabase, type Db, migrate } from './db/database.ts';
import { createApiKeyStore } from './features/api-keys/api-key-store.ts';
import { type VerifyReport, verifyLedger } from './features/ledger/ledger-verify.ts';
import { createWorkspaceStore } from './features/workspaces/workspace-store.ts';

/** Operator tasks behind the CLI: each opens the configured database, migrates it and closes it. */
async function withDb<T>(config: Config, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function workspaceId(db: Db, key: string): Promise<string> {
  const ws = await createWorkspaceStore(db.kysely).byKey(key);
  if (!ws) throw new AssentError('not_found', `No workspace with key "${key}"`);
  return ws.id;
}

export function createApiKeyCommand(
  config: Config,
  input: { role: string; name?: string; workspace?: string },
) {
  if (!(roles as readonly string[]).includes(input.role)) {
    throw new AssentError('validation_failed', `--role must be one of ${roles.join(', ')}`);
  }
  return withDb(config, async (db) => {
    const key = input.workspace ?? DEFAULT_WORKSPACE_KEY;
    const workspaces = createWorkspaceStore(db.kysely);
    const existing = await workspaces.byKey(key);
    // the default workspace is made on first use, as the server would on its first start
    const id =
      existing?.id ??
      (key === DEFAULT_WORKSPACE_KEY
        ? (await workspaces.create(db.kysely, { key, name: 'Default workspace' })).id
        : await workspaceId(db, key));
    const keys = createApiKeyStore(db.kysely);
    return keys.create(db.kysely, {
      workspaceId: id,
      name: input.name ?? `${input.role} key`,
      role: input.role as Role,
    });
  });
}

export function verifyLedgerCommand(
  config: Config,
  opts: { workspace?: string; onProgress?: (records: number) => void },
): Promise<VerifyReport> {
  return withDb(config, async (db) => {
    const signer = await loadSigner({ pem: config.signingKey, dataDir: config.dataDir });
    const id = opts.workspace ? await workspaceId(db, opts.workspace) : undefined;
    return verifyLedger(db.kysely, signer, { workspaceId: id, onProgress: opts.onProgress });
  });
}

export function seedDemoCommand(config: Config, workspace = 'default') {
  return withDb(config, async (db) => {
    const boot = await bootstrap(db, config.bootstrapKey);
    const { seedDemo } = await import('./demo/seed-demo.ts');
    await seedDemo(db, workspace === 'default' ? boot.workspace.id : await workspaceId(db, workspace));
    return boot;
  });
}
