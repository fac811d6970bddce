import { bootstrap, type Config, createServer } from '@assent/server';

const DRAIN_GRACE_MS = 10_000;

/** `assent serve`: migrate, bootstrap, seed the demo on a first start, listen, drain on SIGTERM. */
export async function serve(config: Config, out: (line: string) => void): Promise<void> {
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
  const base = `http://${config.host}:${port}`;
  out('');
  out(`  Assent is running at ${base}  (database: ${server.deps.db.dialect})`);
  out(`  API docs:            ${base}/docs`);
  if (boot.ownerSecret) {
    out(`  Owner API key:       ${boot.ownerSecret}`);
    out('                       (shown once: keep it; it is stored only as a hash)');
  } else if (boot.createdOwnerKey) {
    out('  Owner API key:       the value of ASSENT_BOOTSTRAP_KEY');
  }
  out('');
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
