import { type Kysely, SqliteAdapter, sql } from 'kysely';

// Reviewed by hand; forward-only. On SQLite, consent_state becomes a WITHOUT ROWID table: its rows
// are stored in primary-key order, so a subject's current state is one contiguous read of one
// B-tree (before: an index lookup, then one table lookup per row) and a write updates one B-tree
// instead of two. PostgreSQL keeps its table as it is.
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return;
  await sql`
    CREATE TABLE consent_state_clustered (
      workspace_id varchar(36) NOT NULL,
      subject_id varchar(36) NOT NULL,
      target_type varchar(16) NOT NULL,
      target_key varchar(64) NOT NULL,
      channel varchar(16) NOT NULL,
      scope_type varchar(16) NOT NULL,
      scope_key varchar(64) NOT NULL,
      state varchar(16) NOT NULL,
      record_id varchar(36) NOT NULL,
      source varchar(32) NOT NULL,
      occurred_at varchar(30) NOT NULL,
      expires_at varchar(30),
      CONSTRAINT consent_state_pk PRIMARY KEY
        (workspace_id, subject_id, target_type, target_key, channel, scope_type, scope_key)
    ) WITHOUT ROWID`.execute(db);
  await sql`
    INSERT INTO consent_state_clustered
    SELECT workspace_id, subject_id, target_type, target_key, channel, scope_type, scope_key,
           state, record_id, source, occurred_at, expires_at
    FROM consent_state
    ORDER BY workspace_id, subject_id, target_type, target_key, channel, scope_type, scope_key`.execute(db);
  await sql`DROP TABLE consent_state`.execute(db);
  await sql`ALTER TABLE consent_state_clustered RENAME TO consent_state`.execute(db);
}
