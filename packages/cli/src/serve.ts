import cluster from 'node:cluster';
import { bootstrap, type Config, createServer, type Server, workerWriteLock } from '@assent/server';
import { printBanner } from './print-banner.ts';
import { serveCluster } from './serve-cluster.ts';

const DRAIN_GRACE_MS = 10_000;

/**
 * `assent serve`: migrate, bootstrap, seed the demo on a first start, listen, drain on SIGTERM.
 * With WORKERS above 1 the same happens across a primary and its worker processes.
 */
export async function serve(config: Config, out: (line: string) => void): Promise<void> {
  if (config.workers > 1) return serveCluster(config, out, serveWorker);
  const server = await createServer(config);
  const boot = await bootstrap(server.deps.db, config.bootstrapKey);
  if (config.demo && boot.createdOwnerKey) {
    const { seedDemo } = await import('@assent/server/demo');
    await seedDemo(server.deps.db, boot.workspace.id);
  }
  await server.app.listen({ port: config.port, host: config.host });
  server.startJobs();
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  printBanner(out, { base: `http://${config.host}:${port}`, database: server.deps.db.dialect, ...boot });
  drainOnSignals(server);
}

/** One worker of a cluster: the primary has migrated and bootstrapped; this one serves and drains. */
async function serveWorker(config: Config, jobs: boolean): Promise<void> {
  // SQLite: the workers take turns at the write lock the primary keeps
  const writeLock = config.databaseUrl ? undefined : workerWriteLock();
  const server = await createServer(config, { writeLock });
  await server.app.listen({ port: config.port, host: config.host });
  if (jobs) server.startJobs();
  drainOnSignals(server);
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  if (cluster.isWorker) process.send?.({ assent: 'ready', port });
}

/** SIGTERM or SIGINT: finish in-flight requests, then exit. */
function drainOnSignals(server: Server) {
  let closing = false;
  const stop = async (signal: string) => {
    if (closing) return;
    closing = true;
    server.app.log.info({ signal }, 'draining in-flight requests');
    // a client that holds its connection open past the grace period is cut off
    setTimeout(() => server.app.server.closeAllConnections(), DRAIN_GRACE_MS).unref();
    try {
      await server.close();
      server.app.log.info('drained; exiting');
      process.exit(0);
    } catch {
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
