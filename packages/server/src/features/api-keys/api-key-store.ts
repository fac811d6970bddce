import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '@assent/core';
import type { Executor } from '../../db/transaction.ts';
import { newId, nowIso } from '../../shared/ids.ts';

export interface ApiKey {
  id: string;
  workspaceId: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** A new random secret: 256 bits, URL-safe, recognisable by its prefix. */
export const generateSecret = () => `assent_sk_${randomBytes(32).toString('base64url')}`;

/**
 * What lists show to tell keys apart: the start of a generated secret (4 of its 43 random
 * characters), and for a secret the operator chose (a bootstrap key) a fingerprint of its hash
 * instead, which tells nothing of the secret.
 */
const GENERATED = /^assent_sk_[A-Za-z0-9_-]{43}$/;
const prefixOf = (secret: string) =>
  GENERATED.test(secret) ? secret.slice(0, 14) : `sha256:${hashSecret(secret).slice(0, 8)}`;

const toApiKey = (r: {
  id: string;
  workspace_id: string;
  name: string;
  role: string;
  prefix: string;
  created_at: string;
  revoked_at: string | null;
}): ApiKey => ({
  id: r.id,
  workspaceId: r.workspace_id,
  name: r.name,
  role: r.role as Role,
  prefix: r.prefix,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

export function createApiKeyStore(db: Executor) {
  return {
    /** Stores only the hash; the secret is returned once and never again. */
    async create(
      exec: Executor,
      input: { workspaceId: string; name: string; role: Role; secret?: string },
    ): Promise<{ key: ApiKey; secret: string }> {
      const secret = input.secret ?? generateSecret();
      const row = {
        id: newId(),
        workspace_id: input.workspaceId,
        name: input.name,
        role: input.role,
        prefix: prefixOf(secret),
        secret_hash: hashSecret(secret),
        created_at: nowIso(),
        revoked_at: null,
      };
      await exec.insertInto('api_keys').values(row).execute();
      return { key: toApiKey(row), secret };
    },
    async findBySecret(secret: string): Promise<ApiKey | null> {
      const row = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('secret_hash', '=', hashSecret(secret))
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return row ? toApiKey(row) : null;
    },
    async list(workspaceId: string, opts: { after?: string; limit: number }): Promise<ApiKey[]> {
      let q = db.selectFrom('api_keys').selectAll().where('workspace_id', '=', workspaceId);
      if (opts.after) q = q.where('id', '>', opts.after);
      const rows = await q.orderBy('id').limit(opts.limit).execute();
      return rows.map(toApiKey);
    },
    async find(exec: Executor, workspaceId: string, id: string): Promise<ApiKey | null> {
      const row = await exec
        .selectFrom('api_keys')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toApiKey(row) : null;
    },
    async revoke(exec: Executor, workspaceId: string, id: string): Promise<ApiKey | null> {
      await exec
        .updateTable('api_keys')
        .set({ revoked_at: nowIso() })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
      return this.find(exec, workspaceId, id);
    },
    async count(): Promise<number> {
      const r = await db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}

export type ApiKeyStore = ReturnType<typeof createApiKeyStore>;
