import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '@assent/server';
import { sql } from 'kysely';
import { startPgCluster } from '../packages/server/test/support/pg-cluster.ts';
import { rawPgCommits } from './baselines.ts';
import { type BenchContext, prepareDatabase, seedWithProgress, subjectsFor } from './context.ts';
import { fmt } from './report.ts';
import { createCatalog, ingestLoad } from './scenarios.ts';
import { startAssent } from './server-process.ts';
import type { IngestAt } from './sqlite-phase.ts';

export interface PostgresResults {
  rawCommitsPerSecond: number;
  ingestSmall: IngestAt;
  ingestLarge: IngestAt | null;
  /** Ingest on the large ledger with ctx.workers processes, for comparison (null with one). */
  ingestLargeWorkers: IngestAt | null;
}

/** Ingest on PostgreSQL (a throwaway cluster), beside raw commits/s on the same cluster. */
export async function runPostgres(ctx: BenchContext): Promise<PostgresResults> {
  ctx.log('starting a throwaway PostgreSQL cluster...');
  const cluster = await startPgCluster();
  ctx.onCleanup(() => cluster.stop());
  const dir = mkdtempSync(join(tmpdir(), 'assent-bench-pg-'));
  ctx.onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const key = ctx.bootstrapKey;

  ctx.log(`raw PostgreSQL commits over 16 connections (${ctx.seconds} s)...`);
  const rawCommitsPerSecond = await rawPgCommits(cluster.url, ctx.seconds);

  const db = createDatabase({ databaseUrl: cluster.url, poolSize: 4 });
  ctx.onCleanup(() => db.close());
  const count = async () => {
    const r = await sql<{ n: string }>`SELECT count(*) AS n FROM consent_records`.execute(db.kysely);
    return Number(r.rows[0].n);
  };
  const workspaceId = await prepareDatabase(db, key);
  const small = subjectsFor(ctx.smallRecords);
  await seedWithProgress(ctx, db, workspaceId, 0, small);
  await sql`ANALYZE`.execute(db.kysely);

  // one process, as for SQLite: on a machine that also runs PostgreSQL, a second Node.js process
  // takes the cores PostgreSQL needs (the README's advice); ctx.workers is measured beside it
  const start = (workers: number) =>
    startAssent({ dataDir: dir, bootstrapKey: key, databaseUrl: cluster.url, workers });
  let server = await start(1);
  try {
    await createCatalog(server, key);
    let ledger = await count();
    ctx.log(`ingest on PostgreSQL with ${fmt(ledger)} records in the ledger (${ctx.seconds} s)...`);
    const ingestSmall = {
      ledger,
      load: await ingestLoad(server, key, { label: 'p1', subjects: small, seconds: ctx.seconds }),
    };
    const subjects = subjectsFor(ctx.pgRecords);
    if (subjects <= small)
      return { rawCommitsPerSecond, ingestSmall, ingestLarge: null, ingestLargeWorkers: null };

    // the server stays up but idle while the ledger grows underneath it
    await seedWithProgress(ctx, db, workspaceId, small, subjects - small);
    await sql`ANALYZE`.execute(db.kysely);
    ledger = await count();
    ctx.log(`ingest on PostgreSQL with ${fmt(ledger)} records in the ledger (${ctx.seconds} s)...`);
    const ingestLarge = {
      ledger,
      load: await ingestLoad(server, key, { label: 'p2', subjects, seconds: ctx.seconds }),
    };
    let ingestLargeWorkers: IngestAt | null = null;
    if (ctx.workers > 1) {
      await server.stop();
      server = await start(ctx.workers);
      ledger = await count();
      ctx.log(
        `ingest on PostgreSQL with ${fmt(ledger)} records, WORKERS=${ctx.workers} (${ctx.seconds} s)...`,
      );
      ingestLargeWorkers = {
        ledger,
        load: await ingestLoad(server, key, { label: 'p3', subjects, seconds: ctx.seconds }),
      };
    }
    return { rawCommitsPerSecond, ingestSmall, ingestLarge, ingestLargeWorkers };
  } finally {
    await server.stop();
  }
}
