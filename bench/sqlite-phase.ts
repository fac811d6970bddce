import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from '@assent/server';
import SQLite from 'better-sqlite3';
import { loadSigner } from '../packages/server/src/crypto/signer.ts';
import { verifyLedger } from '../packages/server/src/features/ledger/ledger-verify.ts';
import type { BaselineServer } from './baselines.ts';
import { type BenchContext, prepareDatabase, seedWithProgress, subjectsFor } from './context.ts';
import { type LoadResult, pooled } from './load.ts';
import { fmt } from './report.ts';
import {
  audienceFilter,
  checkLoad,
  createCatalog,
  DECISIONS_PER_REQUEST,
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
  /** Records in the ledger the check read. */
  checkLedger: number;
  /** Baseline A, pooled over the rounds it alternated with the check (`rounds`). */
  baselineA: LoadResult;
  /** The check on a server with ctx.workers processes, pooled over its rounds. */
  check: LoadResult | null;
  /** Baseline A and the check, round by round (A first in odd rounds, the check in even ones). */
  rounds: { a: LoadResult[]; check: LoadResult[] };
  /** Ingest on the small and the large ledger, round by round. */
  ingestRounds: { small: LoadResult[]; large: LoadResult[] };
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

/** Rounds of baseline A and the check, alternating. */
const ROUNDS = 3;

export interface CheckBaselines {
  /** Runs right before the check (baseline B), so both see the same machine. */
  beforeCheck(): Promise<void>;
  /** Baseline A's server, whose load alternates with the check's. */
  startBaselineA(): Promise<BaselineServer>;
}

/**
 * Ingest on the small and the large ledger, each on one server process of its own, both running:
 * their loads alternate in `ROUNDS` rounds of half a load phase (which goes first alternates), after an unmeasured
 * warm-up of each, so that "the cost per record does not grow" compares loads run seconds apart.
 */
async function alternateIngest(
  ctx: BenchContext,
  small: { dir: string; subjects: number },
  large: { dir: string; subjects: number },
): Promise<{ small: IngestAt; large: IngestAt; rounds: SqliteResults['ingestRounds'] }> {
  const key = ctx.bootstrapKey;
  const ledgers = [countRecords(join(small.dir, 'assent.db')), countRecords(join(large.dir, 'assent.db'))];
  const servers = [
    await startAssent({ dataDir: small.dir, bootstrapKey: key, workers: 1 }),
    await startAssent({ dataDir: large.dir, bootstrapKey: key, workers: 1 }),
  ];
  const rounds: SqliteResults['ingestRounds'] = { small: [], large: [] };
  const half = Math.max(1, Math.round(ctx.seconds / 2));
  try {
    const sides = [
      { name: 'small', server: servers[0], subjects: small.subjects, out: rounds.small, ledger: ledgers[0] },
      { name: 'large', server: servers[1], subjects: large.subjects, out: rounds.large, ledger: ledgers[1] },
    ];
    ctx.log('warming up ingest on both ledgers (unmeasured)...');
    for (const side of sides)
      await ingestLoad(side.server, key, { label: `w${side.name}`, subjects: side.subjects, seconds: 1 });
    for (let r = 1; r <= ROUNDS; r++) {
      // small first in odd rounds, large first in even ones: a steady drift favours neither
      for (const side of r % 2 ? sides : [...sides].reverse()) {
        ctx.log(
          `round ${r}/${ROUNDS}: ingest on SQLite, the ${side.name} ledger (${fmt(side.ledger)} records at the start, ${half} s)...`,
        );
        side.out.push(
          await ingestLoad(side.server, key, {
            label: `${side.name}${r}`,
            subjects: side.subjects,
            seconds: half,
          }),
        );
      }
      const [s, l] = [rounds.small[r - 1], rounds.large[r - 1]];
      ctx.log(
        `  ${fmt(s.rps * DECISIONS_PER_REQUEST)} and ${fmt(l.rps * DECISIONS_PER_REQUEST)} records/s: ${fmt(l.rps / s.rps, 2)}x`,
      );
    }
  } finally {
    for (const server of servers) await server.stop();
  }
  return {
    small: { ledger: ledgers[0], load: pooled(rounds.small) },
    large: { ledger: ledgers[1], load: pooled(rounds.large) },
    rounds,
  };
}

/**
 * Every SQLite figure: on the large ledger filter, check and ingest with ctx.workers; ingest on a
 * small and the large ledger, alternating; then verify. The check (with ctx.workers processes) and baseline A alternate in `ROUNDS` rounds of
 * half the load phase each, both servers running: this machine's speed drifts by a third from
 * one minute to the next, and the ratio compares loads run seconds apart rather than minutes.
 */
export async function runSqlite(ctx: BenchContext, baselines: CheckBaselines): Promise<SqliteResults> {
  const dir = mkdtempSync(join(tmpdir(), 'assent-bench-sqlite-'));
  ctx.onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'assent.db');
  const key = ctx.bootstrapKey;
  const subjects = subjectsFor(ctx.records);
  const small = subjectsFor(ctx.smallRecords);

  // the small ledger, for ingest, in a database of its own: its load alternates with the large one's
  const smallDir = mkdtempSync(join(tmpdir(), 'assent-bench-sqlite-small-'));
  ctx.onCleanup(() => rmSync(smallDir, { recursive: true, force: true }));
  let db = createDatabase({ dataDir: smallDir });
  await seedWithProgress(ctx, db, await prepareDatabase(db, key), 0, small);
  await db.close();
  let server = await startAssent({ dataDir: smallDir, bootstrapKey: key, workers: 1 });
  await createCatalog(server, key);
  await server.stop();

  db = createDatabase({ dataDir: dir });
  const workspaceId = await prepareDatabase(db, key);
  await seedWithProgress(ctx, db, workspaceId, 0, subjects);
  await db.close();
  const ledger = countRecords(file);

  // Ingest on SQLite runs on one process: with several, each drops its page cache whenever
  // another one commits (the README's advice); the large ledger is also measured with ctx.workers.
  const workers = ctx.workers;
  // a fresh single process, so its peak memory before the filter is the start-up's
  server = await startAssent({ dataDir: dir, bootstrapKey: key, workers: 1 });
  await createCatalog(server, key);
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
  const rounds: SqliteResults['rounds'] = { a: [], check: [] };
  const probe = JSON.stringify({
    subject: { identifier: { type: 'email', value: benchEmail(1) } },
    channel: 'email',
    topic: 'newsletter',
  });
  const hasCheck = await hasRoute(server, key, '/v1/check', probe);
  const checkLedger = ledger;
  await baselines.beforeCheck();
  if (hasCheck && workers > 1) {
    ctx.log(`check on SQLite with ${fmt(ledger)} records, one server process (${ctx.seconds} s)...`);
    checkSingle = await checkLoad(server, key, subjects, ctx.seconds);
    await server.stop();
    server = await startAssent({ dataDir: dir, bootstrapKey: key, workers });
  }
  const half = Math.max(1, Math.round(ctx.seconds / 2));
  const a = await baselines.startBaselineA();
  try {
    if (hasCheck) {
      ctx.log('warming up the check and baseline A (unmeasured)...');
      await checkLoad(server, key, subjects, 1, 1);
      await a.load(1);
    }
    const loadA = async (r: number) => {
      ctx.log(`round ${r}/${ROUNDS}: baseline A, a bare Fastify route answering a constant (${half} s)...`);
      rounds.a.push(await a.load(half));
    };
    const loadCheck = async (r: number) => {
      ctx.log(
        `round ${r}/${ROUNDS}: check on SQLite with ${fmt(ledger)} records, WORKERS=${workers} (${half} s)...`,
      );
      // each round draws its people anew rather than replaying the warm-up's or the last round's
      rounds.check.push(await checkLoad(server, key, subjects, half, 7 + r));
    };
    for (let r = 1; r <= ROUNDS; r++) {
      if (!hasCheck) {
        await loadA(r);
        continue;
      }
      // A first in odd rounds, the check first in even ones: a steady drift favours neither
      if (r % 2) {
        await loadA(r);
        await loadCheck(r);
      } else {
        await loadCheck(r);
        await loadA(r);
      }
      const [ar, cr] = [rounds.a[r - 1], rounds.check[r - 1]];
      ctx.log(
        `  A ${fmt(ar.rps)} req/s, check ${fmt(cr.rps)} req/s (p99 ${cr.p99} ms): ${fmt(cr.rps / ar.rps, 2)}x`,
      );
    }
  } finally {
    await a.stop();
  }
  const baselineA = pooled(rounds.a);
  if (hasCheck) {
    check = pooled(rounds.check);
    checkSingle ??= check;
  } else ctx.log('check: POST /v1/check is not there yet; skipped');

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
  const ingest = await alternateIngest(ctx, { dir: smallDir, subjects: small }, { dir, subjects });
  const { small: ingestSmall, large: ingestLarge } = ingest;

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
      checkLedger,
      baselineA,
      check,
      rounds,
      ingestRounds: ingest.rounds,
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
