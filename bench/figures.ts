import type { BenchContext } from './context.ts';
import type { LoadResult } from './load.ts';
import type { PostgresResults } from './postgres-phase.ts';
import { type Figure, fmt } from './report.ts';
import { CONNECTIONS, DECISIONS_PER_REQUEST } from './scenarios.ts';
import type { IngestAt, SqliteResults } from './sqlite-phase.ts';

export interface Measurements {
  baselineA: LoadResult;
  baselineB: LoadResult;
  /** Baseline B in ctx.workers cluster processes, as the check runs (null with one worker). */
  baselineBWorkers: LoadResult | null;
  rawSqlite: number;
  sqlite: SqliteResults;
  postgres: PostgresResults;
}

// the issue's targets, as rates so that a scaled-down run is judged by the same yardstick
const CHECK_RATIO = 0.5;
const CHECK_P99_MS = 10;
const INGEST_SQLITE = 5_000;
const INGEST_PG = 2_000;
const GROWTH_RATIO = 0.8;
const FILTER_PER_S = 1_000_000 / 15;
/** Flat: the second half of the upload raises the peak by less than this. */
const FILTER_GROWTH_MB = 32;
const VERIFY_PER_S = 1_000_000 / 20;

const rps = (r: LoadResult) => `${fmt(r.rps)} req/s, p99 ${r.p99} ms`;
const short = (n: number) =>
  n >= 1_000_000 ? `${fmt(n / 1_000_000, 1)}M` : n >= 1000 ? `${fmt(n / 1000)}k` : fmt(n);
const recordsPerS = (i: IngestAt) => i.load.rps * DECISIONS_PER_REQUEST;

function ingestRows(
  db: string,
  target: number,
  raw: number,
  rawName: string,
  small: IngestAt,
  large: IngestAt | null,
  workers: number,
) {
  const row = (i: IngestAt): Figure => ({
    name: `ingest ${db} @ ${short(i.ledger)} records, WORKERS=${workers}`,
    measured: `${fmt(recordsPerS(i))} records/s (p99 ${i.load.p99} ms)`,
    baseline: `${fmt(raw)} ${rawName}`,
    ratio: recordsPerS(i) / raw,
    target: `>= ${fmt(target)} records/s`,
    pass: recordsPerS(i) >= target && i.load.failed === 0,
  });
  const rows = [row(small)];
  if (large) {
    rows.push(row(large), {
      name: `ingest ${db}: ${short(large.ledger)} vs ${short(small.ledger)} records`,
      measured: `${fmt(1e6 / recordsPerS(large), 1)} us/record`,
      baseline: `${fmt(1e6 / recordsPerS(small), 1)} us/record`,
      ratio: recordsPerS(large) / recordsPerS(small),
      target: `>= ${fmt(GROWTH_RATIO, 2)}x (cost flat)`,
      pass: recordsPerS(large) / recordsPerS(small) >= GROWTH_RATIO,
    });
  }
  return rows;
}

