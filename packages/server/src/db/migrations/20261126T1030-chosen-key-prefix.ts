import { type Kysely, sql } from 'kysely';

// Reviewed by hand; forward-only. Key lists showed the first 14 characters of every secret; for
// a secret the operator chose (ASSENT_BOOTSTRAP_KEY, 24 characters or more) that is most of it.
// Those keys are now listed by a fingerprint of their stored hash, as new ones are
// (api-key-store.ts). A generated secret starts with `assent_sk_`, then 4 of its 43 random
// characters: those prefixes stay.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    UPDATE api_keys
    SET prefix = 'sha256:' || substr(secret_hash, 1, 8)
    WHERE substr(prefix, 1, 10) <> 'assent_sk_'`.execute(db);
}
