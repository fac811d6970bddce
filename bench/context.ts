import { availableParallelism } from 'node:os';
import { bootstrap, type Db, migrate } from '@assent/server';
import { fmt } from './report.ts';
import { RECORDS_PER_SUBJECT, seedLedger } from './seed-ledger.ts';

function envInt(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

export interface BenchContext {
  /** Ledger size for the large measurements (BENCH_RECORDS). */
  records: number;
  /** Ledger size on PostgreSQL (BENCH_PG_RECORDS, default BENCH_RECORDS). */
  pgRecords: number;
  /** Seconds per load phase (BENCH_DURATION). */
  seconds: number;
  /** The ledger size of the "small" ingest measurement. */
  smallRecords: number;
  /** WORKERS of the Assent server under load (BENCH_WORKERS, default: the machine's cores). */
  workers: number;
  /** Page loads per banner variant, after the warm-ups (BENCH_BANNER_RUNS). */
  bannerRuns: number;
  /** BENCH_ONLY=banner: only the banner phase, RESULTS.md left alone. */
  only: 'banner' | null;
  bootstrapKey: string;
  log(line: string): void;
  /** Registers work to undo at the end, run last-in first-out even after an error. */
  onCleanup(fn: () => unknown): void;
  cleanup(): Promise<void>;
}

function envOnly(): 'banner' | null {
  const raw = process.env.BENCH_ONLY;
  if (raw === undefined || raw === '') return null;
  if (raw !== 'banner') throw new Error(`BENCH_ONLY must be "banner" or unset, got "${raw}"`);
  return raw;
}

export function createContext(): BenchContext {
  const records = envInt('BENCH_RECORDS', 1_000_000, 400);
  const undo: (() => unknown)[] = [];
  const started = performance.now();
  return {
    records,
    pgRecords: envInt('BENCH_PG_RECORDS', records, 400),
    seconds: envInt('BENCH_DURATION', 10, 1),
    smallRecords: Math.min(10_000, Math.floor(records / 10)),
    bannerRuns: envInt('BENCH_BANNER_RUNS', 15, 3),
    workers: envInt('BENCH_WORKERS', availableParallelism(), 1),
    only: envOnly(),
    bootstrapKey: `assent-bench-${process.pid}-${Date.now()}-key`,
    log(line) {
      const t = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
      process.stdout.write(`[${t}s] ${line}\n`);
    },
    onCleanup(fn) {
      undo.push(fn);
    },
    async cleanup() {
      while (undo.length) {
        try {
          await undo.pop()?.();
        } catch (err) {
          process.stderr.write(`cleanup: ${(err as Error).message}\n`);
        }
      }
    },
  };
}

/** Migrates and bootstraps a fresh database the way `assent serve` would; returns the default workspace. */
export async function prepareDatabase(db: Db, bootstrapKey: string): Promise<string> {
  await migrate(db);
  return (await bootstrap(db, bootstrapKey)).workspace.id;
}

export const subjectsFor = (records: number) => Math.ceil(records / RECORDS_PER_SUBJECT);

/** Seeds subjects [first, first + count) with progress lines; returns the records written. */
export async function seedWithProgress(
  ctx: BenchContext,
  db: Db,
  workspaceId: string,
  first: number,
  count: number,
): Promise<number> {
  if (count <= 0) return 0;
  const start = performance.now();
  const total = count * RECORDS_PER_SUBJECT;
  ctx.log(`seeding ${fmt(total)} records (${fmt(count)} subjects) on ${db.dialect}...`);
  const written = await seedLedger({
    db,
    workspaceId,
    firstSubject: first,
    subjects: count,
    onProgress: (done) => {
      const recs = done * RECORDS_PER_SUBJECT;
      const rate = recs / ((performance.now() - start) / 1000);
      if (done < count) ctx.log(`  seeded ${fmt(recs)} / ${fmt(total)} records (${fmt(rate)}/s)`);
    },
  });
  ctx.log(`  seeded ${fmt(written)} records in ${fmt((performance.now() - start) / 1000, 1)} s`);
  return written;
}
