import type { Kysely } from 'kysely';
import { newPublishableKey } from '../../shared/ids.ts';

// Reviewed by hand; forward-only. The Collect API: publishable property keys and banner counters.
export async function up(db: Kysely<unknown>): Promise<void> {
  const id = 'varchar(36)';
  await db.schema
    .createTable('property_keys')
    .addColumn('publishable_key', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('workspace_id', id, (c) => c.notNull())
    .addColumn('property_id', id, (c) => c.notNull().unique())
    .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('banner_events')
    .addColumn('workspace_id', id, (c) => c.notNull())
    .addColumn('property_id', id, (c) => c.notNull())
    .addColumn('day', 'varchar(10)', (c) => c.notNull())
    .addColumn('variant', 'varchar(64)', (c) => c.notNull())
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('banner_events_pk', ['workspace_id', 'property_id', 'day', 'variant', 'type'])
    .execute();

  // properties created before this migration get their key now
  const k = db as Kysely<{
    catalog_objects: { id: string; workspace_id: string; kind: string };
    property_keys: { publishable_key: string; workspace_id: string; property_id: string; created_at: string };
  }>;
  const properties = await k
    .selectFrom('catalog_objects')
    .select(['id', 'workspace_id'])
    .where('kind', '=', 'property')
    .execute();
  const now = new Date().toISOString();
  for (const p of properties) {
    await k
      .insertInto('property_keys')
      .values({
        publishable_key: newPublishableKey(),
        workspace_id: p.workspace_id,
        property_id: p.id,
        created_at: now,
      })
      .execute();
  }
}
