import type { Kysely } from 'kysely';

// Reviewed by hand; forward-only. A subject's history is read through the chain index
// (subject_id, seq), which every record already has, and sorted by when it occurred: a person's
// history is a few records, while a second index on it cost every write one more random B-tree
// page (on a ledger of a million records, about a seventh of a write's time on SQLite).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('consent_records_history').ifExists().execute();
}
