import type { Db } from './db/database.ts';
import { createApiKeyStore } from './features/api-keys/api-key-store.ts';
import { createWorkspaceStore, type Workspace } from './features/workspaces/workspace-store.ts';

export const DEFAULT_WORKSPACE_KEY = 'default';

export interface BootstrapResult {
  workspace: Workspace;
  /** Set only when this start created the first owner key and generated its secret. */
  ownerSecret: string | null;
  createdOwnerKey: boolean;
}

/**
 * Makes sure the default workspace exists, and an owner key when the database has none:
 * with the configured bootstrap secret, or a fresh one returned for printing once.
 */
export async function bootstrap(db: Db, bootstrapKey: string | null): Promise<BootstrapResult> {
  const workspaces = createWorkspaceStore(db.kysely);
  const keys = createApiKeyStore(db.kysely);
  return db.kysely.transaction().execute(async (trx) => {
    const existing = await createWorkspaceStore(trx).byKey(DEFAULT_WORKSPACE_KEY);
    const workspace =
      existing ?? (await workspaces.create(trx, { key: DEFAULT_WORKSPACE_KEY, name: 'Default workspace' }));
    const count = await createApiKeyStore(trx).count();
    if (count > 0) return { workspace, ownerSecret: null, createdOwnerKey: false };
    const { secret } = await keys.create(trx, {
      workspaceId: workspace.id,
      name: 'Owner (bootstrap)',
      role: 'owner',
      secret: bootstrapKey ?? undefined,
    });
    return { workspace, ownerSecret: bootstrapKey ? null : secret, createdOwnerKey: true };
  });
}
