import type { Db } from '../db/database.ts';

/** Seeds the demo workspace's catalog (filled in as features land). */
export async function seedDemo(_db: Db, _workspaceId: string): Promise<void> {}