export function buildFigures(ctx: BenchContext, m: Measurements): { rows: Figure[]; notes: string[] } {
  const { baselineA: a, baselineB: b, sqlite: s, postgres: p } = m;
  const rows: Figure[] = [
    {
      name: 'baseline A: Fastify, constant answer',
      measured: rps(a),
      baseline: '(reference)',
      ratio: 1,
      target: '~31-38k req/s on 2 cores',
      pass: null,
    },
    {
      name: 'baseline B: + 1 indexed SQLite lookup',
      measured: rps(b),
      baseline: `${fmt(a.rps)} req/s (A)`,
      ratio: b.rps / a.rps,
      target: '~25k req/s on 2 cores',
      pass: null,
    },
  ];
  const bw = m.baselineBWorkers;
  if (bw) {
    rows.push({
      name: `baseline B in ${ctx.workers} processes (cluster)`,
      measured: rps(bw),
      baseline: `${fmt(a.rps)} req/s (A)`,
      ratio: bw.rps / a.rps,
      target: '(the same processes as the check)',
      pass: null,
    });
  }
  const checkName = `check @ ${short(s.checkLedger)} records, WORKERS=${ctx.workers}`;
  rows.push(
    s.check
      ? {
          name: checkName,
          measured: rps(s.check),
          baseline: `${fmt(a.rps)} req/s (A)`,
          ratio: s.check.rps / a.rps,
          target: `>= ${CHECK_RATIO}x A, p99 < ${CHECK_P99_MS} ms`,
          pass: s.check.rps / a.rps >= CHECK_RATIO && s.check.p99 < CHECK_P99_MS && s.check.failed === 0,
        }
      : { name: checkName, measured: 'not measured', baseline: '-', ratio: null, target: '-', pass: null },
  );
  if (s.checkSingle && ctx.workers > 1) {
    rows.push({
      name: `check @ ${short(s.checkLedger)} records, one process (WORKERS=1)`,
      measured: rps(s.checkSingle),
      baseline: `${fmt(a.rps)} req/s (A)`,
      ratio: s.checkSingle.rps / a.rps,
      target: '(for comparison)',
      pass: null,
    });
  }
  rows.push(
    ...ingestRows('SQLite', INGEST_SQLITE, m.rawSqlite, 'raw txn/s', s.ingestSmall, s.ingestLarge, 1),
  );
  const comparison = (db: string, i: IngestAt | null, raw: number, rawName: string) => {
    if (!i) return;
    rows.push({
      name: `ingest ${db} @ ${short(i.ledger)} records, WORKERS=${ctx.workers}`,
      measured: `${fmt(recordsPerS(i))} records/s (p99 ${i.load.p99} ms)`,
      baseline: `${fmt(raw)} ${rawName}`,
      ratio: recordsPerS(i) / raw,
      target: '(for comparison)',
      pass: null,
    });
  };
  comparison('SQLite', s.ingestLargeWorkers, m.rawSqlite, 'raw txn/s');
  rows.push(
    ...ingestRows(
      'PostgreSQL',
      INGEST_PG,
      p.rawCommitsPerSecond,
      'raw commits/s',
      p.ingestSmall,
      p.ingestLarge,
      1,
    ),
  );
  comparison('PostgreSQL', p.ingestLargeWorkers, p.rawCommitsPerSecond, 'raw commits/s');
  const f = s.filter;
  const filterName = `audience filter, ${short(ctx.records)} emails`;
  if (f) {
    const perS = f.identifiers / f.seconds;
    // the process's own memory: the SQLite file is memory-mapped, and its pages count in RSS
    // as they are read (file cache the system reclaims at will), not as the server's memory
    const growth = f.anonMaxSecondHalfMb - f.anonMaxFirstHalfMb;
    rows.push(
      {
        name: filterName,
        measured: `${fmt(f.seconds, 1)} s (${fmt(perS)} ids/s)`,
        baseline: `${fmt(f.rawPerSecond)} raw lookups/s`,
        ratio: perS / f.rawPerSecond,
        target: `1M in < 15 s (>= ${fmt(FILTER_PER_S)} ids/s)`,
        pass: perS >= FILTER_PER_S,
      },
      {
        name: 'audience filter, server memory',
        measured: `own (RssAnon) max ${fmt(f.anonMaxFirstHalfMb)} MB (1st half), ${fmt(f.anonMaxSecondHalfMb)} MB (2nd); RSS with mapped file pages ${fmt(f.rssMaxFirstHalfMb)} -> ${fmt(f.rssMaxSecondHalfMb)} MB`,
        baseline: `${fmt(f.anonBeforeMb)} MB own, ${fmt(f.rssBeforeMb)} MB RSS before`,
        ratio: null,
        target: `flat: 2nd half < +${FILTER_GROWTH_MB} MB`,
        pass: growth < FILTER_GROWTH_MB,
      },
    );
  } else {
    rows.push({
      name: filterName,
      measured: 'not measured',
      baseline: '-',
      ratio: null,
      target: '-',
      pass: null,
    });
  }
  const v = s.verify;
  rows.push({
    name: `verify ${short(v.records)} records (verifyLedger)`,
    measured: `${fmt(v.seconds, 1)} s (${fmt(v.records / v.seconds)} records/s)`,
    baseline: `${fmt(v.rawPerSecond)} rows/s raw scan+sha256`,
    ratio: v.records / v.seconds / v.rawPerSecond,
    target: `1M in < 20 s (>= ${fmt(VERIFY_PER_S)} records/s)`,
    pass: v.ok && v.records / v.seconds >= VERIFY_PER_S,
  });

  const notes = [
    `HTTP load comes from autocannon in the bench process, ${CONNECTIONS} connections, on the same machine as the server: both share its cores, for the baselines as for Assent.`,
    'Every HTTP figure sends the same request shape: the check body `{subject: {identifier: {type: "email", value}}, channel: "email", topic: "newsletter"}` with a varied identifier (one in ten unknown); baselines A and B run in their own child process, B right before the check, Assent is `tsx packages/cli/src/main.ts serve` (LOG_LEVEL=warn, CHECKPOINT_INTERVAL=0).',
    `Assent runs as the README advises: with WORKERS=${ctx.workers} (BENCH_WORKERS, one worker process per core) for the check; as one process for ingest (on SQLite a process that did not make the last commit starts its next write with an empty page cache; here PostgreSQL shares the machine's cores with the server), the audience filter (one streamed request, whose memory is measured) and the WORKERS=1 check row. The WORKERS=${ctx.workers} ingest rows show the other choice. The baselines are single Fastify processes (baseline A is limited by the load generator on this machine rather than by its server); baseline B also runs in as many cluster processes as the check, whose p99 shows what sharing the cores with the load generator costs any route.`,
    `Ingest: each POST /v1/consents records ${DECISIONS_PER_REQUEST} decisions (newsletter by email, analytics); half the requests create a new subject, half append to a seeded subject's chain. records/s = 2xx responses x ${DECISIONS_PER_REQUEST} / s.`,
    'The seeded ledger (bench/seed-ledger.ts) is 4 hash-chained records per subject written straight through Kysely; verifyLedger reports it intact, so it is the ledger the service would have written.',
    'PostgreSQL is a throwaway cluster from startPgCluster() (fsync=off, synchronous_commit=off), for the raw baseline and Assent alike; ANALYZE runs after each seed. Assent connects with its default pool (DATABASE_POOL_SIZE=10 per process).',
  ];
  const failures: [string, LoadResult | null][] = [
    ['baseline A', a],
    ['baseline B', b],
    ['baseline B (workers)', bw],
    ['check', s.check],
    ['check (WORKERS=1)', s.checkSingle],
    ['ingest SQLite (small)', s.ingestSmall.load],
    ['ingest SQLite (large)', s.ingestLarge.load],
    ['ingest SQLite (large, workers)', s.ingestLargeWorkers?.load ?? null],
    ['ingest PostgreSQL (large, workers)', p.ingestLargeWorkers?.load ?? null],
    ['ingest PostgreSQL (small)', p.ingestSmall.load],
    ['ingest PostgreSQL (large)', p.ingestLarge?.load ?? null],
  ];
  for (const [name, r] of failures) {
    if (r?.failed) notes.push(`${name}: ${fmt(r.failed)} requests failed (non-2xx, errors or timeouts).`);
  }
  if (f) {
    const same = f.allowed === f.rawAllowed ? 'the same as' : 'DIFFERENT from';
    notes.push(
      `Audience filter: ${fmt(f.allowed)} of ${fmt(f.identifiers)} identifiers allowed, ${same} the raw lookups' ${fmt(f.rawAllowed)} (granted newsletter by email, workspace scope).`,
    );
  }
  const { a: ra, check: rc } = s.rounds;
  if (rc.length) {
    const each = (xs: LoadResult[], f: (r: LoadResult) => string) => xs.map(f).join(' / ');
    notes.push(
      `Baseline A and the check (WORKERS=${ctx.workers}) alternated in ${rc.length} rounds of ${fmt(rc[0].seconds)} s (A first in odd rounds, the check in even rounds; each round of the check draws its people anew), both servers running, so that the ratio compares loads run seconds apart: A ${each(ra, (r) => fmt(r.rps))} req/s; check ${each(rc, (r) => fmt(r.rps))} req/s (p99 ${each(rc, (r) => `${r.p99}`)} ms); ratio per round ${rc.map((r, i) => fmt(r.rps / ra[i].rps, 2)).join(' / ')}. Each row pools its rounds: requests over seconds, and the median round's p99.`,
    );
  }
  const { small: is, large: il } = s.ingestRounds;
  if (il.length) {
    const records = (xs: LoadResult[]) => xs.map((r) => fmt(r.rps * DECISIONS_PER_REQUEST)).join(' / ');
    notes.push(
      `Ingest on SQLite at ${short(s.ingestSmall.ledger)} and ${short(s.ingestLarge.ledger)} records: two single server processes, one per ledger, both running, whose loads alternated in ${il.length} rounds of ${fmt(il[0].seconds)} s (the small one first in odd rounds, the large one in even rounds), each round drawing its people anew, so that the cost-per-record ratio compares loads run seconds apart: ${records(is)} and ${records(il)} records/s; ratio per round ${il.map((r, i) => fmt(r.rps / is[i].rps, 2)).join(' / ')}. Each row pools its rounds.`,
    );
  }
  if (!s.check) notes.push('POST /v1/check did not exist on this server (404): not measured.');
  if (!f) notes.push('POST /v1/audiences/filter did not exist on this server (404): not measured.');
  if (!v.ok) notes.push(`verifyLedger found a problem: ${v.firstProblem}`);
  return { rows, notes };
}
