import cluster, { type Worker } from 'node:cluster';
import { bootstrap, type Config, createDatabase, migrate, serveWriteLock } from '@assent/server';
import { printBanner } from './print-banner.ts';

/** A worker that dies this soon after starting counts as a crash loop. */
const QUICK_DEATH_MS = 10_000;
const MAX_QUICK_DEATHS = 5;
const STOP_GRACE_MS = 15_000;

type Out = (line: string) => void;
type RunWorker = (config: Config, jobs: boolean) => Promise<void>;

/**
 * WORKERS > 1: the primary migrates, bootstraps and seeds once, then forks the workers, which
 * share the listening port (the primary hands out connections). Worker 1 also runs the
 * background jobs. A worker that dies is replaced; SIGTERM drains every worker, then exits.
 */
export async function serveCluster(config: Config, out: Out, runWorker: RunWorker): Promise<void> {
  if (cluster.isWorker) return runWorker(config, process.env.ASSENT_JOBS === '1');

  const db = createDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    sqliteCacheMb: config.sqliteCacheMb,
    sqliteMmapMb: config.sqliteMmapMb,
  });
  let boot: Awaited<ReturnType<typeof bootstrap>>;
  try {
    await migrate(db);
    boot = await bootstrap(db, config.bootstrapKey);
    if (config.demo && boot.createdOwnerKey) {
      const { seedDemo } = await import('@assent/server/demo');
      await seedDemo(db, boot.workspace.id);
    }
  } finally {
    await db.close();
  }

  let stopping = false;
  let started = false;
  const quickDeaths: number[] = [];
  let port = config.port;
  const writeLock = serveWriteLock();
  const fork = (slot: number): Promise<Worker> => {
    const born = Date.now();
    const worker = cluster.fork({ ASSENT_JOBS: slot === 0 ? '1' : '0' });
    writeLock.attach(worker);
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      const how = signal ?? `code ${code}`;
      if (!started) {
        process.stderr.write(`assent: worker ${slot + 1} exited while starting (${how})\n`);
        void stopAll(1);
        return;
      }
      const now = Date.now();
      if (now - born < QUICK_DEATH_MS) quickDeaths.push(now);
      while (quickDeaths.length && now - quickDeaths[0] > 60_000) quickDeaths.shift();
      if (quickDeaths.length >= MAX_QUICK_DEATHS) {
        process.stderr.write(`assent: workers keep dying (${how}); stopping\n`);
        void stopAll(1);
        return;
      }
      process.stderr.write(`assent: worker ${slot + 1} exited (${how}); starting a new one\n`);
      void fork(slot);
    });
    return new Promise((resolve) => {
      worker.on('message', (m: { assent?: string; port?: number }) => {
        if (m?.assent !== 'ready') return;
        if (m.port) port = m.port;
        resolve(worker);
      });
    });
  };

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
    const gone = Promise.all(alive.map((w) => new Promise((r) => w.once('exit', r))));
    for (const w of alive) w.process.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const w of alive) if (!w.isDead()) w.process.kill('SIGKILL');
    }, STOP_GRACE_MS);
    await gone;
    clearTimeout(timer);
    process.exit(code);
  };
  process.on('SIGTERM', () => void stopAll(0));
  process.on('SIGINT', () => void stopAll(0));

  await Promise.all(Array.from({ length: config.workers }, (_, slot) => fork(slot)));
  started = true;
  printBanner(out, {
    base: `http://${config.host}:${port}`,
    database: config.databaseUrl ? 'postgres' : 'sqlite',
    workers: config.workers,
    ...boot,
  });
}
