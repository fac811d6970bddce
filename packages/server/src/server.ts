import type { FastifyServerOptions } from 'fastify';
import type { AppDeps } from './app-deps.ts';
import type { Config } from './config.ts';
import { loadSigner } from './crypto/signer.ts';
import type { WriteLock } from './db/cluster-write-lock.ts';
import { createDatabase, type Db, migrate } from './db/database.ts';
import { createApiKeyStore } from './features/api-keys/api-key-store.ts';
import { createCheckpointService } from './features/ledger/checkpoint-service.ts';
import { createHttpApp, type HttpApp } from './http/app.ts';
import { registerAuth } from './http/auth.ts';
import { purgeIdempotencyKeys } from './http/idempotency.ts';
import { registerRoutes } from './routes.ts';

export interface Server {
  app: HttpApp;
  deps: AppDeps;
  /** Starts the background jobs (ledger checkpoints); `close` stops them. */
  startJobs(): void;
  close(): Promise<void>;
}

const PURGE_EVERY_MS = 60 * 60 * 1000;

/** Logs never carry personal data: no bodies, no query strings, no auth headers. */
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: ['req.headers.authorization', 'req.headers.cookie'],
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split('?')[0],
      }),
    },
  };
}

/** Composition: config -> database (migrated) -> signer -> HTTP app with every feature. */
export async function createServer(
  config: Config,
  opts: { db?: Db; logger?: FastifyServerOptions['logger']; writeLock?: WriteLock } = {},
): Promise<Server> {
  const db =
    opts.db ??
    createDatabase({
      databaseUrl: config.databaseUrl,
      poolSize: config.databasePoolSize,
      dataDir: config.dataDir,
      sqliteCacheMb: config.sqliteCacheMb,
      sqliteMmapMb: config.sqliteMmapMb,
      backgroundCheckpoint: true,
      writeLock: opts.writeLock,
    });
  await migrate(db);
  const signer = await loadSigner({ pem: config.signingKey, dataDir: config.dataDir });
  const deps: AppDeps = { config, db, signer };
  const app = await createHttpApp({
    bodyLimit: config.bodyLimit,
    logger: opts.logger ?? loggerOptions(config.logLevel),
    publicUrl: config.publicUrl,
    trustProxy: config.trustProxy,
  });
  registerAuth(app, createApiKeyStore(db.kysely));
  registerRoutes(app, deps);
  await app.ready();
  const stops: (() => void)[] = [];
  return {
    app,
    deps,
    startJobs() {
      const checkpoints = createCheckpointService(deps);
      stops.push(
        checkpoints.start(config.checkpointInterval, (err) =>
          app.log.error({ err }, 'checkpoint job failed'),
        ),
      );
      // Idempotency-Keys no caller keeps any more: the table would otherwise only grow
      const purge = () =>
        purgeIdempotencyKeys(db).catch((err) => app.log.error({ err }, 'idempotency key purge failed'));
      // a first run a minute after start: a process that lives less than the hour still purges
      const first = setTimeout(purge, 60_000).unref();
      const timer = setInterval(purge, PURGE_EVERY_MS).unref();
      stops.push(() => {
        clearTimeout(first);
        clearInterval(timer);
      });
    },
    async close() {
      for (const stop of stops) stop();
      await app.close();
      if (!opts.db) await db.close();
    },
  };
}
