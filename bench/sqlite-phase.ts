import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '@assent/server';
import SQLite from 'better-sqlite3';
import { loadSigner } from '../packages/server/src/crypto/signer.ts';
import { verifyLedger } from '../packages/server/src/features/ledger/ledger-verify.ts';
import { type BenchContext, prepareDatabase, seedWithProgress, subjectsFor } from './context.ts';
import type { LoadResult } from './load.ts';
import { fmt } from './report.ts';
import {
  audienceFilter,
  checkLoad,
  createCatalog,
  type FilterResult,
  hasRoute,
  ingestLoad,
  rawFilterLookups,
  rawLedgerScan,
} from './scenarios.ts';
import { benchEmail } from './seed-ledger.ts';
import { startAssent } from './server-process.ts';

export interface IngestAt {
  ledger: number;
  load: LoadResult;
}

export interface SqliteResults {
  ingestSmall: IngestAt;
  ingestLarge: IngestAt;
  /** Ingest on the large ledger with ctx.workers processes, for comparison (null with one). */
  ingestLargeWorkers: IngestAt | null;
  /** The check on a server with ctx.workers processes. */
  check: LoadResult | null;
  /** The check on one server process (WORKERS=1), for comparison. */
  checkSingle: LoadResult | null;
  filter: (FilterResult & { rawPerSecond: number; rawAllowed: number }) | null;
  verify: {
    seconds: number;
    records: number;
    ok: boolean;
    rawPerSecond: number;
    firstProblem: string | null;
  };
}

const countRecords = (file: string) => {
  const db = new SQLite(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM consent_records').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

/**
 * Every SQLite figure: ingest on a small ledger, then on the large one filter, check, ingest and
 * verify. `beforeCheck` runs the HTTP baselines right before the check, so both see the same machine.
 */
export async function runSqlite(ctx: BenchContext, beforeCheck: () => Promise<void>): Promise<SqliteResults> {
  const dir = mkdtempSync(join(tmpdir(), 'assent-bench-sqlite-'));
  ctx.onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'assent.db');
  const key = ctx.bootstrapKey;
  const subjects = subjectsFor(ctx.records);
  const small = subjectsFor(ctx.smallRecords);

  let db = createDatabase({ dataDir: dir });
  const workspaceId = await prepareDatabase(db, key);
  await seedWithProgress(ctx, db, workspaceId, 0, small);
  await db.close();

  // Ingest on SQLite runs on one process: with several, each drops its page cache whenever
  // another one commits (the README's advice); the large ledger is also measured with ctx.workers.
  const workers = ctx.workers;
  let server = await startAssent({ dataDir: dir, bootstrapKey: key, workers: 1 });
  await createCatalog(server, key);
  let ledger = countRecords(file);
  ctx.log(`ingest on SQLite with ${fmt(ledger)} records in the ledger (${ctx.seconds} s)...`);
  const ingestSmall = {
    ledger,
    load: await ingestLoad(server, key, { label: 's1', subjects: small, seconds: ctx.seconds }),
  };
  await server.stop();

  db = createDatabase({ dataDir: dir });
  await seedWithProgress(ctx, db, workspaceId, small, subjects - small);
  await db.close();
  ledger = countRecords(file);

  // a fresh single process, so its peak memory before the filter is the start-up's
  server = await startAssent({ dataDir: dir, bootstrapKey: key, workers: 1 });
  let filter: SqliteResults['filter'] = null;
  if (
    await hasRoute(server, key, '/v1/audiences/filter?channel=email&topic=newsletter', `${benchEmail(0)}\n`)
  ) {
    ctx.log(`audience filter: streaming ${fmt(ctx.records)} identifiers...`);
    const f = await audienceFilter(server, key, ctx.records);
    const raw = rawFilterLookups(file, workspaceId, ctx.records);
    filter = { ...f, rawPerSecond: raw.perSecond, rawAllowed: raw.allowed };
  } else {
    ctx.log('audience filter: POST /v1/audiences/filter is not there yet; skipped');
  }

  let check: LoadResult | null = null;
  let checkSingle: LoadResult | null = null;
  const probe = JSON.stringify({
    subject: { identifier: { type: 'email', value: benchEmail(1) } },
    channel: 'email',
    topic: 'newsletter',
  });
  if (await hasRoute(server, key, '/v1/check', probe)) {
    await beforeCheck();
    ctx.log(`check on SQLite with ${fmt(ledger)} records, one server process (${ctx.seconds} s)...`);
    checkSingle = await checkLoad(server, key, subjects, ctx.seconds);
    check = checkSingle;
    if (workers > 1) {
      await server.stop();
      server = await startAssent({ dataDir: dir, bootstrapKey: key, workers });
      ctx.log(`check on SQLite with ${fmt(ledger)} records, WORKERS=${workers} (${ctx.seconds} s)...`);
      check = await checkLoad(server, key, subjects, ctx.seconds);
    }
  } else {
    await beforeCheck();
    ctx.log('check: POST /v1/check is not there yet; skipped');
  }

  let ingestLargeWorkers: IngestAt | null = null;
  if (workers > 1) {
    if (!check) {
      await server.stop();
      server = await startAssent({ dataDir: dir, bootstrapKey: key, workers });
    }
    ctx.log(`ingest on SQLite with ${fmt(ledger)} records, WORKERS=${workers} (${ctx.seconds} s)...`);
    ingestLargeWorkers = {
      ledger,
      load: await ingestLoad(server, key, { label: 's3', subjects, seconds: ctx.seconds }),
    };
  }
  await server.stop();
  server = await startAssent({ dataDir: dir, bootstrapKey: key, workers: 1 });
  ledger = countRecords(file);
  ctx.log(`ingest on SQLite with ${fmt(ledger)} records in the ledger (${ctx.seconds} s)...`);
  const ingestLarge = {
    ledger,
    load: await ingestLoad(server, key, { label: 's2', subjects, seconds: ctx.seconds }),
  };
  await server.stop();

  ctx.log('verify: recomputing every hash chain in-process (verifyLedger)...');
  db = createDatabase({ dataDir: dir });
  try {
    const signer = await loadSigner({ dataDir: dir });
    const start = performance.now();
    const report = await verifyLedger(db.kysely, signer, {
      onProgress: (n) => {
        if (n % 250_000 === 0) ctx.log(`  verified ${fmt(n)} records`);
      },
    });
    const seconds = (performance.now() - start) / 1000;
    ctx.log(`  ${report.ok ? 'ok' : 'BROKEN'}: ${fmt(report.records)} records in ${fmt(seconds, 1)} s`);
    const rawPerSecond = rawLedgerScan(file);
    return {
      ingestSmall,
      ingestLarge,
      ingestLargeWorkers,
      check,
      checkSingle,
      filter,
      verify: {
        seconds,
        records: report.records,
        ok: report.ok,
        rawPerSecond,
        firstProblem: report.firstProblem
          ? `${report.firstProblem.kind}: ${report.firstProblem.detail}`
          : null,
      },
    };
  } finally {
    await db.close();
  }
}
